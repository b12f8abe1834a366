//! The PS assertion: built from a CPS-like certificate, signed with a software key through
//! `xmldsig::Signer`, carried in a request, extracted on the server side and verified.

use insi_soap::{
    CallIds, Caller, PsAssertion, PsAttributes, RecSansVitale, Request, decode_request,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DistinguishedName,
    DnType, IsCa, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
};
use xmldsig::{RsaSoftwareSigner, Verifier, VerifyError};

struct Card {
    root_der: Vec<u8>,
    signer: RsaSoftwareSigner,
}

/// A CPS-like signature certificate (NOT FOR PRODUCTION): multi-valued first RDN, card type
/// extension `1.2.250.1.71.1.2.2` with last byte `card_type`.
fn card(card_type: Option<u8>) -> Card {
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "TEST AC CLASSE-1");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // ECDSA CA (instant to generate); one RSA-2048 card key per test process.
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let root = CertifiedIssuer::self_signed(ca, ca_key).unwrap();
    let mut leaf = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 12]), "Médecin");
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 4]),
        "DUPONT, dit \"JEAN\"",
    );
    dn.push(DnType::CommonName, "899700000001");
    leaf.distinguished_name = dn;
    if let Some(t) = card_type {
        // ENUMERATED-like content; only its last byte matters (§2.5.2).
        leaf.custom_extensions
            .push(CustomExtension::from_oid_content(
                &[1, 2, 250, 1, 71, 1, 2, 2],
                vec![0x0a, 0x01, t],
            ));
    }
    static KEY: std::sync::OnceLock<KeyPair> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap());
    let cert = leaf.signed_by(key, &root).unwrap();
    Card {
        root_der: root.der().to_vec(),
        signer: RsaSoftwareSigner::from_pkcs8_der(&key.serialize_der(), cert.der().to_vec())
            .unwrap(),
    }
}

fn attributes() -> PsAttributes {
    PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: Some("01".into()),
        secteur_activite: "SA07".into(),
    }
}

fn assertion(card: &Card) -> PsAssertion {
    use xmldsig::Signer;
    PsAssertion::from_certificate(
        card.signer.certificate_der(),
        attributes(),
        "6d3c0e8e-3f7e-4b55-8c46-7a1f4b2e9d10".parse().unwrap(),
        "2026-11-26T12:00:00.5Z".parse().unwrap(),
    )
    .unwrap()
}

#[test]
fn fields_come_from_the_certificate() {
    let a = assertion(&card(Some(0)));
    assert_eq!(a.id, "_6d3c0e8e-3f7e-4b55-8c46-7a1f4b2e9d10");
    assert_eq!(a.issue_instant, "2026-11-26T12:00:00.500Z");
    assert_eq!(a.name_id, "899700000001");
    assert_eq!(a.name_qualifier, "CPS");
    assert_eq!(
        a.issuer,
        "CN=899700000001,SN=DUPONT\\, dit \\\"JEAN\\\",T=Médecin,C=FR"
    );
    for (t, q) in [
        (Some(1), "CPF"),
        (Some(2), "CDE-CPE"),
        (Some(3), "CPA"),
        (Some(9), "CPX"),
        (None, "CPX"),
    ] {
        assert_eq!(assertion(&card(t)).name_qualifier, q);
    }
}

#[test]
fn unsigned_form_is_its_own_canonical_form() {
    let xml = assertion(&card(Some(0))).to_xml();
    assert_eq!(
        String::from_utf8(xmldsig::exclusive_c14n(&xml).unwrap()).unwrap(),
        xml
    );
    let oracle = looks_canonical(&xml);
    assert!(
        oracle,
        "attributes sorted, no whitespace, no self-closing tags"
    );
    assert!(xml.contains(
        "<Attribute Name=\"codeSpecialiteAMO\"><AttributeValue>01</AttributeValue></Attribute>"
    ));
}

fn looks_canonical(xml: &str) -> bool {
    !xml.contains("/>")
        && !xml.contains("> <")
        && xml.starts_with("<Assertion xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=")
}

