//! Every sample of `testdata/xml/` decodes to exactly what it says (or is refused, with where
//! and why).

use insi_soap::{
    DecodeErrorKind, Fault, RequestBody, Response, Resultat, Severite, decode_request,
    decode_response,
};

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/../../testdata/xml/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn resultat(name: &str) -> (Resultat, Vec<String>) {
    let decoded = decode_response(&sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let warnings = decoded.warnings.iter().map(|w| w.to_string()).collect();
    match decoded.response {
        Response::Resultat(r) => (r, warnings),
        Response::Fault(f) => panic!("{name}: fault {f:?}"),
    }
}

fn fault(name: &str) -> Fault {
    match decode_response(&sample(name)).unwrap().response {
        Response::Fault(f) => f,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn live_00_with_two_inshisto() {
    let (r, warnings) = resultat("resultat-00-live.xml");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(r.cr.code(), "00");
    assert_eq!(r.libelle, "OK");
    let ind = r.individu.unwrap();
    assert_eq!(ind.ins_actif.id_individu.num_identifiant, "1090763220834");
    assert_eq!(ind.ins_actif.id_individu.cle.as_deref(), Some("89"));
    assert_eq!(ind.ins_actif.oid.as_str(), "1.2.250.1.213.1.4.8");
    assert_eq!(ind.ins_actif.date_deb, None);
    assert_eq!(ind.ins_histo.len(), 2);
    assert_eq!(
        ind.ins_histo[0].id_individu.num_identifiant,
        "2090763220834"
    );
    assert_eq!(ind.ins_histo[0].date_deb.as_deref(), Some("2019-03-01"));
    assert_eq!(ind.ins_histo[0].date_fin.as_deref(), Some("2019-02-28"));
    assert_eq!(ind.ins_histo[1].id_individu.cle.as_deref(), Some("55"));
    assert_eq!(ind.ins_histo[1].date_fin, None);
    assert_eq!(ind.tiq.nom_naissance.as_deref(), Some("ECETINSI"));
    assert_eq!(ind.tiq.prenom, None);
    assert_eq!(
        ind.tiq.liste_prenom.as_deref(),
        Some("PIERRE-ALAIN MURIEL FLORIANT")
    );
    assert_eq!(ind.tiq.premier_prenom(), Some("PIERRE-ALAIN"));
    assert_eq!(ind.tiq.sexe.as_deref(), Some("M"));
    assert_eq!(ind.tiq.date_naissance.as_deref(), Some("2009-07-14"));
    assert_eq!(ind.tiq.lieu_naissance.as_deref(), Some("63220"));
}

#[test]
fn cnda_ns2_style_decodes_to_the_same_identity_plus_prenom() {
    let (live, _) = resultat("resultat-00-live.xml");
    let (cnda, warnings) = resultat("resultat-00-cnda-ns2.xml");
    assert!(warnings.is_empty(), "{warnings:?}");
    let (l, c) = (live.individu.unwrap(), cnda.individu.unwrap());
    assert_eq!(c.tiq.prenom.as_deref(), Some("PIERRE-ALAIN"));
    assert_eq!(c.tiq.liste_prenom, l.tiq.liste_prenom);
    assert_eq!(
        c.ins_actif.id_individu.type_matricule.as_deref(),
        Some("NIR")
    );
    assert_eq!(c.ins_histo.len(), 2);
    for (a, b) in c.ins_histo.iter().zip(&l.ins_histo) {
        assert_eq!(a.id_individu.num_identifiant, b.id_individu.num_identifiant);
        assert_eq!(a.id_individu.cle, b.id_individu.cle);
        assert_eq!(a.oid, b.oid);
        assert_eq!(a.date_deb, b.date_deb);
        assert_eq!(a.date_fin, b.date_fin);
    }
}

#[test]
fn crlf_corsica_and_histo_equal_to_actif() {
    let bytes = sample("resultat-00-corse-crlf.xml");
    assert!(
        bytes.windows(2).any(|w| w == b"\r\n"),
        "sample must keep its CRLF"
    );
    let (r, warnings) = resultat("resultat-00-corse-crlf.xml");
    assert!(warnings.is_empty(), "{warnings:?}");
    let ind = r.individu.unwrap();
    assert_eq!(ind.ins_actif.id_individu.num_identifiant, "180032B020401");
    assert!(ind.ins_actif.matricule().unwrap().is_corsica());
    assert_eq!(ind.ins_histo, vec![ind.ins_actif.clone()]);
    assert_eq!(ind.tiq.lieu_naissance.as_deref(), Some("2B020"));
}

#[test]
fn nia_oid_is_kept() {
    let (r, _) = resultat("resultat-00-nia.xml");
    let ind = r.individu.unwrap();
    assert!(ind.ins_actif.oid.is_nia());
    assert!(ind.ins_histo.is_empty());
}

#[test]
fn entities_character_references_and_cdata_are_decoded_exactly() {
    let (r, warnings) = resultat("resultat-00-entities.xml");
    assert_eq!(r.cr.code(), "00", "padded CodeCR is trimmed");
    let ind = r.individu.unwrap();
    assert_eq!(
        ind.tiq.nom_naissance.as_deref(),
        Some("D'ARTAGNAN DE L'HERAULT")
    );
    assert_eq!(ind.tiq.liste_prenom.as_deref(), Some("PIERRE-ALAIN JOSÉ"));
    assert_eq!(ind.tiq.sexe.as_deref(), Some("M"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("x:Extension") && warnings[0].contains("line 6"),
        "{warnings:?}"
    );
}

#[test]
fn invalid_histo_key_is_decoded_with_a_warning() {
    let (r, warnings) = resultat("resultat-00-histo-cle-invalide.xml");
    let ind = r.individu.unwrap();
    assert_eq!(ind.ins_histo[0].id_individu.cle.as_deref(), Some("10"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("2810363220456"), "{warnings:?}");
}

#[test]
fn cr_01_and_02_have_no_individu() {
    let (r, w) = resultat("resultat-01.xml");
    assert_eq!(
        (r.cr, r.libelle.as_str(), r.individu, w.len()),
        (
            ins::CodeCr::AucuneIdentite,
            "Aucune identite trouvee",
            None,
            0
        )
    );
    let (r, _) = resultat("resultat-02.xml");
    assert_eq!(r.cr, ins::CodeCr::PlusieursIdentites);
    assert_eq!(r.libelle, "Plusieurs identites trouvees");
}

#[test]
fn live_fault_siram_100() {
    let f = fault("fault-siram100-desir550.xml");
    assert_eq!(f.code, "Sender");
    assert_eq!(f.subcode.as_deref(), Some("siram_100"));
    assert_eq!(f.reason_lang.as_deref(), Some("fr"));
    assert!(f.reason.starts_with("L'accès par ce progiciel"));
    let e = f.erreur.unwrap();
    assert_eq!(e.code, "desir_550");
    assert_eq!(e.severite, "erreur");
    assert_eq!(
        e.message_id.as_deref(),
        Some("uuid:b3549edd-0c56-4c1e-9b1a-2f5a2f7d1c01")
    );
    assert_eq!(e.text, "Numéro d'autorisation du logiciel inconnu.");
}

#[test]
fn s_prefixed_fatal_fault_without_message_id() {
    let f = fault("fault-siram40-insi102-fatal.xml");
    assert_eq!(f.code, "Receiver");
    assert_eq!(f.subcode.as_deref(), Some("siram_40"));
    assert_eq!(f.reason_lang.as_deref(), Some("en"));
    assert!(f.reason.contains("ultérieurement"));
    let e = f.erreur.unwrap();
    assert_eq!(
        (e.code.as_str(), e.severite.as_str()),
        ("insi_102", "fatal")
    );
    assert_eq!(e.severite_kind(), Severite::Fatale);
    assert_eq!(e.message_id, None);
    assert!(e.text.contains("identité"));
    let f = fault("fault-siram40-desir1020.xml");
    assert_eq!(f.erreur.unwrap().severite_kind(), Severite::Fatale);
}

#[test]
fn refusals_say_where_and_why() {
    type Case = (&'static str, fn(&DecodeErrorKind) -> bool, usize);
    let cases: [Case; 4] = [
        (
            "bad-dtd-entities.xml",
            |k| matches!(k, DecodeErrorKind::Dtd),
            2,
        ),
        (
            "bad-wrong-namespace.xml",
            |k| matches!(k, DecodeErrorKind::UnexpectedPayload { .. }),
            1,
        ),
        (
            "bad-soap11.xml",
            |k| matches!(k, DecodeErrorKind::NotSoap12 { .. }),
            1,
        ),
        (
            "bad-truncated.xml",
            |k| matches!(k, DecodeErrorKind::Syntax(_)),
            7,
        ),
    ];
    for (name, expected, line) in cases {
        let err = decode_response(&sample(name)).unwrap_err();
        assert!(expected(&err.kind), "{name}: {err}");
        assert_eq!(err.position.line, line, "{name}: {err}");
    }
    let err = decode_response(&sample("bad-wrong-namespace.xml")).unwrap_err();
    assert!(
        err.to_string().contains("http://www.cnamts.fr/INSiRecSans"),
        "{err}"
    );
}

#[test]
fn mtls_request_decodes_every_header() {
    let d = decode_request(&sample("request-recsansvitale-mtls.xml")).unwrap();
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let r = d.request;
    assert_eq!(
        r.operation(),
        insi_soap::Operation::RechercherInsAvecTraitsIdentite
    );
    assert_eq!(r.action.as_deref(), Some(r.operation().action()));
    assert_eq!(
        r.message_id.as_deref(),
        Some("uuid:4bb69d9e-064f-4dc3-836a-db69046e439a")
    );
    let lps = r.contexte_lps.unwrap();
    assert_eq!(
        (lps.nature.as_deref(), lps.version.as_str()),
        (Some("CTXLPS"), "01_00")
    );
    assert_eq!(lps.temps, "2023-09-26T08:51:16.840Z");
    let l = lps.lps.unwrap();
    assert_eq!(
        (l.idam.as_deref(), l.idam_r.as_deref()),
        (Some("TESTSGIE0000"), Some("4"))
    );
    assert_eq!(l.nom.as_deref(), Some("urn:lps:monlogiciel:2022"));
    let bam = r.contexte_bam.unwrap();
    assert_eq!((bam.nature, bam.version.as_str()), (None, "01_02"));
    assert!(bam.couverture.is_empty());
    assert!(r.assertions.is_empty());
    let RequestBody::RecSansVitale(b) = r.body else {
        panic!()
    };
    assert_eq!(b.nom_naissance.as_deref(), Some("ECETINSI"));
    assert_eq!(b.prenoms, ["PIERRE-ALAIN"]);
    assert_eq!(b.lieu_naissance, None);
}

#[test]
fn cpx_request_keeps_assertion_bytes_and_inherited_prefix() {
    let bytes = sample("request-recsansvitale-cpx.xml");
    let d = decode_request(&bytes).unwrap();
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let r = d.request;
    assert_eq!(r.assertions.len(), 1);
    let a = &r.assertions[0];
    assert!(a.xml.starts_with("<saml:Assertion ID=") && a.xml.ends_with("</saml:Assertion>"));
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.contains(&a.xml), "raw bytes are an exact slice");
    let standalone = a.standalone();
    assert!(
        standalone.starts_with(
            "<saml:Assertion xmlns:S=\"http://www.w3.org/2003/05/soap-envelope\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\""
        ),
        "{standalone}"
    );
    let bam = r.contexte_bam.unwrap();
    assert_eq!(
        (bam.nature.as_deref(), bam.version.as_str()),
        (Some("CTXBAM"), "1.0")
    );
    let RequestBody::RecSansVitale(b) = r.body else {
        panic!()
    };
    assert_eq!(b.nom_naissance.as_deref(), Some("D'ARTAGNAN DE L'HERAULT"));
    assert_eq!(b.lieu_naissance.as_deref(), Some("63220"));
}

#[test]
fn vitale_request_decodes_couverture() {
    let r = decode_request(&sample("request-recvitale.xml"))
        .unwrap()
        .request;
    assert_eq!(
        r.operation(),
        insi_soap::Operation::RechercherInsAvecCarteVitale
    );
    let c = r.contexte_bam.unwrap().couverture;
    assert_eq!(c.assure.unwrap().num, "2751263220749");
    let b = c.beneficiaire.unwrap();
    assert_eq!(b.nir.unwrap().cle.as_deref(), Some("89"));
    assert_eq!(b.date_certification.as_deref(), Some("2020-01-15"));
    assert_eq!(
        (b.date_nai.as_deref(), b.rang.as_deref()),
        (Some("2009-07-14"), Some("1"))
    );
    let RequestBody::RecVitale(v) = r.body else {
        panic!()
    };
    assert_eq!(
        v.matricule_individu.unwrap().num_identifiant,
        "1090763220834"
    );
    assert_eq!(v.matricule_od.unwrap().num_identifiant, "2751263220749");
    assert_eq!(v.rang_naissance.as_deref(), Some("1"));
}

#[test]
fn a_response_is_not_a_request_and_vice_versa() {
    let err = decode_request(&sample("resultat-01.xml")).unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::UnexpectedPayload { .. }),
        "{err}"
    );
    let err = decode_response(&sample("request-recvitale.xml")).unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::UnexpectedPayload { .. }),
        "{err}"
    );
}

#[test]
fn standalone_assertion_never_redeclares_its_own_prefixes() {
    // `>` inside an attribute value before the element's own `xmlns:saml`.
    let envelope = concat!(
        "<S:Envelope xmlns:S=\"http://www.w3.org/2003/05/soap-envelope\" ",
        "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"><S:Header>",
        "<wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">",
        "<saml:Assertion Note=\"a>b\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_x\">",
        "<saml:Issuer>X</saml:Issuer></saml:Assertion></wsse:Security></S:Header>",
        "<S:Body><RECSANSVITALE xmlns=\"http://www.cnamts.fr/INSiRecSans\"/></S:Body></S:Envelope>"
    );
    let a = decode_request(envelope.as_bytes())
        .unwrap()
        .request
        .assertions
        .remove(0);
    let prefixes: Vec<&str> = a.inherited.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        prefixes,
        ["S", "wsse"],
        "saml is declared on the assertion itself"
    );
    let standalone = a.standalone();
    assert_eq!(standalone.matches("xmlns:saml=").count(), 1, "{standalone}");
    assert!(xmldsig::exclusive_c14n(&standalone).is_ok(), "{standalone}");
}

