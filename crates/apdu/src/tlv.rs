//! BER-TLV (ISO 7816-4 §5.2, X.690 §8.1): parse and build, with bounded tags, lengths and depth.
//!
//! Card data is untrusted. Tags are at most 3 bytes, lengths at most 3 bytes (16 MiB, far above
//! any card file); parsing is iterative (one level at a time, no recursion) and paths are at most
//! [`MAX_DEPTH`] tags; `00`/`FF` bytes between objects are
//! padding (ISO 7816-4 §5.2.2.1: Vitale files end with `00`s, CARDS.md §3.2).

use std::fmt;

use thiserror::Error;

/// Deepest path [`Tlv::find_path`] follows.
pub const MAX_DEPTH: usize = 16;

/// A tag, its raw bytes read as a big-endian integer (`0x65`, `0x7F21`, `0xBF8101`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

impl Tag {
    /// The tag's bytes, without leading zeros.
    pub fn to_bytes(self) -> Vec<u8> {
        let b = self.0.to_be_bytes();
        let skip = b.iter().take(3).take_while(|x| **x == 0).count();
        b[skip..].to_vec()
    }
    /// Constructed (bit 6 of the first byte): the value is itself a list of TLVs.
    pub fn is_constructed(self) -> bool {
        self.to_bytes().first().is_some_and(|b| b & 0x20 != 0)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.to_bytes() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// What was wrong with a BER-TLV encoding, and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlvError {
    #[error("BER-TLV truncated at byte {offset}: {what} runs past the end of the data")]
    Truncated { offset: usize, what: &'static str },
    #[error("BER-TLV tag at byte {offset} is longer than 3 bytes")]
    TagTooLong { offset: usize },
    #[error("BER-TLV length at byte {offset} is indefinite or longer than 3 bytes")]
    BadLength { offset: usize },
    #[error("BER-TLV nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// One data object borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: Tag,
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The children of a constructed object.
    pub fn children(&self) -> TlvIter<'a> {
        TlvIter::new(self.value)
    }

    /// The first child with `tag`, if the object is constructed and has one.
    pub fn child(&self, tag: Tag) -> Result<Option<Tlv<'a>>, TlvError> {
        for c in self.children() {
            let c = c?;
            if c.tag == tag {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// Follows a path of tags below this object (`self` excluded).
    pub fn find_path(&self, path: &[Tag]) -> Result<Option<Tlv<'a>>, TlvError> {
        if path.len() > MAX_DEPTH {
            return Err(TlvError::TooDeep);
        }
        let mut cur = *self;
        for tag in path {
            match cur.child(*tag)? {
                Some(c) => cur = c,
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }
}

/// Iterates over the objects of a byte string, skipping `00`/`FF` padding between them.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    data: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> TlvIter<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            failed: false,
        }
    }

    fn read_one(&mut self) -> Result<Tlv<'a>, TlvError> {
        let d = self.data;
        let start = self.pos;
        let first = d[start];
        let mut tag = u32::from(first);
        let mut p = start + 1;
        if first & 0x1F == 0x1F {
            loop {
                let b = *d.get(p).ok_or(TlvError::Truncated {
                    offset: start,
                    what: "tag",
                })?;
                p += 1;
                if p - start > 3 {
                    return Err(TlvError::TagTooLong { offset: start });
                }
                tag = (tag << 8) | u32::from(b);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let len_at = p;
        let l0 = *d.get(p).ok_or(TlvError::Truncated {
            offset: start,
            what: "length",
        })?;
        p += 1;
        let len = if l0 < 0x80 {
            usize::from(l0)
        } else {
            let n = usize::from(l0 & 0x7F);
            if n == 0 || n > 3 {
                return Err(TlvError::BadLength { offset: len_at });
            }
            let bytes = d.get(p..p + n).ok_or(TlvError::Truncated {
                offset: start,
                what: "length",
            })?;
            p += n;
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        let value = d
            .get(p..)
            .and_then(|rest| rest.get(..len))
            .ok_or(TlvError::Truncated {
                offset: start,
                what: "value",
            })?;
        self.pos = p + len;
        Ok(Tlv {
            tag: Tag(tag),
            value,
        })
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        while self
            .data
            .get(self.pos)
            .is_some_and(|b| *b == 0x00 || *b == 0xFF)
        {
            self.pos += 1;
        }
        if self.pos >= self.data.len() {
            return None;
        }
        let r = self.read_one();
        self.failed = r.is_err();
        Some(r)
    }
}

/// Parses every top-level object of `data`.
pub fn parse_all(data: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    TlvIter::new(data).collect()
}

/// The first top-level object with `tag`.
pub fn find(data: &[u8], tag: Tag) -> Result<Option<Tlv<'_>>, TlvError> {
    for t in TlvIter::new(data) {
        let t = t?;
        if t.tag == tag {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

/// Appends the DER length of `len` (definite form, shortest encoding).
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x83);
            out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        }
    }
}

/// Encodes one object.
pub fn encode(tag: Tag, value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_bytes();
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// Encodes a constructed object from already-encoded children.
pub fn encode_constructed(tag: Tag, children: &[Vec<u8>]) -> Vec<u8> {
    encode(tag, &children.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_cps3_pin_status_answer() {
        // CARDS.md §2.4: the GET DATA answer for the CHV SDO BF8101.
        let raw = [
            0x70, 0x16, 0xBF, 0x81, 0x01, 0x12, 0xA0, 0x10, 0x9A, 0x01, 0x03, 0x9B, 0x01, 0x03,
            0xA1, 0x08, 0x8C, 0x06, 0xF3, 0x00, 0x00, 0x13, 0xFF, 0x00,
        ];
        let top = find(&raw, Tag(0x70)).unwrap().unwrap();
        let tries = top
            .find_path(&[Tag(0xBF8101), Tag(0xA0), Tag(0x9B)])
            .unwrap()
            .unwrap();
        assert_eq!(tries.value, [3]);
        assert!(Tag(0xBF8101).is_constructed());
        assert_eq!(Tag(0xBF8101).to_string(), "BF8101");
    }

    #[test]
    fn skips_padding_and_reports_truncation() {
        let v = parse_all(&[0x80, 1, 0x41, 0, 0, 0x81, 0, 0]).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(
            parse_all(&[0x80, 5, 1]).unwrap_err(),
            TlvError::Truncated {
                offset: 0,
                what: "value"
            }
        );
        assert!(matches!(
            parse_all(&[0x80, 0x85, 1]),
            Err(TlvError::BadLength { .. })
        ));
        assert!(matches!(
            parse_all(&[0x1F, 0x81, 0x81, 0x81, 1]),
            Err(TlvError::TagTooLong { .. })
        ));
    }

    #[test]
    fn long_lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let v = vec![0xAB; n];
            let e = encode(Tag(0x5F37), &v);
            let got = parse_all(&e).unwrap();
            assert_eq!(
                got,
                vec![Tlv {
                    tag: Tag(0x5F37),
                    value: &v[..]
                }]
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            for t in TlvIter::new(&bytes).flatten() {
                let _ = t.find_path(&[Tag(0xA0), Tag(0x30), Tag(0x04)]);
            }
        }
    }
}
