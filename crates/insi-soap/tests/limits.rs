//! Hostile variants of the shipped samples, refused by `decode_response` and `decode_request`
//! with a message naming the problem (the words `insi-bench decode` users see): billion laughs,
//! deep nesting, huge texts and attribute values, many attributes, truncation anywhere, bytes
//! that are not UTF-8. Texts and values at the limit are still read.

use insi_soap::{DecodeErrorKind, Limits, Response, decode_request, decode_response};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../testdata/xml/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("sample")
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle")
}

fn splice(doc: &[u8], at: usize, cut: usize, insert: &[u8]) -> Vec<u8> {
    [&doc[..at], insert, &doc[at + cut..]].concat()
}

/// (start, length) of the text of the first element whose name ends with `name`.
fn text_of(doc: &[u8], name: &[u8]) -> (usize, usize) {
    let open = find(doc, &[name, b">"].concat()) + name.len() + 1;
    let len = doc[open..].iter().position(|&b| b == b'<').expect("end");
    (open, len)
}

fn hostile(doc: &[u8], leaf: &[u8]) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let laughs = b"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\
        <soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">\
        <soap:Body>&lol;</soap:Body></soap:Envelope>"
        .to_vec();
    // An unknown first child of the Envelope, skipped: nesting is checked in skipped elements.
    let content = find(doc, b"Envelope") + find(&doc[find(doc, b"Envelope")..], b">") + 1;
    let deep = ["<a>".repeat(5_000), "</a>".repeat(5_000)].concat();
    let (text, len) = text_of(doc, leaf);
    let env = find(doc, b"Envelope") + b"Envelope".len();
    let value = [&b" x=\""[..], &[b'v'; 40_000], b"\""].concat();
    let many: String = (0..2_000).map(|i| format!(" a{i}=\"1\"")).collect();
    vec![
        ("billion laughs", laughs, "DOCTYPE"),
        (
            "deep nesting",
            splice(doc, content, 0, deep.as_bytes()),
            "deep",
        ),
        ("huge text", splice(doc, text, len, &[b'A'; 40_000]), "text"),
        (
            "huge attribute value",
            splice(doc, env, 0, &value),
            "attribute",
        ),
        (
            "many attributes",
            splice(doc, env, 0, many.as_bytes()),
            "attributes",
        ),
        ("not UTF-8", splice(doc, text, len, b"\xc9LODIE"), "UTF-8"),
    ]
}

#[test]
fn hostile_responses_and_requests_are_refused_with_the_reason() {
    for (name, leaf, decode) in [
        (
            "resultat-00-live.xml",
            &b"NomNaissance"[..],
            (|b: &[u8]| decode_response(b).map(drop)) as fn(&[u8]) -> Result<(), _>,
        ),
        (
            "request-recsansvitale-mtls.xml",
            b"NomNaissance",
            |b: &[u8]| decode_request(b).map(drop),
        ),
        (
            "request-recsansvitale-cpx.xml",
            b"NomNaissance",
            |b: &[u8]| decode_request(b).map(drop),
        ),
    ] {
        let doc = sample(name);
        for (what, bytes, word) in hostile(&doc, leaf) {
            let err = decode(&bytes).expect_err(what).to_string();
            assert!(err.contains(word), "{name}, {what}: {err}");
        }
        // Cut anywhere inside the root element: the message says the input ended.
        let root = find(&doc, b"Envelope") - 1;
        let end = doc.iter().rposition(|&b| b == b'>').expect("root end");
        for cut in root + 1..end {
            let err = decode(&doc[..cut]).expect_err("truncated").to_string();
            assert!(err.contains("end of input"), "{name} cut at {cut}: {err}");
        }
    }
}

#[test]
fn texts_and_values_up_to_the_limit_are_read_and_counted_decoded() {
    let limit = Limits::DEFAULT.max_value_bytes;
    let doc = sample("resultat-00-live.xml");
    let (text, len) = text_of(&doc, b"NomNaissance");
    let nom = |r: Response| match r {
        Response::Resultat(r) => r.individu.expect("individu").tiq.nom_naissance,
        Response::Fault(_) => None,
    };
    // Exactly the limit, then one byte more.
    let at_limit = splice(&doc, text, len, &vec![b'N'; limit]);
    let read = decode_response(&at_limit).expect("at the limit").response;
    assert_eq!(nom(read).map(|n| n.len()), Some(limit));
    let over = splice(&doc, text, len, &vec![b'N'; limit + 1]);
    let err = decode_response(&over).expect_err("over");
    assert!(matches!(err.kind, DecodeErrorKind::TooLong { .. }), "{err}");
    // Written with references, the same text is longer on the wire, not once decoded.
    let referenced = "&#x4E;".repeat(limit);
    let read = decode_response(&splice(&doc, text, len, referenced.as_bytes()))
        .expect("decoded length counts")
        .response;
    assert_eq!(nom(read).map(|n| n.len()), Some(limit));
    // A limit of one's own applies.
    let strict = Limits {
        max_value_bytes: 4,
        max_attributes: 1,
        ..Limits::DEFAULT
    };
    let err = insi_soap::decode_response_with(&doc, strict).expect_err("strict");
    assert!(
        matches!(
            err.kind,
            DecodeErrorKind::TooLong { .. } | DecodeErrorKind::TooManyAttributes { limit: 1 }
        ),
        "{err}"
    );
}
