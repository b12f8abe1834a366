//! Our lexer against quick-xml (a dev-dependency, the floor of `examples/decode_cost`): on
//! random well-formed documents both must read the same names, attribute values and texts;
//! on mutated ones, whatever our scanner accepts quick-xml must accept too, with the same
//! reading — we may be stricter than quick-xml, never more lenient.

use proptest::prelude::*;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::{Lexer, Token};
use crate::error::Limits;
use crate::scan::{Item, Scanner};
use crate::xmlchar::{decode_cdata, decode_text};

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Start(String, Vec<(String, String)>),
    End(String),
    /// Everything between two tags, decoded and joined.
    Text(String),
}

fn flush(text: &mut String, out: &mut Vec<Ev>) {
    if !text.is_empty() {
        out.push(Ev::Text(std::mem::take(text)));
    }
}

fn ours(xml: &str) -> Result<Vec<Ev>, String> {
    let mut lexer = Lexer::new(xml, 64, 16 * 1024);
    let (mut out, mut text) = (Vec::new(), String::new());
    loop {
        match lexer.next().map_err(|e| {
            let (at, kind) = e.into_parts();
            format!("{at}: {kind}")
        })? {
            Token::Text => decode_text(lexer.text(), &mut text),
            Token::CData => decode_cdata(lexer.text(), &mut text),
            Token::Start => {
                flush(&mut text, &mut out);
                let name = lexer.name.qname(xml).to_owned();
                let attrs = lexer
                    .attrs
                    .iter()
                    .map(|a| (a.key.to_owned(), a.value().into_owned()));
                out.push(Ev::Start(name.clone(), attrs.collect()));
                if lexer.empty {
                    out.push(Ev::End(name));
                }
            }
            Token::End => {
                flush(&mut text, &mut out);
                out.push(Ev::End(lexer.name.qname(xml).to_owned()));
            }
            Token::Eof => {
                flush(&mut text, &mut out);
                return Ok(out);
            }
        }
    }
}

/// Everything our scanner accepts up to the end (namespaces, nesting, the root's text rules).
fn scanner_accepts(xml: &str) -> bool {
    let Ok(mut sc) = Scanner::new(xml.as_bytes(), Limits::DEFAULT) else {
        return false;
    };
    loop {
        match sc.next() {
            Ok(Item::Eof) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

fn theirs(xml: &str) -> Result<Vec<Ev>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    let (mut out, mut text, mut depth) = (Vec::new(), String::new(), 0usize);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                flush(&mut text, &mut out);
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    let value = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                    attrs.push((a.key.as_ref().to_owned(), value.into_owned()));
                }
                out.push(Ev::Start(e.name().as_ref().to_owned(), attrs));
                depth += 1;
            }
            Event::End(e) => {
                flush(&mut text, &mut out);
                out.push(Ev::End(e.name().as_ref().to_owned()));
                depth = depth.checked_sub(1).ok_or("end tag at depth 0")?;
            }
            Event::Text(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(c) => decode_cdata(&c.into_inner(), &mut text),
            Event::GeneralRef(r) => match r.resolve_char_ref().map_err(|e| e.to_string())? {
                Some(c) => text.push(c),
                None => text.push_str(resolve_predefined_entity(&r).ok_or("unknown entity")?),
            },
            Event::DocType(_) => return Err("DOCTYPE".into()),
            Event::Eof if depth == 0 => {
                flush(&mut text, &mut out);
                return Ok(out);
            }
            Event::Eof => return Err("unclosed element".into()),
            _ => {}
        }
    }
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z_][A-Za-z0-9._-]{0,6}",
        "p:[a-z][a-z0-9]{0,4}",
        "é[a-zà]{0,3}",
    ]
}

