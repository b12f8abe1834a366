//! Property tests: what we encode decodes back exactly (random valid traits and INS with
//! apostrophes, hyphens, `--`, spaces, Corsica), and decoding never panics on mutated or
//! truncated messages.

use ins::{CodeCr, Matricule, Oid, Traits};
use insi_soap::{
    CallIds, Caller, Fault, FaultStyle, Individu, InsNumber, PsAssertion, RecSansVitale, Request,
    Response, Resultat, ResultatStyle, SiramErreur, Tiq, decode_request, decode_response,
};
use proptest::prelude::*;

/// A name part: letters, then optional separators the INSi rules allow.
fn name() -> impl Strategy<Value = String> {
    let word = "[A-Z]{1,8}";
    let sep = prop_oneof![Just(" "), Just("-"), Just("'"), Just("--")];
    (
        prop::option::of(Just("'")),
        word,
        prop::collection::vec((sep, word), 0..3),
    )
        .prop_map(|(lead, first, rest)| {
            let mut s = lead.unwrap_or("").to_owned() + &first;
            for (sep, w) in rest {
                s.push_str(sep);
                s.push_str(&w);
            }
            s
        })
}

fn prenoms() -> impl Strategy<Value = String> {
    let word = "[A-Z]{1,8}";
    let composed = (
        word,
        prop::option::of(prop_oneof![Just("-"), Just("'")]),
        word,
    )
        .prop_map(|(a, sep, b)| match sep {
            Some(sep) => format!("{a}{sep}{b}"),
            None => a,
        });
    prop::collection::vec(composed, 1..4).prop_map(|v| v.join(" "))
}

fn cog() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "[0-9]{2}[0-9]{3}".prop_filter("not 20", |c| !c.starts_with("20")),
        "2[AB][0-9]{3}",
        Just("99100".to_owned()),
        Just("99999".to_owned()),
    ])
}

fn traits() -> impl Strategy<Value = Traits> {
    (
        name(),
        prenoms(),
        prop_oneof![Just("M"), Just("F")],
        1900u16..2026,
        1u8..13,
        1u8..29,
        cog(),
    )
        .prop_filter_map("valid traits", |(nom, prenoms, sexe, y, m, d, cog)| {
            Traits::parse(
                &nom,
                &prenoms,
                sexe,
                &format!("{y:04}-{m:02}-{d:02}"),
                cog.as_deref(),
            )
            .ok()
        })
}

fn matricule() -> impl Strategy<Value = Matricule> {
    prop_oneof![
        "[12][0-9]{2}(0[1-9]|1[0-2])[0-9]{8}",
        "[12][0-9]{2}(0[1-9]|1[0-2])2[AB][0-9]{6}",
    ]
    .prop_filter_map("valid matricule", |s| Matricule::parse(&s).ok())
}

fn ins_number() -> impl Strategy<Value = InsNumber> {
    (
        matricule(),
        prop_oneof![
            Just(Oid::InsNir),
            Just(Oid::InsNia),
            Just(Oid::Other("1.2.3.4".into()))
        ],
        prop::option::of("20[0-2][0-9]-0[1-9]-[0-2][1-9]"),
        prop::option::of("20[0-2][0-9]-0[1-9]-[0-2][1-9]"),
    )
        .prop_map(|(m, oid, deb, fin)| {
            let mut n = InsNumber::new(&m, oid);
            n.date_deb = deb;
            n.date_fin = fin;
            n
        })
}

