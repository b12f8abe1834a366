//! Signing and verification, cross-checked against bergshamra (an independent XML-DSig
//! implementation), with tampering, wrong trust and signature-wrapping attempts.

mod pki;

use std::sync::OnceLock;

use bergshamra::c14n::C14nMode;
use xmldsig::{
    Placement, RsaSoftwareSigner, Verifier, VerifyError, exclusive_c14n, sign_enveloped,
};

fn pki() -> &'static pki::Pki {
    static PKI: OnceLock<pki::Pki> = OnceLock::new();
    PKI.get_or_init(pki::build)
}

fn signer(leaf: &pki::Leaf) -> RsaSoftwareSigner {
    RsaSoftwareSigner::from_pkcs8_der(&leaf.key_pkcs8, leaf.cert_der.clone()).unwrap()
}

const ASSERTION: &str = "<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
    ID=\"_6d3c0e8e-3f7e-4b55-8c46-7a1f4b2e9d10\" IssueInstant=\"2026-11-26T12:00:00.000Z\" Version=\"2.0\">\
    <saml2:Issuer Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName\">CN=899700000001 DUPONT Jean,O=Hôpital de Test,C=FR</saml2:Issuer>\
    <saml2:Subject><saml2:NameID NameQualifier=\"CPS\">899700000001</saml2:NameID></saml2:Subject>\
    <saml2:AttributeStatement><saml2:Attribute Name=\"identifiantFacturation\"><saml2:AttributeValue>991130972</saml2:AttributeValue></saml2:Attribute>\
    <saml2:Attribute Name=\"secteurActivite\"><saml2:AttributeValue>SA07</saml2:AttributeValue></saml2:Attribute></saml2:AttributeStatement>\
    </saml2:Assertion>";

fn sign(xml: &str) -> String {
    sign_enveloped(
        xml,
        "ID",
        Placement::AfterChild("Issuer"),
        &signer(&pki().leaf),
    )
    .unwrap()
}

fn verifier() -> Verifier {
    Verifier::new([pki().root_der.clone()])
        .unwrap()
        .with_intermediates([pki().intermediate_der.clone()])
}

fn oracle_c14n(xml: &str) -> Vec<u8> {
    bergshamra::c14n::canonicalize(xml, C14nMode::Exclusive, None, &[] as &[&str]).unwrap()
}

#[test]
fn c14n_matches_bergshamra_on_tricky_documents() {
    let docs = [
        ASSERTION,
        // Prefixes declared high up and unused, default namespaces switched, attributes in
        // every order, entities, char refs, CRLF, CDATA, comments, PIs, empty elements.
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- c -->\r\n<r:root xmlns:r=\"urn:r\" xmlns:u=\"urn:unused\" xmlns=\"urn:d\" b=\"2\" a=\"1\" r:z=\"&quot;&lt;&amp;&#9;&#10;\">\r\n  <child xmlns:q=\"urn:q\" q:attr=\"x\" xml:lang=\"fr\">D&apos;ARTAGNAN &amp; fils &#233;&#xD;</child>\r\n  <![CDATA[<raw> & ]]><?pi  data ?><empty/><x:e xmlns:x=\"urn:r\"><r:same/></x:e><n xmlns=\"\"><m/></n>\r\n</r:root>",
        "<a xmlns=\"urn:a\"><b xmlns=\"urn:b\"><c xmlns=\"urn:a\"/></b><d xmlns:p=\"urn:p\"><p:e xmlns:p=\"urn:p2\" p:f=\"&gt;\"/></d></a>",
    ];
    for doc in docs {
        let ours = exclusive_c14n(doc).unwrap();
        let theirs = oracle_c14n(doc);
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "{doc}"
        );
    }
}

