//! A structure-aware generator of INSi response envelopes, driven by the fuzzer's bytes.
//!
//! Plain byte mutation rarely keeps an XML document well formed with the right namespace URIs
//! and nesting long enough to reach the decoder's field logic. [`response`] reads its choices
//! from the bytes with [`arbitrary::Unstructured`] and writes an envelope shaped like the real
//! ones (INSI-PROTOCOL.md §3.3, §4.1; `insi_soap::ns`): a SOAP 1.2 (sometimes 1.1 or unknown)
//! Envelope under a random prefix, an optional Header, a Body holding RESULTAT (CR, INDIVIDU
//! with INSACTIF, INSHISTO and TIQ) or a Fault (Code/Subcode, Reason, Detail/siram:Erreur).
//! Every element may be dropped, repeated, renamed or followed by an unknown one; text is
//! drawn from plausible values (codes, NIR, OIDs, dates, names) or made of random characters,
//! entities, character references, CDATA and CRLF. The bytes run out gracefully: once they are
//! exhausted every choice takes its first (plausible) option.

use arbitrary::Unstructured;
use insi_soap::ns;

/// An element of the response schema: its local name and what it holds.
struct Node {
    name: &'static str,
    content: Content,
}

enum Content {
    /// Text drawn from these plausible values (or random text).
    Text(&'static [&'static str]),
    /// Child elements, in schema order.
    Children(&'static [Node]),
}

const fn text(name: &'static str, values: &'static [&'static str]) -> Node {
    Node {
        name,
        content: Content::Text(values),
    }
}

const fn parent(name: &'static str, children: &'static [Node]) -> Node {
    Node {
        name,
        content: Content::Children(children),
    }
}

const ID_INDIVIDU: Node = parent(
    "IdIndividu",
    &[
        text(
            "NumIdentifiant",
            &["1090763220834", "2090763220834", "2B0763220834", "1", ""],
        ),
        text("Cle", &["89", "39", "00", "97", "9", "ab"]),
        text("TypeMatricule", &["NIR", "NIA", "X"]),
    ],
);
const OID: Node = text(
    "OID",
    &[
        "1.2.250.1.213.1.4.8",
        "1.2.250.1.213.1.4.9",
        "1.2.250.1.213.1.4.10",
        "1.2",
    ],
);
const DATES: [&str; 6] = [
    "2019-03-01",
    "2019-02-28",
    "2009-07-14",
    "0000-00-00",
    "2019-13-40",
    "x",
];
const INS: &[Node] = &[
    ID_INDIVIDU,
    OID,
    text("DateDeb", &DATES),
    text("DateFin", &DATES),
];
const TIQ: Node = parent(
    "TIQ",
    &[
        text(
            "NomNaissance",
            &["ECETINSI", "D'AEION COEUR", "DE VINCI", ""],
        ),
        text("Prenom", &["PIERRE-ALAIN", "CLÉMENCE"]),
        text(
            "ListePrenom",
            &["PIERRE-ALAIN MURIEL FLORIANT", "CLÉMENCE", "A  B", ""],
        ),
        text("Sexe", &["M", "F", "I", "X"]),
        text(
            "DateNaissance",
            &["2009-07-14", "1985-04-12", "1985-00-00", "2009-02-30"],
        ),
        text("LieuNaissance", &["63220", "2A004", "99100", "0"]),
    ],
);
const RESULTAT: Node = parent(
    "RESULTAT",
    &[
        parent(
            "CR",
            &[
                text("CodeCR", &["00", "01", "02", " 00 ", "03", "0"]),
                text(
                    "LibelleCR",
                    &[
                        "OK",
                        "Aucune identite trouvee",
                        "Plusieurs identites trouvees",
                    ],
                ),
            ],
        ),
        parent(
            "INDIVIDU",
            &[
                parent("INSACTIF", INS),
                parent("INSHISTO", INS),
                parent("INSHISTO", INS),
                TIQ,
            ],
        ),
    ],
);

/// Names an unknown element may take: real ones out of place, and strangers.
const STRANGERS: &[&str] = &[
    "INSHISTO", "TIQ", "CR", "Extra", "RESULTAT", "Body", "Fault", "x",
];
/// URIs a namespace declaration may bind besides the right one.
const OTHER_URIS: &[&str] = &[
    ns::SOAP11,
    ns::RECSANS,
    "http://www.cnamts.fr/INSiResultat/",
    "",
    "urn:x",
];

/// Writes one response envelope from the fuzzer's bytes.
pub fn response(data: &[u8]) -> String {
    let mut g = Gen {
        u: Unstructured::new(data),
        out: String::with_capacity(2048),
        depth: 0,
    };
    g.envelope();
    g.out
}

struct Gen<'a> {
    u: Unstructured<'a>,
    out: String,
    depth: usize,
}

