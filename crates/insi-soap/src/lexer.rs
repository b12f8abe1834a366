//! The XML lexer under the scanner: start tags (with their attributes), end tags, text runs and
//! CDATA sections, read straight from the input's bytes; comments, processing instructions and
//! the XML declaration are checked and passed over.
//!
//! Ours rather than quick-xml's reader (docs/codec.md §Performance): the input is checked as
//! UTF-8 once instead of once per event, names are compared as bytes, and text and attribute
//! values are slices of the input unless they hold a reference or a CR. It enforces the
//! well-formedness rules the decoders rely on — names, quoted attributes without duplicates,
//! references, XML characters, no DOCTYPE, a declaration only at the start, terminated
//! constructs. End tags are compared with the name the scanner says is open (`expected_end`);
//! namespaces and nesting are the scanner's.

use std::borrow::Cow;

use crate::error::DecodeErrorKind;
use crate::xmlchar::{
    ATTR_STOP, LexError, NAME, NAME_START, TEXT_STOP, check_chars, check_nonchar, class,
    decode_attribute, forbidden, is_space, name_end, reference, same_bytes, space_end,
};

/// Where an element name lies in the input: `from..to`, with the colon at `colon` (`from` when
/// there is none: a name never starts with one). Offsets rather than slices: they are copied
/// from the lexer to the scanner to the decoders, and a `&str` copied through memory costs more
/// on this path (docs/codec.md §Performance).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Name {
    from: usize,
    colon: usize,
    to: usize,
}

impl Name {
    /// The name as written, `prefix:local` or `local`.
    pub(crate) fn qname(self, src: &str) -> &str {
        src.get(self.from..self.to).unwrap_or_default()
    }

    /// The offset just after the name.
    pub(crate) fn end(self) -> usize {
        self.to
    }

    /// The prefix, "" without one.
    pub(crate) fn prefix(self, src: &str) -> &str {
        src.get(self.from..self.colon).unwrap_or_default()
    }

    pub(crate) fn local(self, src: &str) -> &str {
        let from = if self.colon == self.from {
            self.from
        } else {
            self.colon + 1
        };
        src.get(from..self.to).unwrap_or_default()
    }
}

/// One attribute of a start tag, its value as written (between the quotes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attr<'i> {
    pub(crate) key: &'i str,
    raw: &'i str,
    /// No reference, TAB, LF or CR: the value is `raw` itself.
    plain: bool,
}

impl<'i> Attr<'i> {
    /// The normalised value (XML 1.0 §3.3.3), borrowed from the input when nothing changes.
    pub(crate) fn value(&self) -> Cow<'i, str> {
        if self.plain {
            Cow::Borrowed(self.raw)
        } else {
            let mut out = String::with_capacity(self.raw.len());
            decode_attribute(self.raw, &mut out);
            Cow::Owned(out)
        }
    }
}

/// What the lexer has just read. Its details are in the lexer's fields, named with each
/// variant: a fieldless token costs a register to return where a token carrying its slices was
/// a struct copied through memory, stalling on this path (docs/codec.md §Performance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    /// A start tag at `at`: `name`, `attr_text()` up to `attrs_to` (checked; also parsed into
    /// `attrs` until the next token), `empty` for `<x/>` (no content and no end tag follow).
    Start,
    /// An end tag at `at`: `name`.
    End,
    /// Character data at `at`, up to the next `<`: `text()` as written, `plain` when it holds
    /// no reference and no CR (then it is its own value).
    Text,
    /// A CDATA section at `at`: `text()`.
    CData,
    Eof,
}

