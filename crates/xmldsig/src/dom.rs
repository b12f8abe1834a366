//! A small read-only tree of an XML document, enough for canonicalisation and signature checks.
//!
//! Built with quick-xml from untrusted bytes, so it refuses DOCTYPEs (no entity declarations),
//! unknown entities and non-UTF-8 input, and bounds size and depth. Each element keeps its
//! namespace declarations, its resolved namespace, its attributes (values decoded and
//! attribute-value normalised as a parser must), and its byte span in the source.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use crate::error::XmlError;

/// Bounds for documents handed to the verifier (an INSi assertion is about 4 KB).
pub(crate) const MAX_BYTES: usize = 1024 * 1024;
pub(crate) const MAX_DEPTH: usize = 64;
pub(crate) const MAX_NODES: usize = 100_000;

#[derive(Debug)]
pub(crate) struct Attr {
    pub prefix: Option<String>,
    pub local: String,
    /// Resolved namespace URI ("" for unprefixed attributes).
    pub uri: String,
    pub value: String,
}

#[derive(Debug)]
pub(crate) struct Element {
    pub prefix: Option<String>,
    pub local: String,
    /// Resolved namespace URI, "" when none.
    pub uri: String,
    /// `xmlns` / `xmlns:p` declared on this element: (prefix or "", uri).
    pub decls: Vec<(String, String)>,
    pub attrs: Vec<Attr>,
    pub children: Vec<usize>,
    pub parent: Option<usize>,
    /// Byte offsets just after the start tag's `>` and just after the end tag.
    pub content_start: usize,
    pub end: usize,
}

#[derive(Debug)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
    Pi { target: String, content: String },
    Comment,
}

#[derive(Debug)]
pub(crate) struct Dom {
    pub nodes: Vec<Node>,
    pub root: usize,
}

impl Dom {
    pub(crate) fn element(&self, id: usize) -> Option<&Element> {
        match self.nodes.get(id) {
            Some(Node::Element(e)) => Some(e),
            _ => None,
        }
    }

    /// Child elements of `id`.
    pub(crate) fn child_elements(&self, id: usize) -> impl Iterator<Item = (usize, &Element)> + '_ {
        self.element(id)
            .map(|e| e.children.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|&c| self.element(c).map(|e| (c, e)))
    }

    /// The concatenated text children of `id`.
    pub(crate) fn text(&self, id: usize) -> String {
        let mut out = String::new();
        if let Some(e) = self.element(id) {
            for &c in &e.children {
                if let Some(Node::Text(t)) = self.nodes.get(c) {
                    out.push_str(t);
                }
            }
        }
        out
    }

    /// Every element id, in document order.
    pub(crate) fn elements(&self) -> impl Iterator<Item = (usize, &Element)> + '_ {
        self.nodes.iter().enumerate().filter_map(|(i, n)| match n {
            Node::Element(e) => Some((i, e)),
            _ => None,
        })
    }

    /// The namespace `prefix` ("" = default) is bound to at element `id`, if any.
    pub(crate) fn lookup(&self, id: usize, prefix: &str) -> Option<&str> {
        lookup_in(&self.nodes, id, prefix)
    }

    pub(crate) fn attr<'a>(&'a self, e: &'a Element, local: &str) -> Option<&'a str> {
        e.attrs
            .iter()
            .find(|a| a.prefix.is_none() && a.local == local)
            .map(|a| a.value.as_str())
    }
}

fn split(qname: &str) -> (Option<&str>, &str) {
    match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    }
}