#[test]
fn signature_sits_after_issuer_and_verifies_here_and_in_bergshamra() {
    let signed = sign(ASSERTION);
    let issuer_end = signed.find("</saml2:Issuer>").unwrap() + "</saml2:Issuer>".len();
    assert!(signed[issuer_end..].starts_with(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
    ));
    assert!(signed.contains("<ds:Reference URI=\"#_6d3c0e8e-3f7e-4b55-8c46-7a1f4b2e9d10\">"));
    // Removing the signature gives back the input exactly.
    let sig_end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    assert_eq!(
        format!("{}{}", &signed[..issuer_end], &signed[sig_end..]),
        ASSERTION
    );

    let verified = verifier().verify(signed.as_bytes()).unwrap();
    assert_eq!(verified.signer_certificate, pki().leaf.cert_der);
    assert_eq!(verified.signed_id, "_6d3c0e8e-3f7e-4b55-8c46-7a1f4b2e9d10");

    // bergshamra in its SAML-safe mode: only the configured key, never KeyInfo's.
    let mut keys = bergshamra::KeysManager::new();
    keys.add_key(bergshamra::keys::loader::load_x509_cert_der(&pki().leaf.cert_der).unwrap());
    let ctx = bergshamra::DsigContext::new(keys).with_trusted_keys_only(true);
    let result = bergshamra::verify(&ctx, &signed).unwrap();
    assert!(result.is_valid(), "bergshamra: {result:?}");
    let tampered = signed.replace("SA07", "SA08");
    assert!(!bergshamra::verify(&ctx, &tampered).unwrap().is_valid());
}

#[test]
fn tampering_is_detected() {
    let signed = sign(ASSERTION);
    let changed = signed.replace("991130972", "991130973");
    assert_eq!(
        verifier().verify(changed.as_bytes()),
        Err(VerifyError::DigestMismatch)
    );
    // Whitespace added inside the signed content changes its canonical form too.
    let changed = signed.replace("<saml2:Subject>", "<saml2:Subject> ");
    assert_eq!(
        verifier().verify(changed.as_bytes()),
        Err(VerifyError::DigestMismatch)
    );
    // A different digest in SignedInfo: the signature value no longer matches.
    let start = signed.find("<ds:DigestValue>").unwrap() + "<ds:DigestValue>".len();
    let mut bytes = signed.clone().into_bytes();
    bytes[start] = if bytes[start] == b'A' { b'B' } else { b'A' };
    let r = verifier().verify(&bytes);
    assert!(
        matches!(
            r,
            Err(VerifyError::DigestMismatch | VerifyError::BadSignature)
        ),
        "{r:?}"
    );
    let start = signed.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len() + 10;
    let mut bytes = signed.into_bytes();
    bytes[start] = if bytes[start] == b'A' { b'B' } else { b'A' };
    assert_eq!(verifier().verify(&bytes), Err(VerifyError::BadSignature));
}

#[test]
fn equivalent_serialisations_still_verify() {
    // Another producer may declare prefixes elsewhere and use other quotes: the canonical form,
    // hence the signature, is unchanged.
    let signed = sign(ASSERTION);
    let reformatted = signed
        .replacen("<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\"", "<saml2:Assertion xmlns:saml2='urn:oasis:names:tc:SAML:2.0:assertion' xmlns:unused=\"urn:x\"", 1)
        .replace("<ds:KeyInfo>", "<ds:KeyInfo>\n");
    verifier().verify(reformatted.as_bytes()).unwrap();
}

