//! SOAP targets: what the client reads from the service (responses), what the simulator reads
//! from clients (requests and their PS assertions), and the XML-DSig layer under both.

use std::sync::OnceLock;

use insi_soap::{Fault, FaultStyle, PsAssertion, Response, Resultat, ResultatStyle};

use crate::{envelope, text};

const RESULTAT_STYLES: [ResultatStyle; 3] = [
    ResultatStyle::Live,
    ResultatStyle::Cnda,
    ResultatStyle::PrenomEtListePrenom,
];

/// `decode_response` (RESULTAT or Fault) never panics; a decoded value re-encoded in every
/// style decodes again to the same value.
pub fn decode_response(data: &[u8]) {
    let Ok(decoded) = insi_soap::decode_response(data) else {
        return;
    };
    match decoded.response {
        Response::Resultat(r) => resultat_round_trip(&r),
        Response::Fault(f) => fault_round_trip(&f),
    }
}

/// [`decode_response`] on envelopes built by [`envelope::response`] from the bytes: right
/// namespaces under random prefixes, the RESULTAT/INDIVIDU/INSACTIF/INSHISTO/TIQ and Fault
/// nesting with elements dropped, repeated or unknown, entities, CDATA and CRLF — shapes that
/// plain byte mutation takes hours to reach.
pub fn decode_response_structured(data: &[u8]) {
    let xml = envelope::response(data);
    decode_response(xml.as_bytes());
}

fn resultat_round_trip(r: &Resultat) {
    for style in RESULTAT_STYLES {
        let again = r.encode(style);
        let decoded = match insi_soap::decode_response(again.as_bytes()) {
            Ok(d) => d.response,
            Err(e) => {
                panic!("RESULTAT re-encoded in style {style:?} does not decode: {e}\n{again}")
            }
        };
        let Response::Resultat(mut decoded) = decoded else {
            panic!("RESULTAT re-encoded in style {style:?} decodes as a Fault:\n{again}");
        };
        // Only the CNDA style keeps `Prenom` as it is: Live drops it, PrenomEtListePrenom
        // derives it from ListePrenom (docs/codec.md). Everything else survives every style.
        let mut expected = r.clone();
        if style != ResultatStyle::Cnda {
            for tiq in [&mut expected, &mut decoded]
                .into_iter()
                .filter_map(|r| r.individu.as_mut().map(|i| &mut i.tiq))
            {
                tiq.prenom = None;
            }
        }
        assert_eq!(
            decoded, expected,
            "RESULTAT re-encoded in style {style:?} decodes to another value:\n{again}"
        );
    }
}

fn fault_round_trip(f: &Fault) {
    for style in [FaultStyle::Live, FaultStyle::S] {
        let again = f.encode(style);
        match insi_soap::decode_response(again.as_bytes()) {
            Ok(d) => assert_eq!(
                d.response,
                Response::Fault(f.clone()),
                "Fault re-encoded in style {style:?} decodes to another value:\n{again}"
            ),
            Err(e) => panic!("Fault re-encoded in style {style:?} does not decode: {e}\n{again}"),
        }
    }
}

/// `decode_request` (the simulator's parser) never panics; each assertion it extracts reads
/// back through `PsAssertion::decode` and the verifier without panicking; a decoded request
/// re-encoded decodes to the same body.
pub fn decode_request(data: &[u8]) {
    let Ok(decoded) = insi_soap::decode_request(data) else {
        return;
    };
    let request = decoded.request;
    for a in &request.assertions {
        let standalone = a.standalone();
        let _ = PsAssertion::decode(standalone.as_bytes());
        let _ = verifier().verify(standalone.as_bytes());
    }
    // Assertions are copied verbatim and may use prefixes declared outside them, so only the
    // body is compared after a round trip.
    let mut bare = request.clone();
    bare.assertions.clear();
    let again = bare.encode();
    match insi_soap::decode_request(again.as_bytes()) {
        Ok(d) => assert_eq!(
            d.request.body, request.body,
            "request re-encoded decodes to another body:\n{again}"
        ),
        Err(e) => panic!("request re-encoded does not decode: {e}\n{again}"),
    }
}

/// The verifier the simulator would use: the test CPx CA as anchor, at a fixed time inside the
/// test certificates' validity so that the seed assertion verifies and mutations start from a
/// document that gets through every check.
fn verifier() -> &'static xmldsig::Verifier {
    static VERIFIER: OnceLock<xmldsig::Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let anchor = pem_der(include_str!("../../../testdata/pki/cpx-ca.pem"));
        // 2027-06-01T00:00:00Z.
        xmldsig::Verifier::new([anchor])
            .unwrap_or_else(|e| panic!("testdata/pki/cpx-ca.pem: {e}"))
            .at_time(1_811_808_000)
    })
}

/// The DER of the first certificate of a PEM text (checked-in test material).
pub(crate) fn pem_der(pem: &str) -> Vec<u8> {
    let file = insi_client::CertificateFile::parse(pem.as_bytes(), "test PEM", None)
        .unwrap_or_else(|e| panic!("checked-in test PEM: {e}"));
    match file.leaf() {
        Some(c) => c.to_vec(),
        None => panic!("checked-in test PEM has no certificate"),
    }
}

/// Signature verification over hostile XML never panics: parsing, c14n, structure checks,
/// digest, RSA and the chain all refuse with a typed error. A document that verifies also
/// decodes as a PS assertion or refuses cleanly.
pub fn verify_assertion(data: &[u8]) {
    if verifier().verify(data).is_ok() {
        let _ = PsAssertion::decode(data);
    }
}

/// Exclusive c14n never panics, its output is UTF-8, and it is idempotent: canonicalising the
/// canonical form gives it back byte for byte.
pub fn c14n(data: &[u8]) {
    let Some(xml) = text(data) else { return };
    let Ok(once) = xmldsig::exclusive_c14n(xml) else {
        return;
    };
    let once = match String::from_utf8(once) {
        Ok(s) => s,
        Err(e) => panic!("exclusive c14n produced non-UTF-8 output: {e}"),
    };
    match xmldsig::exclusive_c14n(&once) {
        Ok(twice) => assert!(
            twice == once.as_bytes(),
            "exclusive c14n is not idempotent:\nonce:  {once}\ntwice: {}",
            String::from_utf8_lossy(&twice)
        ),
        Err(e) => panic!("the canonical form does not parse again: {e}\n{once}"),
    }
}