pub(crate) fn parse(xml: &str) -> Result<Dom, XmlError> {
    if xml.len() > MAX_BYTES {
        return Err(XmlError::at(
            0,
            format!("document larger than {MAX_BYTES} bytes"),
        ));
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut root = None;
    let mut text = String::new();
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            XmlError::at(
                usize::try_from(reader.error_position()).unwrap_or(before),
                e.to_string(),
            )
        })?;
        if nodes.len() > MAX_NODES {
            return Err(XmlError::at(before, format!("more than {MAX_NODES} nodes")));
        }
        // Flush text accumulated across Text/GeneralRef/CData fragments before any other node.
        let is_text = matches!(
            event,
            Event::Text(_) | Event::GeneralRef(_) | Event::CData(_)
        );
        if !is_text && !text.is_empty() {
            let t = std::mem::take(&mut text);
            if let Some(&parent) = stack.last() {
                let id = nodes.len();
                nodes.push(Node::Text(t));
                push_child(&mut nodes, parent, id);
            } else if !t.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
                return Err(XmlError::at(before, "text outside the root element".into()));
            }
        }
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::at(
                        before,
                        format!("elements nest deeper than {MAX_DEPTH}"),
                    ));
                }
                if root.is_some() && stack.is_empty() {
                    return Err(XmlError::at(before, "a second root element".into()));
                }
                let parent = stack.last().copied();
                let id = nodes.len();
                let mut element = element(&nodes, parent, &start, before)?;
                element.content_start = usize::try_from(reader.buffer_position()).unwrap_or(before);
                nodes.push(Node::Element(element));
                if let Some(p) = parent {
                    push_child(&mut nodes, p, id);
                }
                // Resolve names now that the element's own declarations are in place.
                resolve_names(&mut nodes, id, before)?;
                root.get_or_insert(id);
                stack.push(id);
            }
            Event::End(_) => {
                if let Some(id) = stack.pop() {
                    let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                    if let Some(Node::Element(e)) = nodes.get_mut(id) {
                        e.end = end;
                    }
                }
            }
            Event::Text(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(c) => text.push_str(&c.into_inner()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                Ok(None) => {
                    let name: &str = &r;
                    let s = resolve_predefined_entity(name)
                        .ok_or_else(|| XmlError::at(before, format!("unknown entity &{name};")))?;
                    text.push_str(s);
                }
                Err(e) => return Err(XmlError::at(before, e.to_string())),
            },
            Event::PI(pi) => {
                if let Some(&parent) = stack.last() {
                    let target: &str = pi.target();
                    let content: &str = pi.content();
                    let id = nodes.len();
                    nodes.push(Node::Pi {
                        target: target.to_owned(),
                        content: content.trim_start().to_owned(),
                    });
                    push_child(&mut nodes, parent, id);
                }
            }
            Event::Comment(_) => {
                if let Some(&parent) = stack.last() {
                    let id = nodes.len();
                    nodes.push(Node::Comment);
                    push_child(&mut nodes, parent, id);
                }
            }
            Event::DocType(_) => {
                return Err(XmlError::at(
                    before,
                    "DOCTYPE refused (no DTD, no entity declarations)".into(),
                ));
            }
            Event::Decl(_) | Event::Empty(_) => {}
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(XmlError::at(before, "unexpected end of input".into()));
                }
                break;
            }
        }
    }
    let root = root.ok_or_else(|| XmlError::at(0, "no root element".into()))?;
    Ok(Dom { nodes, root })
}

fn push_child(nodes: &mut [Node], parent: usize, child: usize) {
    if let Some(Node::Element(p)) = nodes.get_mut(parent) {
        p.children.push(child);
    }
}

/// An XML NCName, checked on its ASCII characters (any non-ASCII character is let through, as
/// most are name characters). quick-xml does not check names, and a name holding `<`, `&`, `"`
/// or `=` would be written back by c14n as markup that does not parse (found by fuzzing).
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start = |c: char| !c.is_ascii() || c.is_ascii_alphabetic() || c == '_';
    start(first) && chars.all(|c| start(c) || c.is_ascii_digit() || c == '-' || c == '.')
}

