//! Namespace scope of the scanner: which prefix means which namespace at the current element.

use quick_xml::XmlVersion;
use quick_xml::events::BytesStart;

use crate::error::DecodeErrorKind;
use crate::ns::Ns;
use crate::scan::map_xml_error;

/// Namespace bindings in scope, resolved to [`Ns`] once when declared.
///
/// Our own (rather than quick-xml's `NsReader`) because the decoders need the namespace of start
/// tags only: end tags are matched by depth, so resolving them is wasted work on the hot path.
/// Names live in one buffer, so steady-state decoding does not allocate per declaration.
pub(crate) struct Scope {
    /// Prefixes and URIs, back to back.
    names: String,
    /// (offset in `names`, prefix length, URI length, resolved namespace).
    bindings: Vec<(usize, usize, usize, Ns)>,
    /// `bindings.len()` when each open element started.
    marks: Vec<usize>,
}

impl Default for Scope {
    fn default() -> Self {
        // Room for an INSi response's declarations and depth without growing (each regrowth
        // cost more than the allocation itself: callgrind, docs/codec.md §Performance).
        Scope {
            names: String::with_capacity(256),
            bindings: Vec::with_capacity(8),
            marks: Vec::with_capacity(16),
        }
    }
}

const XMLNS: &str = "xmlns";

fn keys_before<'k>(keys: &'k [&'k str; 16], count: usize) -> &'k [&'k str] {
    keys.get(..count).unwrap_or(keys)
}

/// quick-xml's own duplicate check, for a start tag with more attributes than we track.
fn check_duplicates(start: &BytesStart<'_>) -> Result<(), DecodeErrorKind> {
    for a in start.attributes() {
        a.map_err(|e| DecodeErrorKind::Syntax(e.to_string()))?;
    }
    Ok(())
}

impl Scope {
    /// Checks every attribute of `start` (syntax, duplicates, entities: quick-xml parses them
    /// lazily), pushes its namespace declarations and returns its element's namespace. One
    /// pass over the attributes, and none at all for the usual element without any.
    pub(crate) fn open(
        &mut self,
        start: &BytesStart<'_>,
        limits: crate::Limits,
    ) -> Result<Ns, DecodeErrorKind> {
        self.marks.push(self.bindings.len());
        if !start
            .attributes_raw()
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            // quick-xml's duplicate check allocates per element; the few keys of an INSi start
            // tag are compared here instead (a longer list goes through quick-xml's check).
            let mut keys: [&str; 16] = [""; 16];
            let mut attributes = start.attributes();
            attributes.with_checks(false);
            for (count, a) in attributes.enumerate() {
                if count >= limits.max_attributes {
                    return Err(DecodeErrorKind::TooManyAttributes {
                        limit: limits.max_attributes,
                    });
                }
                let a = a.map_err(|e| DecodeErrorKind::Syntax(e.to_string()))?;
                if a.value.len() > limits.max_value_bytes {
                    return Err(DecodeErrorKind::TooLong {
                        what: "an attribute value is",
                        limit: limits.max_value_bytes,
                    });
                }
                let key: &str = a.key.into_inner();
                if count < keys.len() {
                    if keys_before(&keys, count).contains(&key) {
                        return Err(DecodeErrorKind::Syntax(format!(
                            "duplicate attribute '{key}'"
                        )));
                    }
                    keys[count] = key;
                } else if count == keys.len() {
                    check_duplicates(start)?;
                }
                // Nothing to normalise in most values (no reference, no tab or line end).
                let value: std::borrow::Cow<'_, str> = if a
                    .value
                    .bytes()
                    .any(|b| matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r'))
                {
                    a.normalized_value(XmlVersion::Implicit1_0)
                        .map_err(map_xml_error)?
                } else {
                    a.value.clone()
                };
                let prefix = match key.strip_prefix(XMLNS) {
                    Some("") => "",
                    Some(rest) => match rest.strip_prefix(':') {
                        Some(p) => p,
                        None => continue,
                    },
                    None => continue,
                };
                let ns = if value.is_empty() {
                    Ns::None
                } else {
                    Ns::of(&value)
                };
                let at = self.names.len();
                self.names.push_str(prefix);
                self.names.push_str(&value);
                self.bindings.push((at, prefix.len(), value.len(), ns));
            }
        }
        let name = start.name();
        let qname: &str = name.as_ref();
        let prefix = qname.split_once(':').map_or("", |(p, _)| p);
        match self.lookup(prefix) {
            Some(ns) => Ok(ns),
            None if prefix.is_empty() => Ok(Ns::None),
            None => Err(DecodeErrorKind::UndeclaredPrefix(prefix.to_owned())),
        }
    }

    fn lookup(&self, prefix: &str) -> Option<Ns> {
        self.bindings
            .iter()
            .rev()
            .find(|(at, len, _, _)| self.names.get(*at..at + len) == Some(prefix))
            .map(|b| b.3)
    }

    pub(crate) fn close(&mut self) {
        if let Some(mark) = self.marks.pop() {
            if let Some(&(at, _, _, _)) = self.bindings.get(mark) {
                self.names.truncate(at);
            }
            self.bindings.truncate(mark);
        }
    }

    pub(crate) fn bindings(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for &(at, plen, ulen, _) in &self.bindings {
            let prefix = self.names.get(at..at + plen).unwrap_or_default();
            let uri = self
                .names
                .get(at + plen..at + plen + ulen)
                .unwrap_or_default();
            // Innermost wins; an undeclared default (`xmlns=""`) is not a binding.
            out.retain(|(p, _)| p != prefix);
            if !uri.is_empty() {
                out.push((prefix.to_owned(), uri.to_owned()));
            }
        }
        out
    }
}
