//! What we write decodes back to what we meant, in every style the simulator can choose.

use ins::{CodeCr, Matricule, Oid, Traits};
use insi_soap::{
    Beneficiaire, CallIds, Caller, Couverture, Fault, FaultStyle, Individu, InsNumber,
    MatriculeXml, Nir, RawAssertion, RecSansVitale, RecVitale, Request, RequestBody, Response,
    Resultat, ResultatStyle, Tiq, decode_request, decode_response,
};

fn caller() -> Caller {
    Caller {
        idam: "TESTSGIE0000".into(),
        lps_version: "1.0".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-bench:1.0".into(),
        emetteur: "10B0152872".into(),
    }
}

fn ids() -> CallIds {
    CallIds {
        message_id: "4bb69d9e-064f-4dc3-836a-db69046e439a".parse().unwrap(),
        lps_id: "65313e45-3066-4210-a3a7-57d6a8c557f1".parse().unwrap(),
        bam_id: "4994d193-31fb-4dd9-8b64-90004c072f68".parse().unwrap(),
        temps: "2023-09-26T08:51:16.840Z".parse().unwrap(),
    }
}

#[test]
fn trait_search_envelope_is_the_working_shape() {
    let traits = Traits::parse("ecetinsi", "pierre-alain", "M", "2009-07-14", None).unwrap();
    let req =
        Request::rechercher_par_traits(&caller(), &ids(), RecSansVitale::from_traits(&traits));
    let xml = req.encode();
    let expected = concat!(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header>",
        "<ctxbam:ContexteBAM xmlns:ctxbam=\"urn:siram:bam:ctxbam\" Version=\"01_02\">",
        "<ctxbam:Id>4994d193-31fb-4dd9-8b64-90004c072f68</ctxbam:Id>",
        "<ctxbam:Temps>2023-09-26T08:51:16.840Z</ctxbam:Temps>",
        "<ctxbam:Emetteur>10B0152872</ctxbam:Emetteur><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>",
        "<ctxlps:ContexteLPS xmlns:ctxlps=\"urn:siram:lps:ctxlps\" Nature=\"CTXLPS\" Version=\"01_00\">",
        "<ctxlps:Id>65313e45-3066-4210-a3a7-57d6a8c557f1</ctxlps:Id>",
        "<ctxlps:Temps>2023-09-26T08:51:16.840Z</ctxlps:Temps>",
        "<ctxlps:Emetteur>10B0152872</ctxlps:Emetteur><ctxlps:LPS>",
        "<ctxlps:IDAM R=\"4\">TESTSGIE0000</ctxlps:IDAM><ctxlps:Version>1.0</ctxlps:Version>",
        "<ctxlps:Instance>636c9d43-1a19-5b8c-a8b1-ac43227cfe46</ctxlps:Instance>",
        "<ctxlps:Nom>urn:lps:insi-bench:1.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>",
        "<wsa:Action xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">",
        "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite</wsa:Action>",
        "<wsa:MessageID xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">",
        "uuid:4bb69d9e-064f-4dc3-836a-db69046e439a</wsa:MessageID></soap:Header><soap:Body>",
        "<ins:RECSANSVITALE xmlns:ins=\"http://www.cnamts.fr/INSiRecSans\">",
        "<ins:NomNaissance>ECETINSI</ins:NomNaissance><ins:Prenom>PIERRE-ALAIN</ins:Prenom>",
        "<ins:Sexe>M</ins:Sexe><ins:DateNaissance>2009-07-14</ins:DateNaissance>",
        "</ins:RECSANSVITALE></soap:Body></soap:Envelope>",
    );
    assert_eq!(xml, expected);
    let mut direct = String::new();
    Request::write_trait_search(
        &caller(),
        &ids(),
        RecSansVitale::from_traits(&traits),
        &mut direct,
    );
    assert_eq!(
        direct, expected,
        "the allocation-free writer gives the same bytes"
    );
    assert_eq!(
        req.content_type(),
        "application/soap+xml; charset=utf-8; action=\"urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite\""
    );
    let back = decode_request(xml.as_bytes()).unwrap();
    assert!(back.warnings.is_empty());
    assert_eq!(back.request, req);
}

