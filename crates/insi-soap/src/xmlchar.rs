//! Character-level rules of XML 1.0 shared by the lexer and the decoders: which bytes may appear
//! where, entity and character references, line-end and attribute-value normalisation.
//!
//! The input is one `&str` (UTF-8 checked once, up front), and every delimiter is ASCII, so the
//! lexer walks bytes and slices the `&str` at delimiters; one table lookup per byte classifies it.

use crate::error::DecodeErrorKind;

/// A lexing error: the byte offset it is reported at, and why. Boxed so that the lexer's
/// results stay two words, returned in registers: with the error inline, every `Ok` token
/// was a 48-byte value copied through memory, which stalls (docs/codec.md §Performance).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LexError(Box<(usize, DecodeErrorKind)>);

impl LexError {
    pub(crate) fn new(at: usize, kind: DecodeErrorKind) -> LexError {
        LexError(Box::new((at, kind)))
    }

    pub(crate) fn into_parts(self) -> (usize, DecodeErrorKind) {
        *self.0
    }
}

pub(crate) const NAME_START: u8 = 1;
pub(crate) const NAME: u8 = 2;
pub(crate) const SPACE: u8 = 4;
/// Bytes that end or complicate a text run: `<`, `&`, CR (line ends are normalised), `]` (for
/// `]]>`), 0xEF (U+FFFE and U+FFFF start with it) and the control characters XML forbids.
pub(crate) const TEXT_STOP: u8 = 8;
/// The same for attribute values, where TAB and LF are normalised to spaces too.
pub(crate) const ATTR_STOP: u8 = 16;
/// C0 controls other than TAB, LF and CR: not XML characters (XML 1.0 §2.2).
pub(crate) const FORBIDDEN: u8 = 32;

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut class = 0;
        // Names: ASCII letters, `_`, `:` and any non-ASCII character may start one (more lenient
        // than the Unicode ranges of XML 1.0 §2.3, never an issue for a reader); digits, `-` and
        // `.` may follow.
        if b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80 {
            class |= NAME_START | NAME;
        }
        if b.is_ascii_digit() || b == b'-' || b == b'.' {
            class |= NAME;
        }
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            class |= SPACE;
        }
        if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
            class |= FORBIDDEN | TEXT_STOP | ATTR_STOP;
        }
        if matches!(b, b'<' | b'&' | b'\r' | b']' | 0xEF) {
            class |= TEXT_STOP;
        }
        if matches!(b, b'<' | b'&' | b'\t' | b'\n' | b'\r' | 0xEF) {
            class |= ATTR_STOP;
        }
        table[i] = class;
        i += 1;
    }
    table
}

static CLASS: [u8; 256] = classes();

#[inline]
pub(crate) fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    class(b) & SPACE != 0
}

/// Equality of two short strings (names, prefixes), compared in line: a call to `memcmp` for a
/// few bytes costs more than the comparison (measured, docs/codec.md §Performance).
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Eight bytes at a time, then the rest.
    let (mut a8, mut b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |c: &[u8]| c.try_into().map_or(0, u64::from_ne_bytes);
    (&mut a8).zip(&mut b8).all(|(x, y)| word(x) == word(y))
        && a8
            .remainder()
            .iter()
            .zip(b8.remainder())
            .all(|(x, y)| x == y)
}

/// The end of the run of name characters starting at `from`.
#[inline]
pub(crate) fn name_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while bytes.get(i).is_some_and(|&b| class(b) & NAME != 0) {
        i += 1;
    }
    i
}

/// The end of the run of XML whitespace starting at `from`.
#[inline]
pub(crate) fn space_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while bytes.get(i).is_some_and(|&b| is_space(b)) {
        i += 1;
    }
    i
}

/// The error for a byte the lexer found where XML allows none: a forbidden control character.
pub(crate) fn forbidden(at: usize, b: u8) -> LexError {
    LexError::new(
        at,
        DecodeErrorKind::Syntax(format!(
            "character U+{b:04X} is not allowed in XML (only TAB, LF and CR among controls)"
        )),
    )
}