/// A document/literal Body holds one element: the first is read, any other is skipped with a
/// warning, in requests and responses alike.
#[test]
fn only_the_first_body_element_is_read() {
    let response = br#"<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body>
      <RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>01</CodeCR>
      <LibelleCR>Aucune identite trouvee</LibelleCR></CR></RESULTAT>
      <RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>00</CodeCR>
      <LibelleCR>OK</LibelleCR></CR></RESULTAT></S:Body></S:Envelope>"#;
    let decoded = decode_response(response).unwrap();
    match decoded.response {
        Response::Resultat(r) => assert_eq!(r.cr.code(), "01"),
        other => panic!("{other:?}"),
    }
    let warnings: Vec<String> = decoded.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("only the first is read"),
        "{warnings:?}"
    );

    let request = String::from_utf8(sample("request-recsansvitale-mtls.xml")).unwrap();
    let doubled = request.replacen("</soap:Body>", "<extra xmlns=\"urn:x\"/></soap:Body>", 1);
    assert_ne!(doubled, request, "the sample has a soap:Body to extend");
    let decoded = decode_request(doubled.as_bytes()).unwrap();
    assert!(matches!(
        decoded.request.body,
        RequestBody::RecSansVitale(_)
    ));
    assert!(
        decoded
            .warnings
            .iter()
            .any(|w| w.to_string().contains("only the first is read"))
    );
}

