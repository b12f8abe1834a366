//! Exclusive XML Canonicalization 1.0, without comments (<http://www.w3.org/2001/10/xml-exc-c14n#>).
//!
//! The general form, over a parsed document, so that assertions produced by *other* clients can
//! be verified whatever their prefixes, declarations, whitespace or attribute order. It is
//! cross-checked byte for byte against bergshamra in `tests/`. Rules applied (W3C exc-c14n §3,
//! C14N 1.0 §2): namespace declarations rendered only where visibly used (element prefix,
//! attribute prefixes, plus an InclusiveNamespaces PrefixList) and not already rendered with the
//! same value by an output ancestor, sorted by prefix; attributes sorted by (namespace URI, local
//! name); empty elements as start/end pairs; comments dropped; text and attribute escaping of
//! C14N 1.0; `xml:` attributes rendered only where present.

use crate::dom::{Dom, Node};
use crate::error::XmlError;

/// Exclusive c14n of a whole document's root element.
pub fn exclusive_c14n(xml: &str) -> Result<Vec<u8>, XmlError> {
    exclusive_c14n_with(xml, &[])
}

/// Exclusive c14n with an InclusiveNamespaces PrefixList (`#default` for the default namespace).
pub fn exclusive_c14n_with(xml: &str, inclusive_prefixes: &[&str]) -> Result<Vec<u8>, XmlError> {
    let dom = crate::dom::parse(xml)?;
    let prefixes: Vec<String> = inclusive_prefixes.iter().map(|p| prefix_name(p)).collect();
    let mut out = Vec::with_capacity(xml.len());
    canonicalize(&dom, dom.root, None, &prefixes, &mut out);
    Ok(out)
}

/// `#default` → "" (the default namespace), others unchanged.
pub(crate) fn prefix_name(p: &str) -> String {
    if p == "#default" {
        String::new()
    } else {
        p.to_owned()
    }
}

/// Canonicalises the subtree at `apex`, leaving out the subtree at `exclude` (the enveloped
/// signature transform).
pub(crate) fn canonicalize(
    dom: &Dom,
    apex: usize,
    exclude: Option<usize>,
    inclusive: &[String],
    out: &mut Vec<u8>,
) {
    let mut rendered: Vec<(String, String)> = Vec::new();
    element(dom, apex, exclude, inclusive, &mut rendered, out);
}

fn rendered_value<'a>(rendered: &'a [(String, String)], prefix: &str) -> Option<&'a str> {
    rendered
        .iter()
        .rev()
        .find(|(p, _)| p == prefix)
        .map(|(_, u)| u.as_str())
}

