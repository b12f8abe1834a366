//! Namespace scope of the scanner: which prefix means which namespace at the current element.

use std::borrow::Cow;

use crate::error::DecodeErrorKind;
use crate::lexer::Attr;
use crate::ns::Ns;
use crate::xmlchar::same;

/// One `xmlns` / `xmlns:p` declaration in scope.
struct Binding<'i> {
    /// "" for the default namespace.
    prefix: &'i str,
    /// As declared (borrowed from the input unless the value held a reference).
    uri: Cow<'i, str>,
    /// Resolved once, when declared.
    ns: Ns,
}

/// Namespace bindings in scope, resolved to [`Ns`] once when declared.
///
/// Only start tags are resolved: end tags are matched by name and depth, so resolving them is
/// wasted work on the hot path. Prefixes and URIs are slices of the input, so decoding does not
/// allocate per declaration.
pub(crate) struct Scope<'i> {
    bindings: Vec<Binding<'i>>,
    /// `bindings.len()` when each open element started.
    marks: Vec<usize>,
}

impl Default for Scope<'_> {
    fn default() -> Self {
        // Room for an INSi response's declarations and depth without growing (each regrowth
        // costs more than the allocation itself: callgrind, docs/codec.md §Performance).
        Scope {
            bindings: Vec::with_capacity(8),
            marks: Vec::with_capacity(16),
        }
    }
}

impl<'i> Scope<'i> {
    /// Pushes the namespace declarations among `attrs` (the start tag's, checked by the lexer)
    /// and returns the namespace of the element whose name has `prefix`.
    pub(crate) fn open(&mut self, prefix: &str, attrs: &[Attr<'i>]) -> Result<Ns, DecodeErrorKind> {
        self.marks.push(self.bindings.len());
        for a in attrs {
            let Some(rest) = a.key.strip_prefix("xmlns") else {
                continue;
            };
            let prefix = if rest.is_empty() {
                ""
            } else {
                match rest.strip_prefix(':') {
                    Some("") => {
                        return Err(DecodeErrorKind::Syntax(
                            "'xmlns:' declares an empty prefix".into(),
                        ));
                    }
                    Some(prefix) => prefix,
                    // `xmlnsfoo`: an ordinary attribute.
                    None => continue,
                }
            };
            let uri = a.value();
            let ns = if uri.is_empty() {
                Ns::None
            } else {
                Ns::of(&uri)
            };
            self.bindings.push(Binding { prefix, uri, ns });
        }
        match self.lookup(prefix) {
            Some(ns) => Ok(ns),
            None if prefix.is_empty() => Ok(Ns::None),
            None => Err(DecodeErrorKind::UndeclaredPrefix(prefix.to_owned())),
        }
    }

    #[inline]
    fn lookup(&self, prefix: &str) -> Option<Ns> {
        self.bindings
            .iter()
            .rev()
            .find(|b| same(b.prefix, prefix))
            .map(|b| b.ns)
    }

    pub(crate) fn close(&mut self) {
        if let Some(mark) = self.marks.pop() {
            self.bindings.truncate(mark);
        }
    }

    /// In-scope namespace bindings (prefix or "" for the default, URI), innermost last.
    pub(crate) fn bindings(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for b in &self.bindings {
            // Innermost wins; an undeclared default (`xmlns=""`) is not a binding.
            out.retain(|(p, _)| p != b.prefix);
            if !b.uri.is_empty() {
                out.push((b.prefix.to_owned(), b.uri.clone().into_owned()));
            }
        }
        out
    }
}
