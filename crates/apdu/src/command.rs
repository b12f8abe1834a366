//! Command APDUs (ISO 7816-4 §5.1): the four cases, short and extended encodings.

use crate::ApduError;

/// Largest data field of a short APDU (Lc on one byte).
pub const SHORT_MAX_DATA: usize = 255;
/// Largest expected length of a short APDU (Le = 00 means 256).
pub const SHORT_MAX_LE: usize = 256;
/// Largest data field / expected length of an extended APDU.
pub const EXTENDED_MAX: usize = 65_536;

/// The four ISO 7816-4 command cases: whether data is sent (Lc) and whether data is expected (Le).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// No data, no response data.
    Case1,
    /// No data sent, response data expected.
    Case2,
    /// Data sent, no response data.
    Case3,
    /// Data sent and response data expected.
    Case4,
}

/// A command APDU. `le` is the number of bytes expected (1..=65536), `None` when none is.
///
/// Encoding picks the short form when it fits and the extended form otherwise; T=0 cards only
/// speak the short form, which is what every command of this project uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    pub le: Option<usize>,
}

impl Command {
    /// A case 1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Adds a data field (case 3, or case 4 with [`Command::with_le`]).
    #[must_use]
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets the expected length; 256 is written `00` in the short form.
    #[must_use]
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// Which of the four cases this command is.
    pub fn case(&self) -> Case {
        match (self.data.is_empty(), self.le.is_some()) {
            (true, false) => Case::Case1,
            (true, true) => Case::Case2,
            (false, false) => Case::Case3,
            (false, true) => Case::Case4,
        }
    }

    /// Whether the short encoding can carry this command.
    pub fn is_short(&self) -> bool {
        self.data.len() <= SHORT_MAX_DATA && self.le.is_none_or(|le| le <= SHORT_MAX_LE)
    }

    /// Encodes the command, short form when possible, extended otherwise.
    ///
    /// Fails when the data field or Le exceed 65 536 bytes, or Le is 0.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        if self.data.len() > EXTENDED_MAX - 1 {
            return Err(ApduError::CommandTooLong {
                len: self.data.len(),
            });
        }
        if let Some(le) = self.le
            && (le == 0 || le > EXTENDED_MAX)
        {
            return Err(ApduError::BadLe { le });
        }
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if self.is_short() {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                // 256 wraps to 00 (ISO 7816-4 §5.1: Le = 00 means Ne = 256).
                out.push((le % 256) as u8);
            }
        } else {
            out.push(0);
            if !self.data.is_empty() {
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.extend_from_slice(&((le % EXTENDED_MAX) as u16).to_be_bytes());
            }
        }
        Ok(out)
    }

    /// Decodes a command APDU (short or extended), as a card does.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let malformed = |why: &'static str| ApduError::MalformedCommand {
            why,
            len: bytes.len(),
        };
        let [cla, ins, p1, p2, body @ ..] = bytes else {
            return Err(malformed("shorter than the 4-byte header"));
        };
        let mut cmd = Command::new(*cla, *ins, *p1, *p2);
        match body {
            [] => {}
            [le] => cmd.le = Some(if *le == 0 { 256 } else { usize::from(*le) }),
            [0, rest @ ..] if rest.len() >= 2 => {
                // Extended form: 00 then two-byte Lc and/or Le.
                let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
                let after = &rest[2..];
                if after.is_empty() {
                    cmd.le = Some(if n == 0 { EXTENDED_MAX } else { n });
                } else {
                    if n == 0 || after.len() < n {
                        return Err(malformed("extended Lc does not match the data length"));
                    }
                    cmd.data = after[..n].to_vec();
                    match &after[n..] {
                        [] => {}
                        [a, b] => {
                            let le = usize::from(u16::from_be_bytes([*a, *b]));
                            cmd.le = Some(if le == 0 { EXTENDED_MAX } else { le });
                        }
                        _ => return Err(malformed("extended Le must be two bytes")),
                    }
                }
            }
            [lc, rest @ ..] => {
                let n = usize::from(*lc);
                if n == 0 || rest.len() < n {
                    return Err(malformed("Lc does not match the data length"));
                }
                cmd.data = rest[..n].to_vec();
                match &rest[n..] {
                    [] => {}
                    [le] => cmd.le = Some(if *le == 0 { 256 } else { usize::from(*le) }),
                    _ => return Err(malformed("trailing bytes after Le")),
                }
            }
        }
        Ok(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cases_encode_as_iso_says() {
        assert_eq!(
            Command::new(0, 0x84, 0, 0).to_bytes().unwrap(),
            [0, 0x84, 0, 0]
        );
        assert_eq!(
            Command::new(0, 0xB0, 0, 0).with_le(256).to_bytes().unwrap(),
            [0, 0xB0, 0, 0, 0]
        );
        let select = Command::new(0, 0xA4, 9, 4).with_data([0x3F, 0, 0xD0, 3]);
        assert_eq!(select.case(), Case::Case3);
        assert_eq!(
            select.to_bytes().unwrap(),
            [0, 0xA4, 9, 4, 4, 0x3F, 0, 0xD0, 3]
        );
        let c4 = Command::new(0, 0x88, 0, 0).with_data([1, 2]).with_le(256);
        assert_eq!(c4.to_bytes().unwrap(), [0, 0x88, 0, 0, 2, 1, 2, 0]);
    }

    #[test]
    fn extended_form_when_too_long() {
        let c = Command::new(0, 0x2A, 0x80, 0x86)
            .with_data(vec![7; 257])
            .with_le(65_536);
        let b = c.to_bytes().unwrap();
        assert_eq!(&b[4..7], &[0, 1, 1]);
        assert_eq!(&b[b.len() - 2..], &[0, 0]);
        assert_eq!(Command::parse(&b).unwrap(), c);
    }

    #[test]
    fn rejects_bad_lengths() {
        assert!(Command::parse(&[0, 1, 2]).is_err());
        assert!(Command::parse(&[0, 1, 2, 3, 5, 1]).is_err());
        assert!(Command::parse(&[0, 1, 2, 3, 1, 9, 0, 0]).is_err());
        assert!(Command::new(0, 0, 0, 0).with_le(0).to_bytes().is_err());
    }

    proptest::proptest! {
        #[test]
        fn round_trip(cla: u8, ins: u8, p1: u8, p2: u8,
                      data in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
                      le in proptest::option::of(1usize..=65_536)) {
            let c = Command { cla, ins, p1, p2, data, le };
            proptest::prop_assert_eq!(Command::parse(&c.to_bytes().unwrap()).unwrap(), c);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = Command::parse(&bytes);
        }
    }
}
