//! A namespace-resolving pull scanner over untrusted bytes, shared by every decoder.
//!
//! It turns quick-xml events into `Open`/`Close` items carrying the resolved [`Ns`] and the
//! element's text, and enforces the rules of `docs/codec.md`: UTF-8 only, no DOCTYPE (so no
//! entity declarations), only predefined entities and character references, well-formed
//! attributes on every start tag (skipped elements too), bounded size and depth. Text is accumulated across `Text`/`GeneralRef`/`CData` events and never trimmed per
//! event (RUST-STACK.md §3 pitfall 2: trimming per event corrupts `D&apos;ARTAGNAN`).

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use crate::error::{DecodeError, DecodeErrorKind, Limits, Position, Warning};
use crate::ns::Ns;
use crate::scope::Scope;

pub(crate) enum Item<'i> {
    Open {
        ns: Ns,
        start: BytesStart<'i>,
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
    input: &'i [u8],
    reader: Reader<&'i [u8]>,
    scope: Scope,
    depth: usize,
    limits: Limits,
    text: String,
    /// The text that preceded the last start tag (mixed content inside a leaf).
    before_open: String,
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
        // quick-xml checks UTF-8 event by event (names and text are `&str`), and every byte of
        // the input belongs to an event, so no separate pass over the whole input is needed.
        let mut reader = Reader::from_reader(body);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        Ok(Scanner {
            input: body,
            reader,
            scope: Scope::default(),
            depth: 0,
            limits,
            // Sized for INSi values, so that decoding does not regrow them (docs/codec.md).
            text: String::with_capacity(64),
            before_open: String::with_capacity(64),
            warnings: Vec::new(),
        })
    }

    pub(crate) fn input(&self) -> &'i [u8] {
        self.input
    }

    /// Refuses a text that would grow past `max_value_bytes` with `more` bytes.
    fn check_text_room(&self, at: usize, more: usize) -> Result<(), DecodeError> {
        if self.text.len() + more > self.limits.max_value_bytes {
            return Err(self.error(
                at,
                DecodeErrorKind::TooLong {
                    what: "an element's text is",
                    limit: self.limits.max_value_bytes,
                },
            ));
        }
        Ok(())
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    pub(crate) fn position(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    pub(crate) fn error(&self, at: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::at(self.input, at, kind)
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
                position: Position::of(self.input, at),
                message,
            });
        }
    }

    /// In-scope namespace bindings (prefix or "" for the default, URI), innermost last.
    pub(crate) fn bindings(&self) -> Vec<(String, String)> {
        self.scope.bindings()
    }

    pub(crate) fn next(&mut self) -> Result<Item<'i>, DecodeError> {
        loop {
            let before = self.position();
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(err) => {
                    let at = usize::try_from(self.reader.error_position()).unwrap_or(before);
                    return Err(self.error(at, map_xml_error(err)));
                }
            };
            match event {
                Event::Start(start) => {
                    let ns = self
                        .scope
                        .open(&start, self.limits)
                        .map_err(|kind| self.error(before, kind))?;
                    self.depth += 1;
                    if self.depth > self.limits.max_depth {
                        return Err(self.error(
                            before,
                            DecodeErrorKind::TooDeep {
                                limit: self.limits.max_depth,
                            },
                        ));
                    }
                    std::mem::swap(&mut self.text, &mut self.before_open);
                    self.text.clear();
                    return Ok(Item::Open {
                        ns,
                        start,
                        at: before,
                    });
                }
                Event::End(_) => {
                    self.scope.close();
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(Item::Close {
                        end: self.position(),
                    });
                }
                // Outside the root only whitespace may appear; it is checked on its own and never
                // joins `text` (the text of a skipped last element must not be taken for it).
                Event::Text(t) if self.depth == 0 => {
                    if !t.trim_matches(is_xml_space).is_empty() {
                        return Err(self.text_outside_root(before));
                    }
                }
                Event::CData(_) | Event::GeneralRef(_) if self.depth == 0 => {
                    return Err(self.text_outside_root(before));
                }
                Event::Text(t) => {
                    self.check_text_room(before, t.len())?;
                    // Most texts are short and have no CR to normalise: look for one by hand
                    // (cheaper than the general path on a few bytes).
                    if t.as_bytes().contains(&b'\r') {
                        self.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                    } else {
                        self.text.push_str(&t);
                    }
                }
                Event::CData(c) => {
                    self.check_text_room(before, c.len())?;
                    self.text.push_str(&c.into_inner());
                }
                Event::GeneralRef(r) => match r.resolve_char_ref() {
                    Ok(Some(c)) => self.text.push(c),
                    Ok(None) => {
                        let name: &str = &r;
                        match resolve_predefined_entity(name) {
                            Some(s) => self.text.push_str(s),
                            None => {
                                return Err(self.error(
                                    before,
                                    DecodeErrorKind::UnknownEntity(name.to_owned()),
                                ));
                            }
                        }
                    }
                    Err(e) => {
                        return Err(self.error(before, DecodeErrorKind::Syntax(e.to_string())));
                    }
                },
                Event::DocType(_) => return Err(self.error(before, DecodeErrorKind::Dtd)),
                Event::Decl(decl) => {
                    if let Some(Ok(enc)) = decl.encoding() {
                        let enc: &str = &enc;
                        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                            return Err(
                                self.error(before, DecodeErrorKind::Encoding(enc.to_owned()))
                            );
                        }
                    }
                }
                Event::Comment(_) | Event::PI(_) | Event::Empty(_) => {}
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(self.error(
                            before,
                            DecodeErrorKind::Syntax("unexpected end of input".into()),
                        ));
                    }
                    return Ok(Item::Eof);
                }
            }
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
        let out = self.text.clone();
        self.text.clear();
        Ok(out)
    }

    /// [`Scanner::leaf`] for coded values (codes, matricules, dates): XML whitespace trimmed.
    pub(crate) fn leaf_coded(&mut self, name: &str) -> Result<String, DecodeError> {
        self.read_leaf(name)?;
        let out = trim(&self.text).to_owned();
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
        let out = code(trim(&self.text));
        self.text.clear();
        Ok(out)
    }

    /// Leaves the leaf's whole text in `self.text` (the buffer keeps its capacity between
    /// leaves: one allocation per value, for the value itself).
    fn read_leaf(&mut self, name: &str) -> Result<(), DecodeError> {
        let mut before_child = String::new();
        loop {
            match self.next()? {
                Item::Open { at, .. } => {
                    before_child.push_str(&self.before_open);
                    self.warn(at, format!("unexpected element inside <{name}>, ignored"));
                    self.skip()?;
                    self.text.clear();
                }
                Item::Close { .. } => {
                    if !before_child.is_empty() {
                        before_child.push_str(&self.text);
                        self.text = before_child;
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

    /// Reads to the end of the document, refusing a second root element.
    pub(crate) fn finish(&mut self) -> Result<(), DecodeError> {
        match self.next()? {
            Item::Eof => Ok(()),
            Item::Open { at, .. } => Err(self.error(at, DecodeErrorKind::TrailingContent)),
            Item::Close { end, .. } => Err(self.error(end, DecodeErrorKind::TrailingContent)),
        }
    }
}

pub(crate) fn map_xml_error(err: quick_xml::Error) -> DecodeErrorKind {
    match err {
        quick_xml::Error::Encoding(e) => DecodeErrorKind::NotUtf8(e.to_string()),
        quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(_, name)) => {
            DecodeErrorKind::UnknownEntity(name)
        }
        other => DecodeErrorKind::Syntax(other.to_string()),
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
pub(crate) fn attr(start: &BytesStart<'_>, name: &str) -> Option<String> {
    start.attributes().flatten().find_map(|a| {
        if a.key.as_ref() == name {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        } else {
            None
        }
    })
}

/// `{uri}local` or `prefix:local` for messages.
pub(crate) fn describe(start: &BytesStart<'_>) -> String {
    let name = start.name();
    let qname: &str = name.as_ref();
    qname.to_owned()
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
            let mut sc = Scanner::new(bad, Limits::DEFAULT).unwrap();
            let err = loop {
                match sc.next() {
                    Err(e) => break e,
                    Ok(Item::Eof) => panic!("accepted {bad:?}"),
                    Ok(_) => {}
                }
            };
            assert!(
                matches!(
                    err.kind,
                    DecodeErrorKind::NotUtf8(_) | DecodeErrorKind::Syntax(_)
                ),
                "{bad:?}: {err}"
            );
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
