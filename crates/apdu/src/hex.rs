//! Hex text for ATRs and APDUs, as people write them (`3B AC 00 40`).

use std::fmt::Write;

/// Upper-case hex, bytes separated by a space.
pub fn spaced(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// Upper-case hex without separators.
pub fn compact(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02X}");
            s
        })
}

/// Parses hex, ignoring spaces, colons and underscores. `None` on an odd digit count or a non-hex character.
pub fn parse(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !matches!(c, b' ' | b':' | b'_' | b'\n' | b'\t'))
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        assert_eq!(super::spaced(&[0x3B, 0x0A]), "3B 0A");
        assert_eq!(super::compact(&[0x3B, 0x0A]), "3B0A");
        assert_eq!(super::parse("3b:0a 90_00"), Some(vec![0x3B, 0x0A, 0x90, 0]));
        assert_eq!(super::parse("3"), None);
        assert_eq!(super::parse("zz"), None);
    }
}
