//! Which CPx this is, from its ATR (CARDS.md §2.1: match by length, then under the mask).

use apdu::AtrPattern;

/// CPx generations and interfaces we recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum CpxModel {
    /// CPS3 over the contact interface (IAS-ECC, T=0): PIN, signature, authentication.
    Cps3,
    /// CPS3 through a contactless reader: no PIN and no signature (CARDS.md §2.4).
    Cps3Contactless,
    /// CPS4 (behaves like a CPS3 at power-on, CARDS.md §2.1).
    Cps4,
}

impl CpxModel {
    pub fn name(self) -> &'static str {
        match self {
            Self::Cps3 => "CPS3",
            Self::Cps3Contactless => "CPS3 (contactless)",
            Self::Cps4 => "CPS4",
        }
    }
}

const CPS3_MASK: &[u8] = &[
    0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF,
    0xFF,
];
const EXACT_17: &[u8] = &[0xFF; 17];

const TABLE: &[(AtrPattern, CpxModel)] = &[
    (
        AtrPattern {
            value: &[
                0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10,
                0x00, 0x90, 0x00,
            ],
            mask: CPS3_MASK,
        },
        CpxModel::Cps3,
    ),
    (
        AtrPattern {
            value: &[
                0x3B, 0x8F, 0x80, 0x01, 0x00, 0x31, 0xB8, 0x64, 0x04, 0xB0, 0xEC, 0xC1, 0x73, 0x94,
                0x01, 0x80, 0x82, 0x90, 0x00, 0x0E,
            ],
            mask: &[
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xC0, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            ],
        },
        CpxModel::Cps3Contactless,
    ),
    (
        AtrPattern {
            value: &[
                0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x04, 0x01, 0x00,
                0x00, 0x90, 0x44,
            ],
            mask: EXACT_17,
        },
        CpxModel::Cps4,
    ),
    (
        AtrPattern {
            value: &[
                0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x04, 0x01,
                0x00, 0x90, 0x44,
            ],
            mask: EXACT_17,
        },
        CpxModel::Cps4,
    ),
    (
        AtrPattern {
            value: &[
                0x3B, 0xDC, 0x18, 0xFF, 0x00, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x04, 0x01,
                0x00, 0x90, 0x00,
            ],
            mask: EXACT_17,
        },
        CpxModel::Cps4,
    ),
];

/// The CPx model of a card, `None` when the ATR is not a CPx one.
pub fn detect(atr: &[u8]) -> Option<CpxModel> {
    TABLE.iter().find(|(p, _)| p.matches(atr)).map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_cps3_versions_match_under_the_mask() {
        let a = apdu::hex::parse("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00").unwrap();
        let b = apdu::hex::parse("3B AC 00 40 2A 00 12 25 00 64 80 82 02 12 00 90 00").unwrap();
        assert_eq!(detect(&a), Some(CpxModel::Cps3));
        assert_eq!(detect(&b), Some(CpxModel::Cps3));
        let vitale = apdu::hex::parse("3B 75 13 00 00 45 09 EA 90 00").unwrap();
        assert_eq!(detect(&vitale), None);
        let cl = apdu::hex::parse("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E")
            .unwrap();
        assert_eq!(detect(&cl), Some(CpxModel::Cps3Contactless));
    }
}