/// Attribute value pieces for a value quoted with `"`.
fn attr_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[^<&\"\u{0}-\u{1f}\u{fffe}\u{ffff}]{1,6}",
        Just("&amp;".to_owned()),
        Just("&lt;".to_owned()),
        Just("&quot;".to_owned()),
        Just("&#x41;".to_owned()),
        Just("&#10;".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("'>".to_owned()),
    ];
    prop::collection::vec(piece, 0..4).prop_map(|v| v.concat())
}

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[^<>&\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}\\]]{1,8}",
        Just("&apos;".to_owned()),
        Just("&gt;".to_owned()),
        Just("&#233;".to_owned()),
        Just("&#x1F600;".to_owned()),
        Just("\r\n".to_owned()),
        Just("\r".to_owned()),
        Just("]]".to_owned()),
        Just(" ] > ".to_owned()),
        "[a-z <>&\r\n]{0,6}".prop_map(|t| format!("<![CDATA[{t}]]>")),
        "[a-z ]{0,6}".prop_map(|t| format!("<!--{t}-->")),
        "[a-z ]{0,6}".prop_map(|t| format!("<?pi {t}?>")),
    ];
    prop::collection::vec(piece, 0..3).prop_map(|v| v.concat())
}

fn start_tag(name: &str, attrs: &[(String, String)], space: &str) -> String {
    let attrs: String = attrs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| format!(" {space}{k}{i}{space}={space}\"{v}\""))
        .collect();
    format!("<{name}{attrs}{space}")
}

fn element() -> impl Strategy<Value = String> {
    let leaf = (
        name(),
        prop::collection::vec(("[a-z]{1,3}", attr_value()), 0..3),
        text(),
    )
        .prop_map(|(n, attrs, t)| {
            if t.is_empty() {
                format!("{}/>", start_tag(&n, &attrs, " "))
            } else {
                format!("{}>{t}</{n}>", start_tag(&n, &attrs, ""))
            }
        });
    leaf.prop_recursive(3, 24, 4, |inner| {
        (
            name(),
            prop::collection::vec(("[a-z]{1,3}", attr_value()), 0..3),
            prop::collection::vec((text(), inner), 0..4),
            text(),
            prop_oneof![Just(""), Just(" "), Just("\n\t ")],
        )
            .prop_map(|(n, attrs, children, tail, space)| {
                let content: String = children.into_iter().map(|(t, e)| t + &e).collect();
                format!(
                    "{}>{content}{tail}</{n}{space}>",
                    start_tag(&n, &attrs, space)
                )
            })
    })
}

fn document() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(""),
            Just("<?xml version=\"1.0\"?>"),
            Just("<?xml version='1.0' encoding='utf-8' standalone='yes'?>\r\n"),
        ],
        prop_oneof![Just(""), Just("<!-- c -->\n"), Just("<?pi x?> ")],
        element(),
        prop_oneof![Just(""), Just("\n"), Just(" <!--end-->\r\n")],
    )
        // The root declares the prefix every element may use.
        .prop_map(|(decl, misc, root, tail)| {
            let root = match root.find(['>', '/', ' ', '\n', '\t']) {
                Some(i) => format!("{} xmlns:p=\"urn:p\"{}", &root[..i], &root[i..]),
                None => root,
            };
            format!("{decl}{misc}{root}{tail}")
        })
}

fn mutation() -> impl Strategy<Value = (prop::sample::Index, Vec<u8>, usize)> {
    let snippet = prop::sample::select(vec![
        &b"<"[..],
        b">",
        b"&",
        b"&#",
        b"&#0;",
        b";",
        b"]]>",
        b"<!--",
        b"--",
        b"<?",
        b"?>",
        b"\"",
        b"'",
        b"=",
        b" ",
        b"/",
        b":",
        b"</a>",
        b"<a>",
        b"<![CDATA[",
        b"\x01",
    ])
    .prop_map(<[u8]>::to_vec);
    (any::<prop::sample::Index>(), snippet, 0usize..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn well_formed_documents_read_as_quick_xml_reads_them(xml in document()) {
        prop_assert!(scanner_accepts(&xml), "refused {xml:?}: {:?}", ours(&xml));
        prop_assert_eq!(ours(&xml), theirs(&xml), "{:?}", xml);
    }

    #[test]
    fn never_more_lenient_than_quick_xml(xml in document(), (at, insert, delete) in mutation()) {
        let mut bytes = xml.into_bytes();
        let i = at.index(bytes.len() + 1);
        let end = (i + delete).min(bytes.len());
        bytes.splice(i..end, insert);
        let Ok(xml) = String::from_utf8(bytes) else { return Ok(()) };
        if scanner_accepts(&xml) {
            prop_assert_eq!(ours(&xml), theirs(&xml), "{:?}", xml);
        }
    }
}