pub(crate) struct Lexer<'i> {
    src: &'i str,
    pub(crate) pos: usize,
    max_attributes: usize,
    /// Longest attribute value, decoded.
    max_value_bytes: usize,
    /// Where the last token starts.
    pub(crate) at: usize,
    pub(crate) name: Name,
    /// The end of what lies between the name and the `>` of the last start tag.
    pub(crate) attrs_to: usize,
    /// The attributes of the last start tag (the buffer is reused from tag to tag).
    pub(crate) attrs: Vec<Attr<'i>>,
    /// The name of the innermost open element, set by the scanner: what the next end tag
    /// most likely says.
    pub(crate) expected_end: &'i str,
    /// The last end tag's name is `expected_end`.
    pub(crate) end_matched: bool,
    pub(crate) empty: bool,
    text_from: usize,
    text_to: usize,
    pub(crate) plain: bool,
}

fn syntax(at: usize, message: impl Into<String>) -> LexError {
    LexError::new(at, DecodeErrorKind::Syntax(message.into()))
}

/// A construct the input ends inside of (a truncated message): said in the same words whatever
/// the construct, so that a reader sees at once that the message is cut.
fn truncated(at: usize, inside: &str) -> LexError {
    syntax(at, format!("unexpected end of input {inside}"))
}

/// Where `needle` starts in `bytes` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Reads the attribute whose name starts at `at` (`key = "value"`, either quote, spaces around
/// `=`); returns it and the offset after its closing quote.
pub(crate) fn attribute(src: &str, at: usize) -> Result<(Attr<'_>, usize), LexError> {
    let bytes = src.as_bytes();
    if bytes.get(at).is_none_or(|&b| class(b) & NAME_START == 0) {
        return Err(syntax(at, "invalid attribute name"));
    }
    let key_end = name_end(bytes, at);
    let key = src.get(at..key_end).unwrap_or_default();
    let eq = space_end(bytes, key_end);
    match bytes.get(eq) {
        Some(b'=') => {}
        None => return Err(truncated(at, &format!("in attribute '{key}'"))),
        Some(_) => return Err(syntax(at, format!("attribute '{key}' has no value"))),
    }
    let open = space_end(bytes, eq + 1);
    let quote = match bytes.get(open) {
        Some(&q @ (b'"' | b'\'')) => q,
        None => return Err(truncated(at, &format!("in attribute '{key}'"))),
        Some(_) => return Err(syntax(open, format!("the value of '{key}' is not quoted"))),
    };
    let mut i = open + 1;
    let mut plain = true;
    loop {
        let Some(&b) = bytes.get(i) else {
            return Err(truncated(at, &format!("in the value of '{key}'")));
        };
        if b == quote {
            break;
        }
        if class(b) & ATTR_STOP != 0 {
            match b {
                b'<' => return Err(syntax(i, format!("'<' in the value of '{key}'"))),
                b'&' => {
                    i += reference(bytes, i)?.1;
                    plain = false;
                    continue;
                }
                b'\t' | b'\n' | b'\r' => plain = false,
                0xEF => check_nonchar(bytes, i)?,
                _ => return Err(forbidden(i, b)),
            }
        }
        i += 1;
    }
    let raw = src.get(open + 1..i).unwrap_or_default();
    Ok((Attr { key, raw, plain }, i + 1))
}

/// The attributes of a start tag the lexer has checked, read again (only the few elements whose
/// attributes a decoder wants pay for it).
#[derive(Clone, Debug)]
pub(crate) struct Attributes<'i> {
    /// The start tag's text between its name and its `>`.
    text: &'i str,
    pos: usize,
}

impl<'i> Attributes<'i> {
    pub(crate) fn new(text: &'i str) -> Attributes<'i> {
        Attributes { text, pos: 0 }
    }
}

impl<'i> Iterator for Attributes<'i> {
    type Item = Attr<'i>;

    fn next(&mut self) -> Option<Attr<'i>> {
        let at = space_end(self.text.as_bytes(), self.pos);
        if at >= self.text.len() {
            return None;
        }
        match attribute(self.text, at) {
            Ok((a, next)) => {
                self.pos = next;
                Some(a)
            }
            // Checked when lexed: not reached, and the iteration simply ends.
            Err(_) => None,
        }
    }
}