#[test]
fn cpx_and_vitale_requests_round_trip_with_assertions() {
    let assertion = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_a\" \
                     IssueInstant=\"2026-11-26T12:00:00.000Z\" Version=\"2.0\"><saml:Issuer>CN=X</saml:Issuer></saml:Assertion>";
    let couverture = Couverture {
        assure: Some(Nir {
            num: "2751263220749".into(),
            cle: Some("74".into()),
        }),
        beneficiaire: Some(Beneficiaire {
            nir: Some(Nir {
                num: "1090763220834".into(),
                cle: Some("89".into()),
            }),
            date_certification: Some("2020-01-15".into()),
            date_nai: Some("2009-07-14".into()),
            rang: Some("1".into()),
            porteur: None,
        }),
        ..Couverture::default()
    };
    let body = RecVitale {
        matricule_individu: Some(MatriculeXml::new("1090763220834", None)),
        matricule_od: Some(MatriculeXml::new("2751263220749", None)),
        nom_naissance: Some("ECETINSI".into()),
        date_naissance: Some("2009-07-14".into()),
        rang_naissance: Some("1".into()),
    };
    let req = Request::rechercher_par_vitale(&caller(), &ids(), body, couverture)
        .with_assertion(RawAssertion::new(assertion))
        .with_assertion(RawAssertion::new(assertion.replace("_a", "_b")));
    let xml = req.encode();
    let back = decode_request(xml.as_bytes()).unwrap().request;
    assert_eq!(back.assertions.len(), 2);
    assert_eq!(back.assertions[0].xml, assertion);
    assert_eq!(back.body, req.body);
    assert_eq!(back.contexte_bam, req.contexte_bam);
    assert_eq!(
        back.action.as_deref(),
        Some("urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale")
    );
    assert!(matches!(back.body, RequestBody::RecVitale(_)));
}

fn individu() -> Individu {
    let m = Matricule::parse("1090763220834").unwrap();
    let mut histo = InsNumber::new(&Matricule::parse("2090763220834").unwrap(), Oid::InsNir);
    histo.date_deb = Some("2019-03-01".into());
    histo.date_fin = Some("2019-02-28".into());
    Individu {
        ins_actif: InsNumber::new(&m, Oid::InsNir),
        ins_histo: vec![histo],
        tiq: Tiq {
            nom_naissance: Some("D'ARTAGNAN & <FILS>".into()),
            prenom: None,
            liste_prenom: Some("PIERRE-ALAIN MURIEL".into()),
            sexe: Some("M".into()),
            date_naissance: Some("2009-07-14".into()),
            lieu_naissance: Some("63220".into()),
        },
    }
}

fn decode_resultat(xml: &str) -> Resultat {
    let d = decode_response(xml.as_bytes()).unwrap();
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    match d.response {
        Response::Resultat(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn resultat_styles_round_trip() {
    let r = Resultat::ok(individu());
    let live = r.encode(ResultatStyle::Live);
    assert!(live.starts_with(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body xmlns:S="
    ));
    assert!(live.contains("<RESULTAT xmlns=\"http://www.cnamts.fr/INSiResultat\" xmlns:ns0="));
    assert!(!live.contains("<Prenom>"));
    assert_eq!(decode_resultat(&live), r);

    let cnda = r.encode(ResultatStyle::Cnda);
    assert!(cnda.contains("<ns2:RESULTAT xmlns=\"http://www.cnamts.fr/INSiRecSans\" xmlns:ns2=\"http://www.cnamts.fr/INSiResultat\">"));
    assert_eq!(decode_resultat(&cnda), r);

    let both = r.encode(ResultatStyle::PrenomEtListePrenom);
    assert!(
        both.contains(
            "<Prenom>PIERRE-ALAIN</Prenom><ListePrenom>PIERRE-ALAIN MURIEL</ListePrenom>"
        )
    );
    let mut expected = r.clone();
    if let Some(i) = expected.individu.as_mut() {
        i.tiq.prenom = Some("PIERRE-ALAIN".into());
    }
    assert_eq!(decode_resultat(&both), expected);

    for cr in [CodeCr::AucuneIdentite, CodeCr::PlusieursIdentites] {
        let r = Resultat::without_identity(cr);
        for style in [ResultatStyle::Live, ResultatStyle::Cnda] {
            assert_eq!(decode_resultat(&r.encode(style)), r);
        }
    }
}

#[test]
fn faults_round_trip_in_both_styles() {
    let id = Some("uuid:4bb69d9e-064f-4dc3-836a-db69046e439a");
    for fault in [
        Fault::idam_inconnu(id),
        Fault::service_indisponible(id),
        Fault::erreur_technique_traits(None),
        Fault::niveau_acces_insuffisant(id),
    ] {
        for style in [FaultStyle::Live, FaultStyle::S] {
            let xml = fault.encode(style);
            let d = decode_response(xml.as_bytes()).unwrap();
            assert!(d.warnings.is_empty(), "{:?}", d.warnings);
            assert_eq!(d.response, Response::Fault(fault.clone()), "{xml}");
        }
    }
    let s = Fault::erreur_technique_traits(None).encode(FaultStyle::S);
    assert!(s.contains("<S:Value>S:Receiver</S:Value>") && s.contains("severite=\"fatal\""));
    assert!(s.contains("xmlns:ns4=\"http://schemas.xmlsoap.org/soap/envelope/\""));
    let live = Fault::idam_inconnu(id).encode(FaultStyle::Live);
    assert!(live.contains("<soap:Subcode><soap:Value>soap:siram_100</soap:Value></soap:Subcode>"));
    assert!(live.contains("<soap:Text xml:lang=\"fr\">"));
}