/// `prefix:local` or `local`, each part an NCName.
fn check_qname(what: &str, qname: &str, at: usize) -> Result<(), XmlError> {
    let ok = match qname.split_once(':') {
        Some((p, l)) => is_ncname(p) && is_ncname(l),
        None => is_ncname(qname),
    };
    if ok {
        Ok(())
    } else {
        Err(XmlError::at(
            at,
            format!("{what} name '{qname}' is not an XML name"),
        ))
    }
}

fn element(
    _nodes: &[Node],
    parent: Option<usize>,
    start: &BytesStart<'_>,
    at: usize,
) -> Result<Element, XmlError> {
    let name = start.name();
    let qname: &str = name.as_ref();
    check_qname("element", qname, at)?;
    let (prefix, local) = split(qname);
    let mut decls = Vec::new();
    let mut attrs = Vec::new();
    for a in start.attributes() {
        let a = a.map_err(|e| XmlError::at(at, e.to_string()))?;
        let key: &str = a.key.as_ref();
        check_qname("attribute", key, at)?;
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| XmlError::at(at, e.to_string()))?
            .into_owned();
        if key == "xmlns" {
            decls.push((String::new(), value));
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            if value.is_empty() {
                return Err(XmlError::at(
                    at,
                    format!("prefix '{p}' undeclared (XML 1.1 only)"),
                ));
            }
            decls.push((p.to_owned(), value));
        } else {
            let (ap, al) = split(key);
            attrs.push(Attr {
                prefix: ap.map(str::to_owned),
                local: al.to_owned(),
                uri: String::new(),
                value,
            });
        }
    }
    Ok(Element {
        prefix: prefix.map(str::to_owned),
        local: local.to_owned(),
        uri: String::new(),
        decls,
        attrs,
        children: Vec::new(),
        parent,
        content_start: at,
        end: at,
    })
}

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

fn resolve_names(nodes: &mut [Node], id: usize, at: usize) -> Result<(), XmlError> {
    // Borrow dance: look up with an immutable view, then write.
    let dom_view = DomView(nodes);
    let Some(Node::Element(e)) = nodes.get(id) else {
        return Ok(());
    };
    let prefix = e.prefix.clone().unwrap_or_default();
    let uri = if prefix == "xml" {
        XML_NS.to_owned()
    } else {
        match dom_view.lookup(id, &prefix) {
            Some(u) => u.to_owned(),
            None if prefix.is_empty() => String::new(),
            None => {
                return Err(XmlError::at(
                    at,
                    format!("prefix '{prefix}' is not declared"),
                ));
            }
        }
    };
    let mut attr_uris = Vec::with_capacity(e.attrs.len());
    for a in &e.attrs {
        attr_uris.push(match &a.prefix {
            None => String::new(),
            Some(p) if p == "xml" => XML_NS.to_owned(),
            Some(p) => dom_view
                .lookup(id, p)
                .map(str::to_owned)
                .ok_or_else(|| XmlError::at(at, format!("prefix '{p}' is not declared")))?,
        });
    }
    if let Some(Node::Element(e)) = nodes.get_mut(id) {
        e.uri = uri;
        for (a, u) in e.attrs.iter_mut().zip(attr_uris) {
            a.uri = u;
        }
    }
    Ok(())
}

struct DomView<'a>(&'a [Node]);

impl DomView<'_> {
    fn lookup(&self, id: usize, prefix: &str) -> Option<&str> {
        lookup_in(self.0, id, prefix)
    }
}

fn lookup_in<'a>(nodes: &'a [Node], mut id: usize, prefix: &str) -> Option<&'a str> {
    {
        loop {
            let Some(Node::Element(e)) = nodes.get(id) else {
                return None;
            };
            if let Some((_, uri)) = e.decls.iter().rev().find(|(p, _)| p == prefix) {
                // `xmlns=""` undeclares the default namespace.
                return if uri.is_empty() {
                    None
                } else {
                    Some(uri.as_str())
                };
            }
            id = e.parent?;
        }
    }
}