impl<'i> Lexer<'i> {
    pub(crate) fn new(src: &'i str, max_attributes: usize, max_value_bytes: usize) -> Lexer<'i> {
        Lexer {
            src,
            pos: 0,
            max_attributes,
            max_value_bytes,
            at: 0,
            name: Name::default(),
            attrs_to: 0,
            // Room for the declarations of an INSi RESULTAT tag without regrowing.
            attrs: Vec::with_capacity(8),
            expected_end: "",
            end_matched: false,
            empty: false,
            text_from: 0,
            text_to: 0,
            plain: true,
        }
    }

    /// The last text run or CDATA content.
    pub(crate) fn text(&self) -> &'i str {
        self.slice(self.text_from, self.text_to)
    }

    fn slice(&self, from: usize, to: usize) -> &'i str {
        // Every boundary is next to an ASCII delimiter, hence a character boundary.
        self.src.get(from..to).unwrap_or_default()
    }

    #[inline(always)]
    pub(crate) fn next(&mut self) -> Result<Token, LexError> {
        let bytes = self.src.as_bytes();
        loop {
            let at = self.pos;
            self.at = at;
            let Some(&b) = bytes.get(at) else {
                return Ok(Token::Eof);
            };
            if b != b'<' {
                return self.char_data(at);
            }
            match bytes.get(at + 1) {
                Some(b'/') => return self.end_tag(at),
                Some(b'?') => self.processing_instruction(at)?,
                Some(b'!') => {
                    if self.bang(at)? {
                        return Ok(Token::CData);
                    }
                }
                _ => return self.start_tag(at),
            }
        }
    }

    fn char_data(&mut self, at: usize) -> Result<Token, LexError> {
        let bytes = self.src.as_bytes();
        let mut i = at;
        let mut plain = true;
        while let Some(&b) = bytes.get(i) {
            if class(b) & TEXT_STOP != 0 {
                match b {
                    b'<' => break,
                    b'&' => {
                        i += reference(bytes, i)?.1;
                        plain = false;
                        continue;
                    }
                    b'\r' => plain = false,
                    b']' => {
                        if bytes.get(i + 1..i + 3) == Some(b"]>") {
                            return Err(syntax(i, "']]>' is not allowed in text"));
                        }
                    }
                    0xEF => check_nonchar(bytes, i)?,
                    _ => return Err(forbidden(i, b)),
                }
            }
            i += 1;
        }
        self.pos = i;
        self.text_from = at;
        self.text_to = i;
        self.plain = plain;
        Ok(Token::Text)
    }

    /// Reads `prefix:local` or `local` starting at `from` into `self.name` (written in place: a
    /// `Name` returned and copied stalls, see [`Token`]); at most one colon, not at either end.
    #[inline(always)]
    fn name(&mut self, from: usize, tag: usize) -> Result<(), LexError> {
        let bytes = self.src.as_bytes();
        match bytes.get(from) {
            Some(&b) if class(b) & NAME_START != 0 && b != b':' => {}
            None => return Err(truncated(tag, "after '<'")),
            Some(_) => return Err(syntax(tag, "'<' is not followed by an element name")),
        }
        let mut colon = from;
        let mut colons = 0;
        let mut i = from;
        while let Some(&b) = bytes.get(i) {
            if class(b) & NAME == 0 {
                break;
            }
            if b == b':' {
                colon = i;
                colons += 1;
            }
            i += 1;
        }
        if i == bytes.len() {
            return Err(truncated(tag, "in a start tag"));
        }
        if colons > 1 || (colons == 1 && colon + 1 == i) {
            return Err(syntax(
                tag,
                format!(
                    "element name '{}' is not a valid qualified name",
                    self.slice(from, i)
                ),
            ));
        }
        self.name = Name { from, colon, to: i };
        Ok(())
    }

    fn start_tag(&mut self, at: usize) -> Result<Token, LexError> {
        let bytes = self.src.as_bytes();
        self.name(at + 1, at)?;
        let name = self.name;
        let mut i = name.to;
        self.attrs.clear();
        loop {
            let spaced = space_end(bytes, i);
            match bytes.get(spaced) {
                None => {
                    return Err(truncated(
                        at,
                        &format!("in the start tag <{}>", name.qname(self.src)),
                    ));
                }
                Some(b'>') => {
                    self.pos = spaced + 1;
                    self.attrs_to = spaced;
                    self.empty = false;
                    return Ok(Token::Start);
                }
                Some(b'/') if bytes.get(spaced + 1) == Some(&b'>') => {
                    self.pos = spaced + 2;
                    self.attrs_to = spaced;
                    self.empty = true;
                    return Ok(Token::Start);
                }
                Some(b'/') if spaced + 1 == bytes.len() => {
                    return Err(truncated(
                        at,
                        &format!("in the start tag <{}>", name.qname(self.src)),
                    ));
                }
                Some(_) if spaced == i => {
                    return Err(syntax(
                        spaced,
                        format!(
                            "expected a space, '>' or '/>' in the start tag <{}>",
                            name.qname(self.src)
                        ),
                    ));
                }
                Some(_) => {
                    let (attr, next) = attribute(self.src, spaced)?;
                    if self.attrs.len() >= self.max_attributes {
                        return Err(LexError::new(
                            at,
                            DecodeErrorKind::TooManyAttributes {
                                limit: self.max_attributes,
                            },
                        ));
                    }
                    // The raw value bounds the decoded one: decoding only when it might be over.
                    if attr.raw.len() > self.max_value_bytes
                        && attr.value().len() > self.max_value_bytes
                    {
                        return Err(LexError::new(
                            at,
                            DecodeErrorKind::TooLong {
                                what: "an attribute value is",
                                limit: self.max_value_bytes,
                            },
                        ));
                    }
                    if self.attrs.iter().any(|a| a.key == attr.key) {
                        return Err(syntax(
                            spaced,
                            format!("duplicate attribute '{}'", attr.key),
                        ));
                    }
                    self.attrs.push(attr);
                    i = next;
                }
            }
        }
    }

    fn end_tag(&mut self, at: usize) -> Result<Token, LexError> {
        let bytes = self.src.as_bytes();
        // Usually the name is the one expected: compared a word at a time, it needs no scan
        // byte by byte (the start tag has checked its characters).
        let expected = self.expected_end.as_bytes();
        let to = at + 2 + expected.len();
        self.end_matched = !expected.is_empty()
            && bytes
                .get(at + 2..to)
                .is_some_and(|n| same_bytes(n, expected))
            && bytes.get(to).is_none_or(|&b| class(b) & NAME == 0);
        let end = if self.end_matched {
            to
        } else {
            name_end(bytes, at + 2)
        };
        let close = space_end(bytes, end);
        match bytes.get(close) {
            Some(b'>') if end > at + 2 => {}
            None => return Err(truncated(at, "in an end tag")),
            Some(_) => return Err(syntax(at, "malformed end tag (expected </name>)")),
        }
        self.pos = close + 1;
        self.name = Name {
            from: at + 2,
            colon: at + 2,
            to: end,
        };
        Ok(Token::End)
    }

    /// `<?target …?>`, or the XML declaration `<?xml …?>` (encoding checked).
    fn processing_instruction(&mut self, at: usize) -> Result<(), LexError> {
        let bytes = self.src.as_bytes();
        let from = at + 2;
        match bytes.get(from) {
            Some(&b) if class(b) & NAME_START != 0 => {}
            None => return Err(truncated(at, "after '<?'")),
            Some(_) => return Err(syntax(at, "processing instruction without a target")),
        }
        let target_end = name_end(bytes, from);
        let Some(close) = find(bytes, target_end, b"?>") else {
            return Err(truncated(at, "in a processing instruction (no '?>')"));
        };
        if close != target_end && !bytes.get(target_end).is_some_and(|&b| is_space(b)) {
            return Err(syntax(target_end, "invalid processing instruction target"));
        }
        check_chars(bytes, target_end, close)?;
        let target = self.slice(from, target_end);
        if target.eq_ignore_ascii_case("xml") {
            // Only whitespace may precede it (strictly nothing may; a stray leading newline is
            // tolerated, docs/codec.md).
            let at_start = bytes
                .get(..at)
                .is_some_and(|b| b.iter().all(|&b| is_space(b)));
            if target != "xml" || !at_start {
                return Err(syntax(
                    at,
                    "an XML declaration is only allowed at the start of the document",
                ));
            }
            self.declaration(target_end, close)?;
        }
        self.pos = close + 2;
        Ok(())
    }

    /// The pseudo-attributes of the declaration; any `encoding` must be UTF-8.
    fn declaration(&self, from: usize, to: usize) -> Result<(), LexError> {
        let bytes = self.src.as_bytes();
        let mut i = space_end(bytes, from);
        while i < to {
            let (attr, next) = attribute(self.src, i)
                .ok()
                .filter(|(_, next)| *next <= to)
                .ok_or_else(|| syntax(i, "malformed XML declaration"))?;
            if attr.key == "encoding" {
                let enc = attr.value();
                if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                    return Err(LexError::new(
                        i,
                        DecodeErrorKind::Encoding(enc.into_owned()),
                    ));
                }
            }
            let spaced = space_end(bytes, next);
            if spaced == next && next < to {
                return Err(syntax(next, "malformed XML declaration"));
            }
            i = spaced;
        }
        Ok(())
    }

    /// `<!--…-->` (passed over), `<![CDATA[…]]>` (true: a token), or a refused `<!DOCTYPE`.
    fn bang(&mut self, at: usize) -> Result<bool, LexError> {
        let bytes = self.src.as_bytes();
        let rest = bytes.get(at..).unwrap_or_default();
        if rest.starts_with(b"<!--") {
            let Some(dashes) = find(bytes, at + 4, b"--") else {
                return Err(truncated(at, "in a comment (no '-->')"));
            };
            if bytes.get(dashes + 2) != Some(&b'>') {
                return Err(syntax(dashes, "'--' is not allowed inside a comment"));
            }
            check_chars(bytes, at + 4, dashes)?;
            self.pos = dashes + 3;
            return Ok(false);
        }
        if rest.starts_with(b"<![CDATA[") {
            let from = at + 9;
            let Some(close) = find(bytes, from, b"]]>") else {
                return Err(truncated(at, "in a CDATA section (no ']]>')"));
            };
            check_chars(bytes, from, close)?;
            self.pos = close + 3;
            self.text_from = from;
            self.text_to = close;
            return Ok(true);
        }
        if rest
            .get(2..9)
            .is_some_and(|d| d.eq_ignore_ascii_case(b"DOCTYPE"))
        {
            return Err(LexError::new(at, DecodeErrorKind::Dtd));
        }
        // The start of one of the three, cut by the end of the input.
        if [&b"<!--"[..], b"<![CDATA[", b"<!DOCTYPE"]
            .iter()
            .any(|m| m.len() > rest.len() && m.starts_with(rest))
        {
            return Err(truncated(at, "after '<!'"));
        }
        Err(syntax(at, "unknown markup after '<!'"))
    }
}

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token kind of `xml`, or the error's offset and message.
    fn lex(xml: &str) -> Result<Vec<String>, (usize, String)> {
        let mut lexer = Lexer::new(xml, 64, 100);
        let mut out = Vec::new();
        loop {
            match lexer.next().map_err(|e| {
                let (at, kind) = e.into_parts();
                (at, kind.to_string())
            })? {
                Token::Start => out.push(format!(
                    "<{}|{}|{}{}>",
                    lexer.name.prefix(xml),
                    lexer.name.local(xml),
                    lexer
                        .attrs
                        .iter()
                        .map(|a| format!("{}={};", a.key, a.value()))
                        .collect::<String>(),
                    if lexer.empty { "/" } else { "" }
                )),
                Token::End => out.push(format!("</{}>", lexer.name.qname(xml))),
                Token::Text => out.push(format!(
                    "{:?}{}",
                    lexer.text(),
                    if lexer.plain { "" } else { "*" }
                )),
                Token::CData => out.push(format!("[{}]", lexer.text())),
                Token::Eof => return Ok(out),
            }
        }
    }

    #[test]
    fn tokens_of_a_small_document() {
        let xml = "<?xml version='1.0' encoding=\"UTF-8\"?>\n<!-- c -->\
                   <p:a xmlns:p='urn:x' b = \"1&amp;2\"\tc='x\ny'>t&lt;<![CDATA[<&]]><?pi x?><e/></p:a>";
        assert_eq!(
            lex(xml).unwrap(),
            [
                "\"\\n\"",
                "<p|a|xmlns:p=urn:x;b=1&2;c=x y;>",
                "\"t&lt;\"*",
                "[<&]",
                "<|e|/>",
                "</p:a>",
            ]
        );
    }

    #[test]
    fn malformed_markup_is_refused_where_it_is() {
        for (xml, at) in [
            ("<a b='1' b='2'/>", 9),
            ("<a b='1'c='2'/>", 8),
            ("<a b=1/>", 5),
            ("<a b/>", 3),
            ("<a b='<'/>", 6),
            ("<a b='1/>", 3),
            ("< a/>", 0),
            ("<a:b:c/>", 0),
            ("<a:/>", 0),
            ("<:a/>", 0),
            ("<a", 0),
            ("<a>x]]>y</a>", 4),
            ("<a>&bogus</a>", 3),
            ("<a>\u{1}</a>", 3),
            ("<a>\u{FFFF}</a>", 3),
            ("<a>x</a b>", 4),
            ("<!-- a -- b -->", 7),
            ("<!-- open", 0),
            ("<![CDATA[open", 0),
            ("<!ELEMENT a>", 0),
            ("<a/><?xml version='1.0'?>", 4),
            ("<?XML version='1.0'?>", 0),
            ("<?xml version='1.0' encoding='ISO-8859-1'?>", 20),
            ("<?xml version='1.0'encoding='UTF-8'?>", 19),
            ("<?pi", 0),
        ] {
            let err = lex(xml).expect_err(xml);
            assert_eq!(err.0, at, "{xml}: {}", err.1);
        }
        assert_eq!(
            lex("<!DOCTYPE x>").unwrap_err().1,
            DecodeErrorKind::Dtd.to_string()
        );
        assert!(
            lex("<a>&nbsp;</a>")
                .unwrap_err()
                .1
                .contains("unknown entity '&nbsp;'")
        );
    }

    #[test]
    fn attributes_are_bounded_and_read_again_alike() {
        let many: String = (0..65).map(|i| format!(" a{i}='{i}'")).collect();
        assert!(
            lex(&format!("<x{many}/>"))
                .unwrap_err()
                .1
                .contains("more than 64 attributes")
        );
        // Values are bounded decoded: 101 bytes refused, 100 taken even when written longer.
        let long = "v".repeat(101);
        let err = lex(&format!("<x a='{long}'/>")).unwrap_err().1;
        assert!(err.contains("100-byte limit"), "{err}");
        let written_longer = "&#x76;".repeat(100);
        assert!(lex(&format!("<x a='{written_longer}'/>")).is_ok());
        let xml = "<x k='a&#9;b' l=\"2\"  />";
        let mut lexer = Lexer::new(xml, 64, 100);
        assert_eq!(lexer.next(), Ok(Token::Start));
        let again: Vec<_> = Attributes::new(&xml[lexer.name.end()..lexer.attrs_to])
            .map(|a| (a.key, a.value()))
            .collect();
        assert_eq!(again, [("k", "a\tb".into()), ("l", "2".into())]);
    }
}
