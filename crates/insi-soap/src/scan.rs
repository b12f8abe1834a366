//! A namespace-resolving pull scanner over untrusted bytes, shared by every decoder.
//!
//! It turns the lexer's tokens ([`crate::lexer`]) into `Open`/`Close` items carrying the
//! resolved [`Ns`], and enforces the rules of `docs/codec.md`: UTF-8 only (checked once, up
//! front), no DOCTYPE (so no entity declarations), only predefined entities and character
//! references, well-formed attributes on every start tag (skipped elements too), end tags
//! matching their start tags, bounded size, depth and attribute count. Text is accumulated
//! across text runs, references and CDATA sections and never trimmed per piece
//! (RUST-STACK.md §3 pitfall 2: trimming per event corrupts `D&apos;ARTAGNAN`).

use crate::error::{DecodeError, DecodeErrorKind, Limits, Position, Warning};
use crate::lexer::{Attr, Attributes, Lexer, Name, Token};
use crate::ns::Ns;
use crate::scope::Scope;
use crate::text_buf::TextBuf;
use crate::xmlchar::is_space;

/// A start tag as the decoders see it: its name and, on demand, its attributes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Start<'i> {
    src: &'i str,
    name: Name,
    /// The end of the tag's text between the name and the `>` (checked by the lexer).
    attrs_to: usize,
}

impl<'i> Start<'i> {
    /// The name without its prefix.
    pub(crate) fn local_name(&self) -> &'i str {
        self.name.local(self.src)
    }

    /// The name as written (`prefix:local`).
    pub(crate) fn qname(&self) -> &'i str {
        self.name.qname(self.src)
    }

    /// The attributes, values normalised on request ([`Attr::value`]).
    pub(crate) fn attributes(&self) -> Attributes<'i> {
        Attributes::new(
            self.src
                .get(self.name.end()..self.attrs_to)
                .unwrap_or_default(),
        )
    }
}

pub(crate) enum Item<'i> {
    Open {
        ns: Ns,
        start: Start<'i>,
        /// Byte offset of the `<` of the start tag.
        at: usize,
    },
    Close {
        /// Byte offset just after the end tag.
        end: usize,
    },
    Eof,
}

pub(crate) struct Scanner<'i> {
    src: &'i str,
    lexer: Lexer<'i>,
    scope: Scope<'i>,
    /// Names of the open elements, outermost first (end tags must match).
    open: Vec<&'i str>,
    /// The last `Open` was an empty-element tag (`<x/>`): its `Close` comes next.
    empty_pending: bool,
    limits: Limits,
    text: TextBuf<'i>,
    /// The text that preceded the last start tag (mixed content inside a leaf).
    before_open: TextBuf<'i>,
    /// An element has closed since `text` was last added to: the next text starts afresh. What
    /// follows an end tag is never joined to what preceded it — a leaf's value is read right
    /// after its end tag, and the text around a child of a leaf is joined by `read_leaf` — so
    /// whitespace between elements is not copied onto the last value.
    text_closed: bool,
    pub(crate) warnings: Vec<Warning>,
}

impl<'i> Scanner<'i> {
    pub(crate) fn new(input: &'i [u8], limits: Limits) -> Result<Scanner<'i>, DecodeError> {
        if input.len() > limits.max_bytes {
            return Err(DecodeError::at(
                input,
                limits.max_bytes,
                DecodeErrorKind::TooLarge {
                    size: input.len(),
                    limit: limits.max_bytes,
                },
            ));
        }
        let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        // One pass over the whole input (every byte of it belongs to the document); the lexer
        // then slices this `&str` at ASCII delimiters only.
        let src = std::str::from_utf8(body).map_err(|e| {
            DecodeError::at(
                body,
                e.valid_up_to(),
                DecodeErrorKind::NotUtf8(e.to_string()),
            )
        })?;
        Ok(Scanner {
            src,
            lexer: Lexer::new(src, limits.max_attributes, limits.max_value_bytes),
            scope: Scope::default(),
            // Sized for the depth of an INSi message (7), so that decoding does not regrow it.
            open: Vec::with_capacity(16),
            empty_pending: false,
            limits,
            text: TextBuf::default(),
            before_open: TextBuf::default(),
            text_closed: false,
            warnings: Vec::new(),
        })
    }

    pub(crate) fn input(&self) -> &'i [u8] {
        self.src.as_bytes()
    }

    /// The input as text (checked UTF-8).
    pub(crate) fn source(&self) -> &'i str {
        self.src
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    pub(crate) fn position(&self) -> usize {
        self.lexer.pos
    }