/// U+FFFE and U+FFFF (UTF-8 `EF BF BE`, `EF BF BF`) are not XML characters; `at` holds 0xEF.
#[inline]
pub(crate) fn check_nonchar(bytes: &[u8], at: usize) -> Result<(), LexError> {
    if matches!(bytes.get(at + 1..at + 3), Some([0xBF, 0xBE | 0xBF])) {
        return Err(LexError::new(
            at,
            DecodeErrorKind::Syntax("U+FFFE and U+FFFF are not XML characters".into()),
        ));
    }
    Ok(())
}

/// Checks that `bytes[from..to]` (comment, processing instruction or CDATA content) holds only
/// XML characters.
pub(crate) fn check_chars(bytes: &[u8], from: usize, to: usize) -> Result<(), LexError> {
    for (i, &b) in bytes.iter().enumerate().take(to).skip(from) {
        if class(b) & FORBIDDEN != 0 {
            return Err(forbidden(i, b));
        }
        if b == 0xEF {
            check_nonchar(bytes, i)?;
        }
    }
    Ok(())
}

/// What a reference stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ref {
    Char(char),
    Entity(&'static str),
}

/// XML 1.0 §2.2 `Char`: what a character reference may produce.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Reads the reference whose `&` is at `at`: one of the five predefined entities or a decimal or
/// hexadecimal character reference of an XML character. Returns it and its length in bytes.
/// There is no DTD, so no other entity exists: any other name is refused.
pub(crate) fn reference(bytes: &[u8], at: usize) -> Result<(Ref, usize), LexError> {
    let rest = bytes.get(at + 1..).unwrap_or_default();
    if let Some(number) = rest.strip_prefix(b"#") {
        let (digits, radix, prefix) = match number.strip_prefix(b"x") {
            Some(hex) => (hex, 16, 2),
            None => (number, 10, 1),
        };
        let malformed = || {
            LexError::new(
                at,
                DecodeErrorKind::Syntax(
                    "malformed character reference (expected &#DIGITS; or &#xHEX;)".into(),
                ),
            )
        };
        let mut value: u32 = 0;
        let mut count = 0;
        for &b in digits {
            let Some(d) = char::from(b).to_digit(radix) else {
                break;
            };
            // Past U+10FFFF nothing is a character: stop accumulating, refuse below.
            value = value.saturating_mul(radix).saturating_add(d).min(0x11_0000);
            count += 1;
        }
        if digits.get(count).is_none() {
            return Err(LexError::new(
                at,
                DecodeErrorKind::Syntax("unexpected end of input in a reference".into()),
            ));
        }
        if count == 0 || digits.get(count) != Some(&b';') {
            return Err(malformed());
        }
        let Some(c) = char::from_u32(value).filter(|&c| is_xml_char(c)) else {
            return Err(LexError::new(
                at,
                DecodeErrorKind::Syntax(format!(
                    "character reference to {value:#X}, which is not an XML character"
                )),
            ));
        };
        return Ok((Ref::Char(c), 1 + prefix + count + 1));
    }
    let n = name_end(rest, 0);
    let name = rest.get(..n).unwrap_or_default();
    if rest.get(n).is_none() {
        return Err(LexError::new(
            at,
            DecodeErrorKind::Syntax("unexpected end of input in a reference".into()),
        ));
    }
    if rest.get(n) != Some(&b';') || name.first().is_none_or(|&b| class(b) & NAME_START == 0) {
        return Err(LexError::new(
            at,
            DecodeErrorKind::Syntax(
                "'&' does not start a reference (write a literal '&' as &amp;)".into(),
            ),
        ));
    }
    let entity = match name {
        b"lt" => "<",
        b"gt" => ">",
        b"amp" => "&",
        b"apos" => "'",
        b"quot" => "\"",
        _ => {
            return Err(LexError::new(
                at,
                DecodeErrorKind::UnknownEntity(String::from_utf8_lossy(name).into_owned()),
            ));
        }
    };
    Ok((Ref::Entity(entity), 1 + n + 1))
}

/// Appends the character data of a text run (references resolved, CR LF and lone CR read as
/// LF, XML 1.0 §2.11) to `out`. The lexer has checked the run.
pub(crate) fn decode_text(raw: &str, out: &mut String) {
    decode(raw, out, false);
}

