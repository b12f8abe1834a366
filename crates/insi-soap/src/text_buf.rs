//! The character data of the element being read, decoded only when a decoder asks for it.
//!
//! Most INSi values are one text run without a reference or a CR: they stay a slice of the input
//! until the decoder takes them (one allocation, for the value itself). Whitespace between
//! elements, texts of skipped elements and CRLF indentation are never copied or decoded.

use crate::xmlchar::{decode_cdata, decode_text};

#[derive(Clone, Copy)]
enum Held<'i> {
    Nothing,
    /// One text run, as written (`plain`: it holds no reference and no CR).
    Raw {
        raw: &'i str,
        plain: bool,
    },
    /// One CDATA section.
    CData(&'i str),
    /// Several pieces, decoded into `buf`.
    Decoded,
}

pub(crate) struct TextBuf<'i> {
    held: Held<'i>,
    buf: String,
}

impl Default for TextBuf<'_> {
    fn default() -> Self {
        TextBuf {
            held: Held::Nothing,
            buf: String::new(),
        }
    }
}

impl<'i> TextBuf<'i> {
    pub(crate) fn clear(&mut self) {
        self.held = Held::Nothing;
    }

    pub(crate) fn push_text(&mut self, raw: &'i str, plain: bool) {
        if let Held::Nothing = self.held {
            self.held = Held::Raw { raw, plain };
        } else {
            self.decode_held();
            decode_text(raw, &mut self.buf);
        }
    }

    pub(crate) fn push_cdata(&mut self, text: &'i str) {
        if let Held::Nothing = self.held {
            self.held = Held::CData(text);
        } else {
            self.decode_held();
            decode_cdata(text, &mut self.buf);
        }
    }

    /// Replaces the content with an already decoded text.
    pub(crate) fn set(&mut self, text: String) {
        self.buf = text;
        self.held = Held::Decoded;
    }

    /// Moves what is held into `buf`, decoded.
    fn decode_held(&mut self) {
        match self.held {
            Held::Nothing => self.buf.clear(),
            Held::Raw { raw, .. } => {
                self.buf.clear();
                decode_text(raw, &mut self.buf);
            }
            Held::CData(text) => {
                self.buf.clear();
                decode_cdata(text, &mut self.buf);
            }
            Held::Decoded => {}
        }
        self.held = Held::Decoded;
    }

    /// The length of the text as written: at least its decoded length.
    #[inline]
    pub(crate) fn written_len(&self) -> usize {
        match self.held {
            Held::Nothing => 0,
            Held::Raw { raw, .. } => raw.len(),
            Held::CData(text) => text.len(),
            Held::Decoded => self.buf.len(),
        }
    }

    /// The text, decoded (references resolved, line ends normalised), never trimmed.
    pub(crate) fn as_str(&mut self) -> &str {
        match self.held {
            Held::Nothing => "",
            Held::Raw { raw, plain: true } => raw,
            Held::CData(text) if !text.contains('\r') => text,
            _ => {
                self.decode_held();
                &self.buf
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_decoded_and_a_single_plain_run_is_borrowed() {
        let mut t = TextBuf::default();
        assert_eq!(t.as_str(), "");
        t.push_text("ABC", true);
        assert_eq!(t.as_str(), "ABC");
        t.push_text("D&apos;", false);
        t.push_cdata("<x>\r\n");
        t.push_text("\r", false);
        assert_eq!(t.as_str(), "ABCD'<x>\n\n");
        t.clear();
        t.push_cdata("a\rb");
        assert_eq!(t.as_str(), "a\nb");
        t.clear();
        t.push_text("x&#x4A;", false);
        assert_eq!(t.as_str(), "xJ");
    }
}