#[test]
fn unknown_elements_anywhere_are_skipped_with_one_warning_each() {
    // Fields the service may add (issue 12 item 5): with text, children, mixed content, CDATA,
    // empty, another namespace; in CR, RESULTAT (the last child too), INDIVIDU, INSACTIF,
    // INSHISTO, IdIndividu and TIQ.
    let (live, _) = resultat("resultat-00-live.xml");
    let (r, warnings) = resultat("resultat-00-unknown-elements.xml");
    assert_eq!(r, live);
    let expected = [
        "CodeRetourDetaille> in <CR>",
        "DateTraitement> in <RESULTAT>",
        "Nature> in <IdIndividu>",
        "Statut> in <INSACTIF>",
        "Motif> in <INSHISTO>",
        "Qualification> in <INDIVIDU>",
        "NomUtilise> in <TIQ>",
        "PaysNaissance> in <TIQ>",
        "Commentaire> in <INDIVIDU>",
        "Horodatage> in <RESULTAT>",
    ];
    assert_eq!(warnings.len(), expected.len(), "{warnings:#?}");
    for (w, e) in warnings.iter().zip(expected) {
        assert!(
            w.contains("unknown element <") && w.contains(e),
            "{w} vs {e}"
        );
    }
}

#[test]
fn text_of_a_skipped_last_element_is_not_text_outside_the_root() {
    // The bug of issue 12 item 5: the text of an unknown element that no other element
    // followed was taken for text after the root element.
    let live = String::from_utf8(sample("resultat-00-live.xml")).unwrap();
    for (at, extra) in [
        ("</RESULTAT>", "<Nouveau>texte</Nouveau>"),
        ("</RESULTAT>", "<Nouveau>a<b>c</b>d</Nouveau>"),
        ("</INDIVIDU>", "<Nouveau>texte</Nouveau>"),
        ("</env:Body>", "<Nouveau>texte</Nouveau>"),
        ("</soap:Envelope>", "<Nouveau>texte</Nouveau>"),
    ] {
        let xml = live.replacen(at, &format!("{extra}{at}"), 1);
        let decoded = decode_response(xml.as_bytes()).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(decoded.warnings.len(), 1, "{at}: {:?}", decoded.warnings);
    }
    // Text after the root is still refused, as is any entity or CDATA there.
    for tail in ["x", "&amp;", "<![CDATA[x]]>"] {
        let xml = format!("{live}{tail}");
        let err = decode_response(xml.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("outside the root") || err.to_string().contains("malformed"),
            "{tail}: {err}"
        );
    }
}
