//! Status words (ISO 7816-4 §5.6) and what they mean to a user.

use std::fmt;

/// The two status bytes ending every response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    pub const OK: Self = Self(0x9000);
    pub const END_OF_FILE: Self = Self(0x6282);
    pub const WRONG_LENGTH: Self = Self(0x6700);
    pub const SECURITY_NOT_SATISFIED: Self = Self(0x6982);
    pub const AUTH_METHOD_BLOCKED: Self = Self(0x6983);
    pub const CONDITIONS_NOT_SATISFIED: Self = Self(0x6985);
    pub const COMMAND_NOT_ALLOWED: Self = Self(0x6986);
    pub const WRONG_DATA: Self = Self(0x6A80);
    pub const FUNCTION_NOT_SUPPORTED: Self = Self(0x6A81);
    pub const FILE_NOT_FOUND: Self = Self(0x6A82);
    pub const INCORRECT_P1P2: Self = Self(0x6A86);
    pub const REF_DATA_NOT_FOUND: Self = Self(0x6A88);
    pub const WRONG_P1P2: Self = Self(0x6B00);
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    pub const CLA_NOT_SUPPORTED: Self = Self(0x6E00);
    pub const NO_PRECISE_DIAGNOSIS: Self = Self(0x6F00);

    pub fn new(sw1: u8, sw2: u8) -> Self {
        Self(u16::from_be_bytes([sw1, sw2]))
    }
    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }
    pub fn sw2(self) -> u8 {
        self.0 as u8
    }
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
    /// `90 00`.
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }
    /// `61 xx`: T=0, `xx` bytes (00 = 256 or more) wait to be fetched with GET RESPONSE.
    pub fn bytes_available(self) -> Option<usize> {
        (self.sw1() == 0x61).then(|| {
            if self.sw2() == 0 {
                256
            } else {
                usize::from(self.sw2())
            }
        })
    }
    /// `6C xx`: wrong Le, re-issue the command with Le = `xx` (00 = 256).
    pub fn exact_length(self) -> Option<usize> {
        (self.sw1() == 0x6C).then(|| {
            if self.sw2() == 0 {
                256
            } else {
                usize::from(self.sw2())
            }
        })
    }
    /// `63 Cx`: verification failed, `x` tries left.
    pub fn tries_left(self) -> Option<u8> {
        (self.sw1() == 0x63 && self.sw2() & 0xF0 == 0xC0).then_some(self.sw2() & 0x0F)
    }

    /// A short English meaning, from ISO 7816-4 tables 5–6.
    pub fn meaning(self) -> &'static str {
        match (self.sw1(), self.sw2()) {
            (0x90, 0x00) => "success",
            (0x61, _) => "response bytes still available (T=0 GET RESPONSE)",
            (0x62, 0x81) => "part of the returned data may be corrupted",
            (0x62, 0x82) => "end of file reached before reading Le bytes",
            (0x62, 0x83) => "selected file deactivated",
            (0x62, _) => "warning, non-volatile memory unchanged",
            (0x63, x) if x & 0xF0 == 0xC0 => "verification failed (counter in low nibble)",
            (0x63, _) => "warning, non-volatile memory changed",
            (0x64, _) => "execution error, non-volatile memory unchanged",
            (0x65, 0x81) => "memory failure",
            (0x65, _) => "execution error, non-volatile memory changed",
            (0x67, 0x00) => "wrong length",
            (0x68, 0x81) => "logical channel not supported",
            (0x68, 0x82) => "secure messaging not supported",
            (0x69, 0x81) => "command incompatible with file structure",
            (0x69, 0x82) => "security status not satisfied (PIN not verified?)",
            (0x69, 0x83) => "authentication method blocked (PIN blocked)",
            (0x69, 0x84) => "reference data not usable",
            (0x69, 0x85) => "conditions of use not satisfied",
            (0x69, 0x86) => "command not allowed (no current EF)",
            (0x69, 0x88) => "incorrect secure messaging data objects",
            (0x69, _) => "command not allowed",
            (0x6A, 0x80) => "incorrect parameters in the data field",
            (0x6A, 0x81) => "function not supported",
            (0x6A, 0x82) => "file or application not found",
            (0x6A, 0x83) => "record not found",
            (0x6A, 0x84) => "not enough memory space in the file",
            (0x6A, 0x86) => "incorrect parameters P1-P2",
            (0x6A, 0x88) => "referenced data not found",
            (0x6A, _) => "wrong parameters",
            (0x6B, 0x00) => "wrong parameters P1-P2 (offset outside the EF?)",
            (0x6C, _) => "wrong Le (exact length in SW2)",
            (0x6D, 0x00) => "instruction not supported",
            (0x6E, 0x00) => "class not supported",
            (0x6F, 0x00) => "no precise diagnosis",
            _ => "unknown status",
        }
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02X} {:02X} ({})",
            self.sw1(),
            self.sw2(),
            self.meaning()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t0_and_pin_helpers() {
        assert_eq!(StatusWord::new(0x61, 0).bytes_available(), Some(256));
        assert_eq!(StatusWord::new(0x61, 0x19).bytes_available(), Some(25));
        assert_eq!(StatusWord::new(0x6C, 0x0C).exact_length(), Some(12));
        assert_eq!(StatusWord::new(0x63, 0xC2).tries_left(), Some(2));
        assert_eq!(StatusWord::new(0x63, 0x00).tries_left(), None);
        assert_eq!(StatusWord::OK.to_string(), "90 00 (success)");
        assert_eq!(
            StatusWord::AUTH_METHOD_BLOCKED.meaning(),
            "authentication method blocked (PIN blocked)"
        );
    }
}