/// Text any XML 1.0 document can carry, including markup characters and non-ASCII.
fn xml_text() -> impl Strategy<Value = String> {
    "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f}\u{fffe}\u{ffff}]{0,40}"
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An element INSi does not define (a field the service might add): with or without text,
/// children, mixed content, CDATA, attributes, in the RESULTAT namespace or another one.
fn unknown_element() -> impl Strategy<Value = String> {
    let leaf =
        ("Futur[A-Za-z]{0,6}", prop::option::of(xml_text())).prop_map(|(name, text)| match text {
            Some(text) => format!("<{name}>{}</{name}>", escape(&text)),
            None => format!("<{name}/>"),
        });
    let child = prop_oneof![
        leaf,
        xml_text().prop_map(|t| escape(&t)),
        "[a-z ]{0,10}".prop_map(|t| format!("<![CDATA[{t}]]>")),
    ];
    (
        "Futur[A-Za-z]{0,6}",
        prop::collection::vec(child, 0..4),
        prop_oneof![
            Just(String::new()),
            Just(" xmlns=\"urn:example:futur\"".to_owned()),
            Just(" code=\"A1\" n=\"&amp;\"".to_owned()),
        ],
        prop::option::of(Just("f")),
    )
        .prop_map(|(name, children, attrs, prefix)| {
            let (name, attrs) = match prefix {
                Some(p) => (
                    format!("{p}:{name}"),
                    format!("{attrs} xmlns:{p}=\"urn:example:f\""),
                ),
                None => (name, attrs),
            };
            format!("<{name}{attrs}>{}</{name}>", children.concat())
        })
}

fn caller() -> Caller {
    Caller {
        idam: "TESTSGIE0000".into(),
        lps_version: "1.0".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-bench:1.0".into(),
        emetteur: "10B0152872".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn trait_search_requests_round_trip(t in traits(), loop_index in 0usize..4) {
        let prenom = t.prenoms.iter().nth(loop_index).map(str::to_owned).unwrap_or_else(|| t.prenoms.liste());
        let ids = CallIds::fresh();
        let req = Request::rechercher_par_traits(&caller(), &ids, RecSansVitale::with_prenom(&t, &prenom));
        let mut direct = String::new();
        Request::write_trait_search(&caller(), &ids, RecSansVitale::with_prenom(&t, &prenom), &mut direct);
        prop_assert_eq!(&direct, &req.encode());
        let back = decode_request(req.encode().as_bytes()).unwrap();
        prop_assert!(back.warnings.is_empty());
        prop_assert_eq!(back.request, req);
    }

    #[test]
    fn resultats_round_trip_in_every_style(
        t in traits(), actif in ins_number(), histo in prop::collection::vec(ins_number(), 0..4),
        style in prop_oneof![Just(ResultatStyle::Live), Just(ResultatStyle::Cnda), Just(ResultatStyle::PrenomEtListePrenom)],
        with_prenom in any::<bool>(),
    ) {
        let tiq = Tiq {
            nom_naissance: Some(t.nom_naissance.as_str().to_owned()),
            prenom: with_prenom.then(|| t.prenoms.premier().to_owned()),
            liste_prenom: Some(t.prenoms.liste()),
            sexe: Some(t.sexe.as_str().to_owned()),
            date_naissance: Some(t.date_naissance.to_string()),
            lieu_naissance: t.lieu_naissance.map(|c| c.as_str().to_owned()),
        };
        let r = Resultat::ok(Individu { ins_actif: actif, ins_histo: histo, tiq });
        let decoded = decode_response(r.encode(style).as_bytes()).unwrap();
        prop_assert!(decoded.warnings.is_empty(), "{:?}", decoded.warnings);
        let Response::Resultat(back) = decoded.response else { panic!("not a RESULTAT") };
        let mut expected = r.clone();
        if let Some(i) = expected.individu.as_mut() {
            i.tiq.prenom = match style {
                ResultatStyle::Live => None,
                ResultatStyle::Cnda => i.tiq.prenom.clone(),
                ResultatStyle::PrenomEtListePrenom => Some(t.prenoms.premier().to_owned()),
            };
        }
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn an_unknown_element_anywhere_in_resultat_keeps_the_value_and_adds_one_warning(
        t in traits(), actif in ins_number(), histo in prop::collection::vec(ins_number(), 0..3),
        style in prop_oneof![Just(ResultatStyle::Live), Just(ResultatStyle::Cnda), Just(ResultatStyle::PrenomEtListePrenom)],
        at in any::<prop::sample::Index>(),
        extra in unknown_element(),
    ) {
        let tiq = Tiq {
            nom_naissance: Some(t.nom_naissance.as_str().to_owned()),
            prenom: None,
            liste_prenom: Some(t.prenoms.liste()),
            sexe: Some(t.sexe.as_str().to_owned()),
            date_naissance: Some(t.date_naissance.to_string()),
            lieu_naissance: t.lieu_naissance.map(|c| c.as_str().to_owned()),
        };
        let xml = Resultat::ok(Individu { ins_actif: actif, ins_histo: histo, tiq }).encode(style);
        let plain = decode_response(xml.as_bytes()).unwrap();
        // Every place between markup inside RESULTAT: after a '>' or before a '<' (inside a
        // leaf too, where the value is the text around the element).
        let open = xml.find("RESULTAT").unwrap();
        let content = open + xml[open..].find('>').unwrap() + 1;
        let close = xml.rfind("RESULTAT>").unwrap();
        let close = xml[..close].rfind('<').unwrap();
        let bytes = xml.as_bytes();
        let places: Vec<usize> = (content..=close)
            .filter(|&i| bytes[i - 1] == b'>' || bytes[i] == b'<')
            .collect();
        let i = places[at.index(places.len())];
        let with = format!("{}{}{}", &xml[..i], extra, &xml[i..]);
        let decoded = decode_response(with.as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{with}"));
        prop_assert_eq!(&decoded.response, &plain.response, "{}", with);
        prop_assert_eq!(decoded.warnings.len(), plain.warnings.len() + 1, "{:?}", decoded.warnings);
    }

    #[test]
    fn any_text_survives_a_fault_round_trip(
        reason in xml_text(), detail in xml_text(), code in "[a-zA-Z_0-9]{1,12}",
        severite in prop_oneof![Just("erreur"), Just("fatale"), Just("fatal"), Just("information")],
        message_id in prop::option::of(xml_text()), lang in prop::option::of("[a-z]{2}"),
        style in prop_oneof![Just(FaultStyle::Live), Just(FaultStyle::S)],
        cr in "[0-9]{2}", libelle in xml_text(),
    ) {
        let fault = Fault {
            code: "Sender".into(),
            subcode: Some("siram_100".into()),
            reason,
            reason_lang: lang,
            erreur: Some(SiramErreur { code, severite: severite.into(), message_id, text: detail }),
        };
        let back = decode_response(fault.encode(style).as_bytes()).unwrap().response;
        prop_assert_eq!(back, Response::Fault(fault));
        let r = Resultat { cr: CodeCr::new(&cr), libelle, individu: None };
        let back = decode_response(r.encode(ResultatStyle::Live).as_bytes()).unwrap().response;
        prop_assert_eq!(back, Response::Resultat(r));
    }
}

fn samples() -> Vec<Vec<u8>> {
    let dir = format!("{}/../../testdata/xml", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "xml"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    out.sort();
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let markup = prop::sample::select(vec![
        &b"<"[..],
        b">",
        b"&",
        b"&#",
        b"&#x110000;",
        b"&lt",
        b"]]>",
        b"<![CDATA[",
        b"<!--",
        b"<?",
        b"\"",
        b"'",
        b"xmlns=\"\"",
        b"xmlns:p=\"urn:x\"",
        b"</",
        b"/>",
        b"<!DOCTYPE x>",
        b"\xff",
        b"\xc3",
        b"\0",
    ])
    .prop_map(<[u8]>::to_vec);
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<usize>(),
            prop_oneof![markup, prop::collection::vec(any::<u8>(), 1..8)]
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 1usize..200).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let len = bytes.len().max(1);
    match m {
        Mutation::Truncate(i) => bytes.truncate(i % len),
        Mutation::Flip(i, b) => {
            if let Some(x) = bytes.get_mut(i % len) {
                *x ^= b | 1;
            }
        }
        Mutation::Insert(i, v) => {
            let at = i % (bytes.len() + 1);
            bytes.splice(at..at, v.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let at = i % len;
            let end = (at + n).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
        Mutation::Duplicate(i, n) => {
            let at = i % len;
            let end = (at + n).min(bytes.len());
            let chunk = bytes[at.min(end)..end].to_vec();
            bytes.splice(end..end, chunk);
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoders_never_panic_on_mutated_messages(
        index in any::<prop::sample::Index>(), mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let all = samples();
        let mut bytes = index.get(&all).clone();
        for m in &mutations {
            bytes = apply(bytes, m);
        }
        // Any outcome is fine but a panic; errors must carry a position inside the input.
        if let Err(e) = decode_response(&bytes) {
            prop_assert!(e.position.byte <= bytes.len());
        }
        if let Err(e) = decode_request(&bytes) {
            prop_assert!(e.position.byte <= bytes.len());
        }
        let _ = PsAssertion::decode(&bytes);
    }
}