impl Gen<'_> {
    /// A choice among `n` options, 0 (the plausible one) once the bytes run out.
    fn pick(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.u.choose_index(n).unwrap_or(0)
    }

    /// True with probability about 1/`n` (never once the bytes run out).
    fn one_in(&mut self, n: usize) -> bool {
        n > 1 && self.pick(n) == n - 1
    }

    fn prefix(&mut self, usual: &'static str) -> String {
        match self.pick(6) {
            0 | 1 => usual.to_owned(),
            2 => String::new(),
            3 => "ns2".to_owned(),
            4 => "a-b.c".to_owned(),
            _ => self.ident(),
        }
    }

    fn ident(&mut self) -> String {
        let n = 1 + self.pick(8);
        (0..n)
            .map(|i| {
                let set: &[u8] = if i == 0 {
                    b"abcSXyz_"
                } else {
                    b"abcSXyz_0123-."
                };
                char::from(set[self.pick(set.len())])
            })
            .collect()
    }

    fn uri(&mut self, right: &'static str) -> &'static str {
        if self.one_in(12) {
            OTHER_URIS[self.pick(OTHER_URIS.len())]
        } else {
            right
        }
    }

    fn qname(prefix: &str, local: &str) -> String {
        if prefix.is_empty() {
            local.to_owned()
        } else {
            format!("{prefix}:{local}")
        }
    }

    fn xmlns(prefix: &str, uri: &str) -> String {
        let mut s = if prefix.is_empty() {
            " xmlns=\"".to_owned()
        } else {
            format!(" xmlns:{prefix}=\"")
        };
        s.push_str(uri);
        s.push('"');
        s
    }

    fn space(&mut self) {
        match self.pick(8) {
            0..=4 => {}
            5 => self.out.push('\n'),
            6 => self.out.push_str("\r\n  "),
            _ => self.out.push_str("<!-- c -->"),
        }
    }

    fn envelope(&mut self) {
        if self.one_in(3) {
            self.out
                .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n");
        }
        let p = self.prefix("soap");
        let uri = self.uri(ns::SOAP12);
        let env = Self::qname(&p, "Envelope");
        self.out.push('<');
        self.out.push_str(&env);
        self.out.push_str(&Self::xmlns(&p, uri));
        self.out.push('>');
        self.space();
        if self.one_in(4) {
            let h = Self::qname(&p, "Header");
            self.out.push_str(&format!("<{h}>"));
            self.unknown();
            self.out.push_str(&format!("</{h}>"));
        }
        // The Body may redeclare the envelope namespace under another prefix (the live capture
        // writes `env:Body` declaring `env` and `S`).
        let (bp, decl) = if self.one_in(3) {
            let bp = self.prefix("env");
            let decl = Self::xmlns(&bp, ns::SOAP12);
            (bp, decl)
        } else {
            (p.clone(), String::new())
        };
        let body = Self::qname(&bp, "Body");
        self.out.push_str(&format!("<{body}{decl}>"));
        self.space();
        if self.pick(4) == 3 {
            self.fault(&bp);
        } else {
            self.resultat();
        }
        if self.one_in(8) {
            self.unknown();
        }
        self.space();
        if !self.one_in(32) {
            self.out.push_str(&format!("</{body}></{env}>"));
        }
    }

    fn resultat(&mut self) {
        // The result namespace: default (live), a prefix on every element (CNDA `ns2:`), or a
        // prefix declared on the Envelope's child only.
        let p = match self.pick(3) {
            0 => String::new(),
            1 => "ns2".to_owned(),
            _ => self.ident(),
        };
        let uri = self.uri(ns::RESULTAT);
        let mut decls = Self::xmlns(&p, uri);
        if self.one_in(3) {
            decls.push_str(&Self::xmlns("ns0", ns::RECVIT));
            decls.push_str(&Self::xmlns("ns1", ns::RECSANS));
        }
        self.node(&RESULTAT, &p, &decls);
    }

    fn node(&mut self, node: &Node, p: &str, decls: &str) {
        self.depth += 1;
        let name = if self.one_in(40) {
            STRANGERS[self.pick(STRANGERS.len())]
        } else {
            node.name
        };
        let q = Self::qname(p, name);
        self.out.push('<');
        self.out.push_str(&q);
        self.out.push_str(decls);
        if self.one_in(16) {
            self.out.push_str(" a=\"&amp;&#x4A;\"");
        }
        if matches!(node.content, Content::Text(_)) && self.one_in(16) {
            self.out.push_str("/>");
            self.depth -= 1;
            return;
        }
        self.out.push('>');
        match &node.content {
            Content::Text(values) => self.value(values),
            Content::Children(children) => {
                for child in children.iter() {
                    self.space();
                    // Dropped, written once, or repeated; sometimes an unknown sibling first.
                    if self.one_in(10) {
                        self.unknown();
                    }
                    let copies = match self.pick(12) {
                        9 => 0,
                        10 => 2,
                        11 if self.depth < 6 => 3,
                        _ => 1,
                    };
                    for _ in 0..copies {
                        // Children redeclare the namespace now and then (entities sample).
                        let own = if self.one_in(12) {
                            Self::xmlns(p, self.uri(ns::RESULTAT))
                        } else {
                            String::new()
                        };
                        self.node(child, p, &own);
                    }
                }
            }
        }
        self.out.push_str(&format!("</{q}>"));
        self.depth -= 1;
    }

    fn value(&mut self, values: &[&str]) {
        match self.pick(10) {
            0..=6 => {
                let v = values.get(self.pick(values.len())).copied().unwrap_or("");
                push_escaped(&mut self.out, v);
            }
            7 => self.random_text(),
            8 => {
                let v = values.first().copied().unwrap_or("");
                self.out.push_str(&format!("<![CDATA[{v}]]>"));
            }
            _ => {
                let v = values.first().copied().unwrap_or("");
                self.out.push_str(" \r\n\t");
                push_escaped(&mut self.out, v);
                self.out.push_str("\r\n");
            }
        }
    }

    fn random_text(&mut self) {
        const PIECES: &[&str] = &[
            "&amp;",
            "&lt;",
            "&gt;",
            "&apos;",
            "&quot;",
            "&#39;",
            "&#x4A;",
            "&#201;",
            "&#0;",
            "&#xD800;",
            "&#1114112;",
            "&bogus;",
            "&",
            "<",
            "]]>",
            "\r\n",
            "\u{0}",
            "É",
            "€",
            "\u{FEFF}",
            "-",
            " ",
            "0",
            "A",
        ];
        let n = self.pick(12);
        for _ in 0..n {
            if self.one_in(3) {
                let c = self.u.arbitrary::<char>().unwrap_or('a');
                self.out.push(c);
            } else {
                let piece = PIECES[self.pick(PIECES.len())];
                self.out.push_str(piece);
            }
        }
    }

    /// An unknown element: empty, with text, with a child, or in another namespace.
    fn unknown(&mut self) {
        let name = STRANGERS[self.pick(STRANGERS.len())];
        match self.pick(4) {
            0 => self.out.push_str(&format!("<{name}/>")),
            1 => {
                self.out.push_str(&format!("<{name}>"));
                self.random_text();
                self.out.push_str(&format!("</{name}>"));
            }
            2 => self
                .out
                .push_str(&format!("<{name}><Sub>t</Sub>mixed<Sub/></{name}>")),
            _ => self
                .out
                .push_str(&format!("<o:{name} xmlns:o=\"urn:other\">x</o:{name}>")),
        }
    }

    fn fault(&mut self, body_prefix: &str) {
        // Fault elements are in the SOAP 1.2 namespace: the body's prefix, or a fresh one.
        let (p, decl) = if self.one_in(4) {
            let p = self.prefix("S");
            let d = Self::xmlns(&p, self.uri(ns::SOAP12));
            (p, d)
        } else {
            (body_prefix.to_owned(), String::new())
        };
        let q = |l: &str| Self::qname(&p, l);
        let extra = if self.one_in(3) {
            Self::xmlns("ns4", ns::SOAP11)
        } else {
            String::new()
        };
        self.out.push_str(&format!("<{}{decl}{extra}>", q("Fault")));
        let codes = ["Sender", "Receiver", "VersionMismatch", "x:y", ""];
        let code = codes[self.pick(codes.len())];
        self.out
            .push_str(&format!("<{}><{}>", q("Code"), q("Value")));
        self.out.push_str(&Self::qname(&p, code));
        self.out.push_str(&format!("</{}>", q("Value")));
        if !self.one_in(4) {
            let subs = ["siram_100", "siram_40", "siram_41", "", "a:b:c"];
            let sub = subs[self.pick(subs.len())];
            self.out.push_str(&format!(
                "<{s}><{v}>{}</{v}></{s}>",
                Self::qname(&p, sub),
                s = q("Subcode"),
                v = q("Value")
            ));
        }
        self.out.push_str(&format!("</{}>", q("Code")));
        if !self.one_in(8) {
            let langs = [" xml:lang=\"fr\"", " xml:lang=\"en\"", "", " xml:lang=\"\""];
            let lang = langs[self.pick(langs.len())];
            self.out
                .push_str(&format!("<{r}><{t}{lang}>", r = q("Reason"), t = q("Text")));
            self.value(&["Le service est temporairement inaccessible.", "Erreur"]);
            self.out
                .push_str(&format!("</{t}></{r}>", r = q("Reason"), t = q("Text")));
        }
        if !self.one_in(4) {
            self.out.push_str(&format!("<{}>", q("Detail")));
            let sp = self.prefix("siram");
            let uri = self.uri(ns::SIRAM);
            let e = Self::qname(&sp, "Erreur");
            let codes = ["desir_1020", "insi_102", "DESIR_550", ""];
            let sev = [
                "fatale",
                "fatal",
                "erreur",
                "avertissement",
                "information",
                "x",
            ];
            self.out.push_str(&format!("<{e}{}", Self::xmlns(&sp, uri)));
            if !self.one_in(8) {
                let c = codes[self.pick(codes.len())];
                self.out.push_str(&format!(" code=\"{c}\""));
            }
            if !self.one_in(4) {
                self.out
                    .push_str(" messageID=\"uuid:4bb69d9e-064f-4dc3-836a-db69046e439a\"");
            }
            if !self.one_in(8) {
                let s = sev[self.pick(sev.len())];
                self.out.push_str(&format!(" severite=\"{s}\""));
            }
            self.out.push('>');
            self.value(&["Le service appelé est temporairement indisponible"]);
            self.out.push_str(&format!("</{e}>"));
            self.out.push_str(&format!("</{}>", q("Detail")));
        }
        self.out.push_str(&format!("</{}>", q("Fault")));
    }
}

/// Text content escaped as XML (the plausible values hold `'` and non-ASCII letters).
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausted_bytes_give_a_plausible_resultat() {
        // No bytes: every choice takes its first option, a live-shaped 00 response.
        let xml = response(&[]);
        let decoded = insi_soap::decode_response(xml.as_bytes());
        assert!(
            matches!(decoded, Ok(ref d) if matches!(d.response, insi_soap::Response::Resultat(_))),
            "{xml}\n{decoded:?}"
        );
    }

    #[test]
    fn some_bytes_give_faults_and_broken_documents_too() {
        let mut faults = 0;
        let mut refused = 0;
        for seed in 0u32..400 {
            let bytes: Vec<u8> = (0..256u32)
                .map(|i| (seed.wrapping_mul(2_654_435_761).wrapping_add(i * 40_503) >> 13) as u8)
                .collect();
            match insi_soap::decode_response(response(&bytes).as_bytes()) {
                Ok(d) if matches!(d.response, insi_soap::Response::Fault(_)) => faults += 1,
                Ok(_) => {}
                Err(_) => refused += 1,
            }
        }
        assert!(
            faults > 0 && refused > 0,
            "faults {faults}, refused {refused}"
        );
    }
}