    pub(crate) fn error(&self, at: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::at(self.input(), at, kind)
    }

    /// A required child that did not come: the error every decoder gives for it.
    pub(crate) fn missing(
        &self,
        at: usize,
        parent: &'static str,
        element: &'static str,
    ) -> DecodeError {
        self.error(at, DecodeErrorKind::Missing { parent, element })
    }

    pub(crate) fn warn(&mut self, at: usize, message: String) {
        // The warning list is bounded too: a hostile message cannot make it grow without end.
        if self.warnings.len() < self.limits.max_repeats {
            self.warnings.push(Warning {
                position: Position::of(self.input(), at),
                message,
            });
        }
    }

    /// In-scope namespace bindings (prefix or "" for the default, URI), innermost last.
    pub(crate) fn bindings(&self) -> Vec<(String, String)> {
        self.scope.bindings()
    }

    pub(crate) fn next(&mut self) -> Result<Item<'i>, DecodeError> {
        if std::mem::take(&mut self.empty_pending) {
            return Ok(self.close());
        }
        loop {
            let token = self.lexer.next().map_err(|e| {
                let (at, kind) = e.into_parts();
                DecodeError::at(self.src.as_bytes(), at, kind)
            })?;
            match token {
                Token::Start => {
                    let at = self.lexer.at;
                    let name = self.lexer.name;
                    let ns = self
                        .scope
                        .open(name.prefix(self.src), &self.lexer.attrs)
                        .map_err(|kind| self.error(at, kind))?;
                    if self.open.len() >= self.limits.max_depth {
                        return Err(self.error(
                            at,
                            DecodeErrorKind::TooDeep {
                                limit: self.limits.max_depth,
                            },
                        ));
                    }
                    let qname = name.qname(self.src);
                    self.open.push(qname);
                    self.lexer.expected_end = qname;
                    self.empty_pending = self.lexer.empty;
                    if std::mem::take(&mut self.text_closed) {
                        self.text.clear();
                    }
                    std::mem::swap(&mut self.text, &mut self.before_open);
                    self.text.clear();
                    return Ok(Item::Open {
                        ns,
                        start: Start {
                            src: self.src,
                            name,
                            attrs_to: self.lexer.attrs_to,
                        },
                        at,
                    });
                }
                Token::End => {
                    let name = self.lexer.name.qname(self.src);
                    match self.open.last() {
                        // The lexer compared it with the innermost start tag's name.
                        Some(_) if self.lexer.end_matched => {}
                        Some(&open) => {
                            return Err(self.error(
                                self.lexer.at,
                                DecodeErrorKind::Syntax(format!(
                                    "end tag </{name}> does not match the start tag <{open}>"
                                )),
                            ));
                        }
                        None => {
                            return Err(self.error(
                                self.lexer.at,
                                DecodeErrorKind::Syntax(format!(
                                    "end tag </{name}> has no start tag"
                                )),
                            ));
                        }
                    }
                    return Ok(self.close());
                }
                // Outside the root only whitespace may appear; it is checked on its own and never
                // joins `text` (the text of a skipped last element must not be taken for it).
                Token::Text if self.open.is_empty() => {
                    if !self.lexer.text().bytes().all(is_space) {
                        return Err(self.text_outside_root(self.lexer.at));
                    }
                }
                Token::CData if self.open.is_empty() => {
                    return Err(self.text_outside_root(self.lexer.at));
                }
                Token::Text => {
                    if std::mem::take(&mut self.text_closed) {
                        self.text.clear();
                    }
                    self.text.push_text(self.lexer.text(), self.lexer.plain);
                    self.check_text_length()?;
                }
                Token::CData => {
                    if std::mem::take(&mut self.text_closed) {
                        self.text.clear();
                    }
                    self.text.push_cdata(self.lexer.text());
                    self.check_text_length()?;
                }
                Token::Eof => {
                    if !self.open.is_empty() {
                        return Err(self.error(
                            self.src.len(),
                            DecodeErrorKind::Syntax("unexpected end of input".into()),
                        ));
                    }
                    return Ok(Item::Eof);
                }
            }
        }
    }

    /// Refuses the current element's text once it is longer than `max_value_bytes` (decoded),
    /// at the piece that made it so.
    #[inline]
    fn check_text_length(&mut self) -> Result<(), DecodeError> {
        // The text as written bounds the decoded one: decoding only when it might be over.
        if self.text.written_len() > self.limits.max_value_bytes {
            return self.check_decoded_text_length();
        }
        Ok(())
    }

    #[cold]
    fn check_decoded_text_length(&mut self) -> Result<(), DecodeError> {
        let limit = self.limits.max_value_bytes;
        if self.text.as_str().len() > limit {
            return Err(self.error(
                self.lexer.at,
                DecodeErrorKind::TooLong {
                    what: "an element's text is",
                    limit,
                },
            ));
        }
        Ok(())
    }

    /// Leaves the innermost open element.
    fn close(&mut self) -> Item<'i> {
        self.text_closed = true;
        self.open.pop();
        self.lexer.expected_end = self.open.last().copied().unwrap_or_default();
        self.scope.close();
        Item::Close {
            end: self.lexer.pos,
        }
    }

    fn text_outside_root(&self, at: usize) -> DecodeError {
        self.error(
            at,
            DecodeErrorKind::Syntax("text outside the root element".into()),
        )
    }

    /// Consumes everything up to and including the end of the element just opened.
    pub(crate) fn skip(&mut self) -> Result<usize, DecodeError> {
        let mut level = 1usize;
        loop {
            match self.next()? {
                Item::Open { .. } => level += 1,
                Item::Close { end, .. } => {
                    level -= 1;
                    if level == 0 {
                        // What a skipped element held is nobody's text.
                        self.text.clear();
                        return Ok(end);
                    }
                }
                Item::Eof => {
                    return Err(self.error(
                        self.position(),
                        DecodeErrorKind::Syntax("unexpected end of input".into()),
                    ));
                }
            }
        }
    }

    /// Reads a leaf element just opened and returns its text (decoded, untrimmed); child
    /// elements, if any, are skipped with a warning.
    pub(crate) fn leaf(&mut self, name: &str) -> Result<String, DecodeError> {
        self.read_leaf(name)?;
        let out = self.text.as_str().to_owned();
        self.text.clear();
        Ok(out)
    }

    /// [`Scanner::leaf`] for coded values (codes, matricules, dates): XML whitespace trimmed.
    pub(crate) fn leaf_coded(&mut self, name: &str) -> Result<String, DecodeError> {
        self.read_leaf(name)?;
        let out = trim(self.text.as_str()).to_owned();
        self.text.clear();
        Ok(out)
    }

    /// [`Scanner::leaf_coded`] for a value that becomes a code (`CodeCR`, `OID`): read in place,
    /// without a `String` of its own.
    pub(crate) fn leaf_code<T>(
        &mut self,
        name: &str,
        code: impl FnOnce(&str) -> T,
    ) -> Result<T, DecodeError> {
        self.read_leaf(name)?;
        let out = code(trim(self.text.as_str()));
        self.text.clear();
        Ok(out)
    }

    /// Leaves the leaf's whole text in `self.text` (borrowed from the input when it is one
    /// plain run: then the value's own allocation is the only one).
    fn read_leaf(&mut self, name: &str) -> Result<(), DecodeError> {
        if let Some(text) = self.plain_leaf() {
            self.text.clear();
            self.text.push_text(text, true);
            return Ok(());
        }
        let mut around_child: Option<String> = None;
        loop {
            match self.next()? {
                Item::Open { at, .. } => {
                    around_child
                        .get_or_insert_with(String::new)
                        .push_str(self.before_open.as_str());
                    self.warn(at, format!("unexpected element inside <{name}>, ignored"));
                    self.skip()?;
                    self.text.clear();
                }
                Item::Close { .. } => {
                    if let Some(mut text) = around_child {
                        text.push_str(self.text.as_str());
                        self.text.set(text);
                    }
                    return Ok(());
                }
                Item::Eof => {
                    return Err(self.error(
                        self.position(),
                        DecodeErrorKind::Syntax("unexpected end of input".into()),
                    ));
                }
            }
        }
    }

    /// The text of the leaf just opened when it is the usual `<x>text</x>` (one run without a
    /// reference or a CR, or nothing), read straight from the lexer rather than through `next`
    /// twice. `None` for anything else (a child, a comment, CDATA, a reference, an error), with
    /// the lexer put back where it was for the general path.
    fn plain_leaf(&mut self) -> Option<&'i str> {
        if std::mem::take(&mut self.empty_pending) {
            self.close();
            return Some("");
        }
        let from = self.lexer.pos;
        let text = match self.lexer.next() {
            // A text over the limit takes the general path, which refuses it.
            Ok(Token::Text)
                if self.lexer.plain && self.lexer.text().len() <= self.limits.max_value_bytes =>
            {
                let text = self.lexer.text();
                matches!(self.lexer.next(), Ok(Token::End)).then_some(text)
            }
            Ok(Token::End) => Some(""),
            _ => None,
        };
        let closes = text.is_some() && self.lexer.end_matched;
        if !closes {
            self.lexer.pos = from;
            return None;
        }
        self.close();
        text
    }

    /// Reads to the end of the document, refusing a second root element.
    pub(crate) fn finish(&mut self) -> Result<(), DecodeError> {
        match self.next()? {
            Item::Eof => Ok(()),
            Item::Open { at, .. } => Err(self.error(at, DecodeErrorKind::TrailingContent)),
            Item::Close { end, .. } => Err(self.error(end, DecodeErrorKind::TrailingContent)),
        }
    }
}

pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Trims XML whitespace: used for coded values (CR, matricule, OID, dates), never for traits.
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_xml_space)
}

/// An attribute without prefix, decoded (entities, normalisation of attribute values).
pub(crate) fn attr(start: &Start<'_>, name: &str) -> Option<String> {
    start
        .attributes()
        .find(|a: &Attr<'_>| a.key == name)
        .map(|a| a.value().into_owned())
}

/// `prefix:local` as written, for messages.
pub(crate) fn describe(start: &Start<'_>) -> String {
    start.qname().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_keeps_text_around_an_unexpected_child_and_warns() {
        let xml = b"<a><b> X <c>skip</c>Y </b></a>";
        let mut sc = Scanner::new(xml, Limits::DEFAULT).unwrap();
        assert!(matches!(sc.next().unwrap(), Item::Open { .. }));
        assert!(matches!(sc.next().unwrap(), Item::Open { .. }));
        assert_eq!(sc.leaf("b").unwrap(), " X Y ");
        assert_eq!(sc.warnings.len(), 1);
    }

    #[test]
    fn invalid_utf8_anywhere_is_refused() {
        for bad in [
            &b"<a>\xff</a>"[..],
            b"<a\xff/>",
            b"<a b='\xc3'/>",
            b"<a><!-- \xfe --></a>",
            b"<a><?p \xff?></a>",
            b"<a><![CDATA[\xff]]></a>",
        ] {
            // Checked once, up front, for the whole input.
            let err = Scanner::new(bad, Limits::DEFAULT).err().expect("refused");
            assert!(
                matches!(err.kind, DecodeErrorKind::NotUtf8(_)),
                "{bad:?}: {err}"
            );
            let first_bad = bad.iter().position(|&b| b >= 0x80).unwrap();
            assert_eq!(err.position.byte, first_bad, "{bad:?}");
        }
    }

    #[test]
    fn end_tags_must_match_their_start_tags() {
        let all = |xml: &str| -> Result<(), DecodeError> {
            let mut sc = Scanner::new(xml.as_bytes(), Limits::DEFAULT)?;
            while !matches!(sc.next()?, Item::Eof) {}
            Ok(())
        };
        for ok in ["<a><b>x</b><c/></a>", "<p:a xmlns:p='u'><b></b ></p:a>"] {
            assert!(all(ok).is_ok(), "{ok}");
        }
        for (bad, at) in [
            ("<a><b></a></b>", 6),
            ("<a></ab>", 3),
            ("<ab></a>", 4),
            ("<a>x</a:b>", 4),
            ("<a/></a>", 4),
            ("</a>", 0),
        ] {
            let err = all(bad).expect_err(bad);
            assert!(
                matches!(err.kind, DecodeErrorKind::Syntax(_)),
                "{bad}: {err}"
            );
            assert_eq!(err.position.byte, at, "{bad}: {err}");
        }
    }

    #[test]
    fn depth_and_size_are_bounded() {
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        let mut sc = Scanner::new(deep.as_bytes(), Limits::DEFAULT).unwrap();
        let err = loop {
            match sc.next() {
                Err(e) => break e,
                Ok(Item::Eof) => panic!("no depth limit"),
                Ok(_) => {}
            }
        };
        assert!(matches!(err.kind, DecodeErrorKind::TooDeep { limit: 32 }));
        let big = vec![b' '; Limits::DEFAULT.max_bytes + 1];
        assert!(matches!(
            Scanner::new(&big, Limits::DEFAULT).err().map(|e| e.kind),
            Some(DecodeErrorKind::TooLarge { .. })
        ));
    }
}
