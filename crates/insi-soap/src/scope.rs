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
#[derive(Default)]
pub(crate) struct Scope {
    /// Prefixes and URIs, back to back.
    names: String,
    /// (offset in `names`, prefix length, URI length, resolved namespace).
    bindings: Vec<(usize, usize, usize, Ns)>,
    /// `bindings.len()` when each open element started.
    marks: Vec<usize>,
}

const XMLNS: &str = "xmlns";

impl Scope {
    /// Pushes the declarations of `start` and returns its element's namespace.
    pub(crate) fn open(&mut self, start: &BytesStart<'_>) -> Result<Ns, DecodeErrorKind> {
        self.marks.push(self.bindings.len());
        if start.attributes_raw().contains(XMLNS) {
            for a in start.attributes() {
                let a = a.map_err(|e| DecodeErrorKind::Syntax(e.to_string()))?;
                let key: &str = a.key.as_ref();
                let prefix = match key.strip_prefix(XMLNS) {
                    Some("") => "",
                    Some(rest) => match rest.strip_prefix(':') {
                        Some(p) => p,
                        None => continue,
                    },
                    None => continue,
                };
                let uri = a
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(map_xml_error)?;
                let ns = if uri.is_empty() {
                    Ns::None
                } else {
                    Ns::of(&uri)
                };
                let at = self.names.len();
                self.names.push_str(prefix);
                self.names.push_str(&uri);
                self.bindings.push((at, prefix.len(), uri.len(), ns));
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
