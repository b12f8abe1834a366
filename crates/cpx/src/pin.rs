//! The cardholder PIN (code porteur): a value that is never logged, and the card's counter.

use std::fmt;

use apdu::tlv::{Tag, find};
use zeroize::Zeroizing;

use crate::CpxError;

/// Length stored on the card and pad byte, from the AODF of our emulated card (docs/cards.md):
/// real CPS3 values are not public (CARDS.md §2.4 [unconfirmed]).
pub const PIN_STORED_LEN: usize = 8;
pub const PIN_PAD: u8 = 0xFF;

/// A PIN as typed by the user: 4 to 8 digits, zeroised on drop, never printed.
#[derive(Clone)]
pub struct Pin(Zeroizing<String>);

impl Pin {
    pub fn new(digits: &str) -> Result<Self, CpxError> {
        if !(4..=PIN_STORED_LEN).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CpxError::BadPinFormat);
        }
        Ok(Self(Zeroizing::new(digits.to_owned())))
    }

    /// ASCII digits padded with `FF` to the stored length.
    pub(crate) fn encoded(&self) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(self.0.as_bytes().to_vec());
        v.resize(PIN_STORED_LEN, PIN_PAD);
        v
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// The PIN counter, read without presenting the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PinStatus {
    pub max_tries: u8,
    pub tries_left: u8,
}

impl PinStatus {
    pub fn is_blocked(&self) -> bool {
        self.tries_left == 0
    }
}

/// Parses the GET DATA answer `70 {BF8101 {A0 {9A max, 9B left, …}}}` (CARDS.md §2.4).
pub(crate) fn parse_status(data: &[u8]) -> Result<PinStatus, CpxError> {
    let bad = |why: &'static str| CpxError::Malformed {
        what: "PIN status (GET DATA BF8101)",
        why,
    };
    let top = find(data, Tag(0x70))?.ok_or(bad("no 70 template"))?;
    let a0 = top
        .find_path(&[Tag(0xBF8101), Tag(0xA0)])?
        .ok_or(bad("no BF8101/A0"))?;
    let byte = |tag: u32, why| match a0.child(Tag(tag)) {
        Ok(Some(t)) if t.value.len() == 1 => Ok(t.value[0]),
        Ok(_) => Err(bad(why)),
        Err(e) => Err(e.into()),
    };
    Ok(PinStatus {
        max_tries: byte(0x9A, "no 9A (max tries)")?,
        tries_left: byte(0x9B, "no 9B (tries left)")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_real_trace_and_hides_the_pin() {
        let raw = apdu::hex::parse(
            "70 16 BF 81 01 12 A0 10 9A 01 03 9B 01 03 A1 08 8C 06 F3 00 00 13 FF 00",
        )
        .unwrap();
        assert_eq!(
            parse_status(&raw).unwrap(),
            PinStatus {
                max_tries: 3,
                tries_left: 3
            }
        );
        assert!(parse_status(&[0x70, 0]).is_err());
        let pin = Pin::new("1234").unwrap();
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
        assert_eq!(&pin.encoded()[..], b"1234\xFF\xFF\xFF\xFF");
        assert!(Pin::new("12a4").is_err());
        assert!(Pin::new("123").is_err());
    }
}
