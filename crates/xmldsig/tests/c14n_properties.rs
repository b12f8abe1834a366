//! Our exclusive c14n equals bergshamra's on random documents: random prefixes and default
//! namespaces (declared, redeclared, undeclared), attributes in random order, text and attribute
//! values full of characters that need escaping, comments and whitespace.

use bergshamra::c14n::C14nMode;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct El {
    prefix: Option<&'static str>,
    local: &'static str,
    decls: Vec<(&'static str, &'static str)>,
    attrs: Vec<(Option<&'static str>, &'static str, String)>,
    children: Vec<Child>,
}

#[derive(Debug, Clone)]
enum Child {
    El(El),
    Text(String),
    Comment,
}

fn text() -> impl Strategy<Value = String> {
    "[a-zé &<>\"'\t\n\r\u{20ac}]{0,12}"
}

fn decl() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop_oneof![
        Just(("", "urn:d")),
        Just(("", "urn:d2")),
        Just(("", "")),
        Just(("a", "urn:a")),
        Just(("a", "urn:a2")),
        Just(("b", "urn:b")),
        Just(("b", "urn:b2")),
        Just(("c", "urn:c")),
    ]
}

fn element() -> impl Strategy<Value = El> {
    let leaf = (
        prop::option::of(prop_oneof![Just("a"), Just("b")]),
        prop_oneof![Just("x"), Just("y"), Just("Item")],
        prop::collection::vec(decl(), 0..3),
        prop::collection::vec(
            (
                prop::option::of(prop_oneof![Just("a"), Just("b")]),
                prop_oneof![Just("k"), Just("id"), Just("Z")],
                text(),
            ),
            0..4,
        ),
    )
        .prop_map(|(prefix, local, decls, attrs)| El {
            prefix,
            local,
            decls,
            attrs,
            children: Vec::new(),
        });
    leaf.prop_recursive(4, 24, 4, |inner| {
        (
            prop::option::of(prop_oneof![Just("a"), Just("b")]),
            prop::collection::vec(decl(), 0..3),
            prop::collection::vec(
                prop_oneof![
                    inner.prop_map(Child::El),
                    text().prop_map(Child::Text),
                    Just(Child::Comment),
                ],
                0..4,
            ),
        )
            .prop_map(|(prefix, decls, children)| El {
                prefix,
                local: "n",
                decls,
                attrs: Vec::new(),
                children,
            })
    })
}

fn escape(s: &str, attr: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the element, keeping only declarations and attributes that make a well-formed,
/// namespace-valid document (prefixes bound, no duplicate attributes).
fn write(el: &El, scope: &mut Vec<(&'static str, &'static str)>, out: &mut String) {
    let mark = scope.len();
    let mut decls: Vec<(&str, &str)> = Vec::new();
    for (p, u) in &el.decls {
        let undeclares_prefix = u.is_empty() && !p.is_empty();
        if !undeclares_prefix && decls.iter().all(|(q, _)| q != p) {
            decls.push((p, u));
            scope.push((p, u));
        }
    }
    let bound = |p: &str, scope: &Vec<(&str, &str)>| {
        scope
            .iter()
            .rev()
            .find(|(q, _)| *q == p)
            .is_some_and(|(_, u)| !u.is_empty())
    };
    let prefix = el.prefix.filter(|p| bound(p, scope));
    let qname = match prefix {
        Some(p) => format!("{p}:{}", el.local),
        None => el.local.to_owned(),
    };
    out.push('<');
    out.push_str(&qname);
    for (p, u) in &decls {
        if p.is_empty() {
            out.push_str(&format!(" xmlns=\"{u}\""));
        } else {
            out.push_str(&format!(" xmlns:{p}=\"{u}\""));
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for (p, name, value) in &el.attrs {
        let p = p.filter(|p| bound(p, scope));
        let q = match p {
            Some(p) => format!("{p}:{name}"),
            None => (*name).to_owned(),
        };
        if seen.contains(&q) {
            continue;
        }
        seen.push(q.clone());
        out.push_str(&format!(" {q}=\"{}\"", escape(value, true)));
    }
    if el.children.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        for child in &el.children {
            match child {
                Child::El(e) => write(e, scope, out),
                Child::Text(t) => out.push_str(&escape(t, false)),
                Child::Comment => out.push_str("<!-- note -->"),
            }
        }
        out.push_str(&format!("</{qname}>"));
    }
    scope.truncate(mark);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn exclusive_c14n_equals_bergshamra(root in element()) {
        let mut xml = String::from("<?xml version=\"1.0\"?>\n");
        write(&root, &mut Vec::new(), &mut xml);
        let ours = xmldsig::exclusive_c14n(&xml).unwrap();
        let theirs = bergshamra::c14n::canonicalize(&xml, C14nMode::Exclusive, None, &[] as &[&str]).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "{}", xml);
    }
}