#[test]
fn signed_assertion_travels_in_a_request_and_verifies_on_the_other_side() {
    let card = card(Some(0));
    let a = assertion(&card);
    let raw = a.sign(&card.signer).unwrap();
    let issuer_end = raw.xml.find("</Issuer>").unwrap() + "</Issuer>".len();
    assert!(
        raw.xml[issuer_end..].starts_with("<ds:Signature"),
        "Signature right after Issuer"
    );

    let caller = Caller {
        idam: "TESTSGIE0000".into(),
        lps_version: "1.0".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-bench:1.0".into(),
        emetteur: a.name_id.clone(),
    };
    let traits = ins::Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).unwrap();
    let req = Request::rechercher_par_traits(
        &caller,
        &CallIds::fresh(),
        RecSansVitale::from_traits(&traits),
    )
    .with_assertion(raw.clone());
    let received = decode_request(req.encode().as_bytes()).unwrap().request;
    let got = &received.assertions[0];
    assert_eq!(got.xml, raw.xml);

    let verified = Verifier::new([card.root_der.clone()])
        .unwrap()
        .verify(got.standalone().as_bytes())
        .unwrap();
    assert_eq!(verified.signed_id, a.id);
    assert_eq!(PsAssertion::decode(got.standalone().as_bytes()).unwrap(), a);

    let forged = got.standalone().replace("SA07", "SA05");
    assert_eq!(
        Verifier::new([card.root_der])
            .unwrap()
            .verify(forged.as_bytes()),
        Err(VerifyError::DigestMismatch)
    );
}

#[test]
fn an_assertion_inheriting_its_prefix_verifies_once_standalone() {
    // Another client's style: `saml:` prefixes, the prefix declared on the Envelope rather than
    // on the assertion. Its canonical form (hence its signature) is the same either way.
    let card = card(Some(0));
    let unsigned = assertion(&card)
        .to_xml()
        .replacen("<Assertion xmlns=", "<saml:Assertion xmlns:saml=", 1)
        .replace("</Assertion>", "</saml:Assertion>");
    let unsigned = [
        "Issuer",
        "Subject",
        "NameID",
        "AttributeStatement",
        "AttributeValue",
        "Attribute",
    ]
    .iter()
    .fold(unsigned, |x, t| {
        x.replace(&format!("<{t}>"), &format!("<saml:{t}>"))
            .replace(&format!("<{t} "), &format!("<saml:{t} "))
            .replace(&format!("</{t}>"), &format!("</saml:{t}>"))
    });
    let signed = xmldsig::sign_enveloped(
        &unsigned,
        "ID",
        xmldsig::Placement::AfterChild("Issuer"),
        &card.signer,
    )
    .unwrap();
    let detached = signed.replacen(
        " xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"",
        "",
        1,
    );
    assert_ne!(detached, signed);
    let envelope = format!(
        "<S:Envelope xmlns:S=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">\
         <S:Header><wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">{detached}</wsse:Security></S:Header>\
         <S:Body><RECSANSVITALE xmlns=\"http://www.cnamts.fr/INSiRecSans\"><NomNaissance>X</NomNaissance></RECSANSVITALE></S:Body></S:Envelope>"
    );
    let got = decode_request(envelope.as_bytes())
        .unwrap()
        .request
        .assertions
        .remove(0);
    assert_eq!(got.xml, detached);
    // Alone, the bytes do not even parse (undeclared prefix)...
    assert!(
        Verifier::new([card.root_der.clone()])
            .unwrap()
            .verify(got.xml.as_bytes())
            .is_err()
    );
    // ...standalone() restores the inherited declaration, and the signature holds.
    let standalone = got.standalone();
    Verifier::new([card.root_der.clone()])
        .unwrap()
        .verify(standalone.as_bytes())
        .unwrap();
    assert_eq!(
        PsAssertion::decode(standalone.as_bytes())
            .unwrap()
            .attributes,
        attributes()
    );
}
