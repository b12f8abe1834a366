//! ATR recognition by value and mask (CARDS.md §2.1: "mind the masks").

/// An ATR pattern: a card matches when it has the same length and `atr & mask == value & mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtrPattern {
    pub value: &'static [u8],
    pub mask: &'static [u8],
}

impl AtrPattern {
    pub fn matches(&self, atr: &[u8]) -> bool {
        atr.len() == self.value.len()
            && self.mask.len() == self.value.len()
            && atr
                .iter()
                .zip(self.value)
                .zip(self.mask)
                .all(|((a, v), m)| a & m == v & m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_ignores_the_masked_bytes() {
        let p = AtrPattern {
            value: &[0x3B, 0x75, 0x13, 0x40],
            mask: &[0xFF, 0xFF, 0xFF, 0xF0],
        };
        assert!(p.matches(&[0x3B, 0x75, 0x13, 0x45]));
        assert!(!p.matches(&[0x3B, 0x75, 0x13, 0x55]));
        assert!(!p.matches(&[0x3B, 0x75, 0x13]));
    }
}