/// Appends a normalised attribute value (XML 1.0 §3.3.3, every attribute being CDATA without a
/// DTD: each literal TAB, LF, CR or CR LF becomes one space; references are resolved).
pub(crate) fn decode_attribute(raw: &str, out: &mut String) {
    decode(raw, out, true);
}

/// Appends CDATA content with its line ends normalised (§2.11 applies to the whole document).
pub(crate) fn decode_cdata(raw: &str, out: &mut String) {
    let mut rest = raw;
    while let Some(cr) = rest.find('\r') {
        out.push_str(rest.get(..cr).unwrap_or_default());
        out.push('\n');
        let after = rest.get(cr + 1..).unwrap_or_default();
        rest = after.strip_prefix('\n').unwrap_or(after);
    }
    out.push_str(rest);
}

fn decode(raw: &str, out: &mut String, attribute: bool) {
    let bytes = raw.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let special = b == b'&' || b == b'\r' || (attribute && (b == b'\t' || b == b'\n'));
        if !special {
            i += 1;
            continue;
        }
        out.push_str(raw.get(copied..i).unwrap_or_default());
        match b {
            b'&' => match reference(bytes, i) {
                Ok((Ref::Char(c), len)) => {
                    out.push(c);
                    i += len;
                }
                Ok((Ref::Entity(s), len)) => {
                    out.push_str(s);
                    i += len;
                }
                // The lexer refused the run already; never reached, but never a panic.
                Err(_) => i += 1,
            },
            b'\r' => {
                out.push(if attribute { ' ' } else { '\n' });
                i += 1;
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            _ => {
                out.push(' ');
                i += 1;
            }
        }
        copied = i;
    }
    out.push_str(raw.get(copied..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: &str) -> String {
        let mut out = String::new();
        decode_text(raw, &mut out);
        out
    }

    #[test]
    fn references_resolve_to_their_character() {
        assert_eq!(
            text("D&apos;A &#39;&#x4A;&#201;&lt;&gt;&amp;&quot;"),
            "D'A 'JÉ<>&\""
        );
        assert_eq!(text("&#x1F600;"), "\u{1F600}");
        assert_eq!(text("&#0000065;"), "A");
    }

    #[test]
    fn bad_references_are_refused() {
        for bad in ["&", "&;", "&#;", "&#x;", "&#65", "&#xZZ;", "& amp;", "&1a;"] {
            assert!(
                matches!(
                    reference(bad.as_bytes(), 0).map_err(LexError::into_parts),
                    Err((0, DecodeErrorKind::Syntax(_)))
                ),
                "{bad}"
            );
        }
        for not_a_char in [
            "&#0;",
            "&#1;",
            "&#xD800;",
            "&#xFFFE;",
            "&#x110000;",
            "&#99999999999;",
        ] {
            assert!(reference(not_a_char.as_bytes(), 0).is_err(), "{not_a_char}");
        }
        assert_eq!(
            reference(b"&nbsp;", 0).map_err(LexError::into_parts),
            Err((0, DecodeErrorKind::UnknownEntity("nbsp".into())))
        );
    }

    #[test]
    fn line_ends_and_attribute_whitespace_are_normalised() {
        assert_eq!(text("a\r\nb\rc\n"), "a\nb\nc\n");
        let mut out = String::new();
        decode_attribute("a\r\nb\tc\nd&#10;", &mut out);
        assert_eq!(out, "a b c d\n");
        out.clear();
        decode_cdata("x\r\ny\rz", &mut out);
        assert_eq!(out, "x\ny\nz");
    }

    #[test]
    fn forbidden_characters_are_found() {
        assert!(check_chars(b"ok\t\n\r", 0, 5).is_ok());
        assert_eq!(
            check_chars(b"a\x01", 0, 2).map_err(|e| e.into_parts().0),
            Err(1)
        );
        assert_eq!(
            check_chars("a\u{FFFF}".as_bytes(), 0, 4).map_err(|e| e.into_parts().0),
            Err(1)
        );
        assert!(check_chars("\u{FFFD}".as_bytes(), 0, 3).is_ok());
    }
}