fn element(
    dom: &Dom,
    id: usize,
    exclude: Option<usize>,
    inclusive: &[String],
    rendered: &mut Vec<(String, String)>,
    out: &mut Vec<u8>,
) {
    let Some(e) = dom.element(id) else { return };
    let mark = rendered.len();

    // Visibly utilised prefixes, then the inclusive ones.
    let mut used: Vec<&str> = Vec::with_capacity(2 + e.attrs.len());
    used.push(e.prefix.as_deref().unwrap_or(""));
    for a in &e.attrs {
        if let Some(p) = a.prefix.as_deref()
            && p != "xml"
        {
            used.push(p);
        }
    }
    for p in inclusive {
        if p.is_empty() || dom.lookup(id, p).is_some() {
            used.push(p);
        }
    }
    used.sort_unstable();
    used.dedup();

    let mut decls: Vec<(&str, &str)> = Vec::new();
    for p in used {
        if p == "xml" {
            continue;
        }
        let uri = dom.lookup(id, p).unwrap_or("");
        let current = rendered_value(rendered, p);
        let render = if p.is_empty() {
            // xmlns="" only to undo a default namespace an output ancestor rendered.
            if uri.is_empty() {
                current.is_some_and(|c| !c.is_empty())
            } else {
                current != Some(uri)
            }
        } else {
            !uri.is_empty() && current != Some(uri)
        };
        if render {
            decls.push((p, uri));
        }
    }

    out.push(b'<');
    qname(out, e.prefix.as_deref(), &e.local);
    for (p, uri) in &decls {
        if p.is_empty() {
            out.extend_from_slice(b" xmlns=\"");
        } else {
            out.extend_from_slice(b" xmlns:");
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"=\"");
        }
        escape_attr(out, uri);
        out.push(b'"');
        rendered.push(((*p).to_owned(), (*uri).to_owned()));
    }
    let mut attrs: Vec<&crate::dom::Attr> = e.attrs.iter().collect();
    attrs.sort_by(|a, b| {
        (a.uri.as_str(), a.local.as_str()).cmp(&(b.uri.as_str(), b.local.as_str()))
    });
    for a in attrs {
        out.push(b' ');
        qname(out, a.prefix.as_deref(), &a.local);
        out.extend_from_slice(b"=\"");
        escape_attr(out, &a.value);
        out.push(b'"');
    }
    out.push(b'>');

    for &child in &e.children {
        if Some(child) == exclude {
            continue;
        }
        match dom.nodes.get(child) {
            Some(Node::Element(_)) => element(dom, child, exclude, inclusive, rendered, out),
            Some(Node::Text(t)) => escape_text(out, t),
            Some(Node::Pi { target, content }) => {
                out.extend_from_slice(b"<?");
                out.extend_from_slice(target.as_bytes());
                if !content.is_empty() {
                    out.push(b' ');
                    for c in content.bytes() {
                        if c == b'\r' {
                            out.extend_from_slice(b"&#xD;");
                        } else {
                            out.push(c);
                        }
                    }
                }
                out.extend_from_slice(b"?>");
            }
            Some(Node::Comment) | None => {}
        }
    }

    out.extend_from_slice(b"</");
    qname(out, e.prefix.as_deref(), &e.local);
    out.push(b'>');
    rendered.truncate(mark);
}

fn qname(out: &mut Vec<u8>, prefix: Option<&str>, local: &str) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

/// C14N text escaping: `&`, `<`, `>`, and `\r` as `&#xD;`.
pub fn escape_text(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            b => out.push(b),
        }
    }
}

/// C14N attribute escaping: `&`, `<`, `"`, and `\t \n \r` as character references.
pub fn escape_attr(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\t' => out.extend_from_slice(b"&#x9;"),
            b'\n' => out.extend_from_slice(b"&#xA;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            b => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str) -> String {
        String::from_utf8(exclusive_c14n(xml).unwrap()).unwrap()
    }

    #[test]
    fn renders_only_visibly_used_namespaces_sorted_attributes_and_expanded_empties() {
        let xml = "<?xml version=\"1.0\"?>\n<a:root xmlns:b=\"urn:b\" xmlns:a=\"urn:a\" xmlns:unused=\"urn:u\" \
                   z=\"1\" b:y=\"2\" a=\"&lt;&quot;&#9;\"><a:child/><b:c xmlns:b=\"urn:b\">t&amp;&#13;</b:c><!-- gone --></a:root>";
        assert_eq!(
            c14n(xml),
            "<a:root xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" a=\"&lt;&quot;&#x9;\" z=\"1\" b:y=\"2\">\
             <a:child></a:child><b:c>t&amp;&#xD;</b:c></a:root>"
        );
    }

    #[test]
    fn default_namespace_is_undone_only_when_rendered_above() {
        assert_eq!(
            c14n("<r xmlns=\"urn:d\"><x xmlns=\"\"><y/></x></r>"),
            "<r xmlns=\"urn:d\"><x xmlns=\"\"><y></y></x></r>"
        );
        assert_eq!(c14n("<r><x xmlns=\"\"/></r>"), "<r><x></x></r>");
    }

    #[test]
    fn refuses_doctype_and_unknown_entities() {
        assert!(exclusive_c14n("<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>").is_err());
        assert!(exclusive_c14n("<r>&e;</r>").is_err());
        assert!(exclusive_c14n("<p:r/>").is_err());
    }
}