#[test]
fn untrusted_expired_and_unsigned_are_refused() {
    let rogue = sign_enveloped(
        ASSERTION,
        "ID",
        Placement::AfterChild("Issuer"),
        &signer(&pki().rogue_leaf),
    )
    .unwrap();
    assert!(matches!(
        verifier().verify(rogue.as_bytes()),
        Err(VerifyError::Untrusted { .. })
    ));
    let expired = sign_enveloped(
        ASSERTION,
        "ID",
        Placement::AfterChild("Issuer"),
        &signer(&pki().expired_leaf),
    )
    .unwrap();
    assert!(matches!(
        verifier().verify(expired.as_bytes()),
        Err(VerifyError::Expired { .. })
    ));
    // The same signature is fine when checked at a time inside the validity period, and holds
    // until the leaf expires (2001-01-01), the earliest notAfter of its chain.
    let verified = verifier()
        .at_time(959_817_600) // 2000-06-01
        .verify(expired.as_bytes())
        .unwrap();
    assert_eq!(verified.chain_not_after, 978_307_200);
    // Intermediate not configured: no chain.
    let only_root = Verifier::new([pki().root_der.clone()]).unwrap();
    assert!(matches!(
        only_root.verify(sign(ASSERTION).as_bytes()),
        Err(VerifyError::Untrusted { .. })
    ));
    // The leaf itself as anchor.
    Verifier::new([pki().leaf.cert_der.clone()])
        .unwrap()
        .verify(sign(ASSERTION).as_bytes())
        .unwrap();
    assert_eq!(
        verifier().verify(ASSERTION.as_bytes()),
        Err(VerifyError::NotSigned)
    );
}

#[test]
fn signature_wrapping_is_refused() {
    let signed = sign(ASSERTION);
    // A second element with the signed ID.
    let wrapped = signed.replace(
        "<saml2:Subject>",
        "<saml2:Subject ID=\"_6d3c0e8e-3f7e-4b55-8c46-7a1f4b2e9d10\">",
    );
    assert!(matches!(
        verifier().verify(wrapped.as_bytes()),
        Err(VerifyError::DuplicateId(_))
    ));
    // The root's ID changed: the reference no longer covers the root.
    let moved = signed.replacen("ID=\"_6d3c0e8e", "ID=\"_evil_6d3c0e8e", 1);
    assert!(matches!(
        verifier().verify(moved.as_bytes()),
        Err(VerifyError::WrongReference { .. })
    ));
    // Two signatures.
    let sig_start = signed.find("<ds:Signature").unwrap();
    let sig_end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let twice = format!("{}{}", &signed[..sig_end], &signed[sig_start..]);
    assert!(matches!(
        verifier().verify(twice.as_bytes()),
        Err(VerifyError::SeveralSignatures(2))
    ));
    // A signature buried deeper than the root's children.
    let buried = signed[..sig_start].to_owned() + &signed[sig_end..];
    let buried = buried.replace(
        "<saml2:Subject>",
        &format!("<saml2:Subject>{}", &signed[sig_start..sig_end]),
    );
    assert!(matches!(
        verifier().verify(buried.as_bytes()),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for input in [
        &b""[..],
        b"<",
        b"\xff\xfe",
        b"<a>&unknown;</a>",
        b"<!DOCTYPE a><a/>",
    ] {
        assert!(verifier().verify(input).is_err());
    }
    let signed = sign(ASSERTION);
    for cut in (0..signed.len()).step_by(97) {
        let _ = verifier().verify(&signed.as_bytes()[..cut]);
    }
}

#[test]
fn bergshamra_signing_our_template_gives_our_bytes() {
    // PKCS#1 v1.5 is deterministic: an independent signer must produce exactly our document.
    let ours = sign(ASSERTION);
    let blank = |xml: &str, tag: &str| {
        let open = format!("<ds:{tag}>");
        let close = format!("</ds:{tag}>");
        let start = xml.find(&open).unwrap() + open.len();
        let end = xml.find(&close).unwrap();
        format!("{}{}", &xml[..start], &xml[end..])
    };
    let template = blank(&blank(&ours, "DigestValue"), "SignatureValue");
    let pem = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&pki().leaf.key_pkcs8);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        )
    };
    let key = bergshamra::keys::loader::load_pem_auto(pem.as_bytes(), None).unwrap();
    let mut keys = bergshamra::KeysManager::new();
    keys.add_key(key);
    let theirs = bergshamra::sign(&bergshamra::DsigContext::new(keys), &template).unwrap();
    assert_eq!(theirs, ours);
}
