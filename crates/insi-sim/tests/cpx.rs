//! CPx host over real TLS: server authentication only, a PS assertion signed with a key whose
//! certificate chains to the CPx CA is required; missing, tampered, foreign, stale or
//! mis-qualified assertions get the assertion fault.

mod common;

use common::*;
use insi_sim::embedded::{self, EmbeddedConfig, EmbeddedSim};
use insi_soap::{CallIds, PsAssertion, PsAttributes, RawAssertion, RecSansVitale, Request};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use xmldsig::RsaSoftwareSigner;

fn attributes() -> PsAttributes {
    PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA05".into(),
    }
}

fn assertion(cert_pem: &str, issued: jiff::Timestamp) -> PsAssertion {
    let der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap();
    PsAssertion::from_certificate(&der, attributes(), uuid::Uuid::new_v4(), issued).unwrap()
}

fn request(assertion: Option<RawAssertion>) -> String {
    let body = RecSansVitale {
        nom_naissance: Some("TCHITCHI".into()),
        prenoms: vec!["CATARINA".into()],
        sexe: Some("F".into()),
        date_naissance: Some("1936-06-21".into()),
        lieu_naissance: None,
    };
    let mut caller = caller("INSIBENCH001");
    caller.emetteur = insi_sim::pki::PS_ID.into();
    let mut req = Request::rechercher_par_traits(&caller, &CallIds::fresh(), body);
    if let Some(a) = assertion {
        req = req.with_assertion(a);
    }
    req.encode()
}

async fn ask(sim: &EmbeddedSim, body: String) -> Answer {
    let c = client(sim.ca_pem(), None);
    let (status, text) = post(&c, &sim.cpx_url().unwrap(), body, &[]).await.unwrap();
    answer(status, &text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpx_host_requires_a_valid_ps_assertion() {
    let sim = embedded::start(EmbeddedConfig {
        mtls: true,
        cpx: true,
        ..EmbeddedConfig::default()
    })
    .await
    .unwrap();
    let ps = &sim.pki().cpx_ps;
    let signer = RsaSoftwareSigner::from_pem(&ps.key_pem, &ps.cert_pem).unwrap();
    let now = jiff::Timestamp::now();

    let mut exchanges = sim.exchanges().subscribe_lossless();

    // A good assertion, no client certificate: 00.
    let good = assertion(&ps.cert_pem, now).sign(&signer).unwrap();
    assert_eq!(cr(&ask(&sim, request(Some(good.clone()))).await), "00");
    // The exchange names the PS the assertion authenticated.
    let e = exchanges.recv().await.unwrap();
    assert_eq!(e.host, insi_sim::tls::HostMode::Cpx);
    assert_eq!(e.ps_name_id.as_deref(), Some(insi_sim::pki::PS_ID));
    assert!(e.client_subject.is_empty(), "{}", e.client_subject);

    let refused = Answer::Fault("insisim_assertion".into());
    // No assertion.
    assert_eq!(ask(&sim, request(None)).await, refused);
    let e = exchanges.recv().await.unwrap();
    assert_eq!(
        e.reason.to_string(),
        "insisim_assertion: no saml:Assertion in wsse:Security (the CPx host requires one)"
    );
    assert_eq!(e.ps_name_id, None);
    drop(exchanges);
    // Tampered after signing.
    let tampered = RawAssertion::new(good.xml.replace("991130972", "991130973"));
    assert_eq!(ask(&sim, request(Some(tampered))).await, refused);
    // Signed by a certificate that does not chain to the CPx CA.
    let rogue_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, insi_sim::pki::PS_ID);
    let rogue_cert = params.self_signed(&rogue_key).unwrap().pem();
    let rogue = RsaSoftwareSigner::from_pem(&rogue_key.serialize_pem(), &rogue_cert).unwrap();
    let foreign = assertion(&rogue_cert, now).sign(&rogue).unwrap();
    assert_eq!(ask(&sim, request(Some(foreign))).await, refused);
    // Too old, and from the future.
    let old = now - jiff::SignedDuration::from_hours(2);
    let stale = assertion(&ps.cert_pem, old).sign(&signer).unwrap();
    assert_eq!(ask(&sim, request(Some(stale))).await, refused);
    let future = now + jiff::SignedDuration::from_mins(30);
    let ahead = assertion(&ps.cert_pem, future).sign(&signer).unwrap();
    assert_eq!(ask(&sim, request(Some(ahead))).await, refused);
    // A NameQualifier that is not a card type, and a NameID that is not the certificate's CN.
    let mut odd = assertion(&ps.cert_pem, now);
    odd.name_qualifier = "PSC".into();
    assert_eq!(
        ask(&sim, request(Some(odd.sign(&signer).unwrap()))).await,
        refused
    );
    let mut other = assertion(&ps.cert_pem, now);
    other.name_id = "899900000099".into();
    assert_eq!(
        ask(&sim, request(Some(other.sign(&signer).unwrap()))).await,
        refused
    );

    // The fault says why.
    let c = client(sim.ca_pem(), None);
    let (_, text) = post(&c, &sim.cpx_url().unwrap(), request(None), &[])
        .await
        .unwrap();
    assert!(text.contains("no saml:Assertion"), "{text}");

    // The mTLS host of the same process still needs its client certificate.
    assert!(
        post(&c, &sim.url().unwrap(), request(None), &[])
            .await
            .is_err()
    );
    sim.shutdown().await;
}

/// The contract with the card emulator: an assertion signed with the test CPS3 card's signature
/// key (`testdata/cards/`) verifies against `testdata/cards/cpx-ca.pem`, the CA
/// `sim serve --mode cpx` trusts by default.
#[test]
fn the_emulated_card_certificate_verifies_against_the_default_cpx_ca() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let (cert, key, ca) = (
        read("cps3-demo.sign.pem"),
        read("cps3-demo.sign.key.pem"),
        read("cpx-ca.pem"),
    );
    let signer = RsaSoftwareSigner::from_pem(&key, &cert).unwrap();
    let signed = assertion(&cert, jiff::Timestamp::now())
        .sign(&signer)
        .unwrap();
    let verifier = insi_sim::cpx::CpxVerifier::new(&ca).unwrap();
    let who = verifier.verify(&[signed]).unwrap();
    assert_eq!(who.name_qualifier, "CPS");
    assert_eq!(who.name_id, "899700123456");
    // And not against the simulator's own ephemeral-style CPx CA from testdata/pki.
    let other = std::fs::read_to_string(dir.join("../pki/cpx-ca.pem")).unwrap();
    let signed = assertion(&cert, jiff::Timestamp::now())
        .sign(&signer)
        .unwrap();
    assert!(
        insi_sim::cpx::CpxVerifier::new(&other)
            .unwrap()
            .verify(&[signed])
            .is_err()
    );
}

/// The shipped card's signer, its CA, and one assertion it signed at `issued`.
fn card_assertion(issued: jiff::Timestamp) -> (insi_sim::cpx::CpxVerifier, RawAssertion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let cert = read("cps3-demo.sign.pem");
    let signer = RsaSoftwareSigner::from_pem(&read("cps3-demo.sign.key.pem"), &cert).unwrap();
    let signed = assertion(&cert, issued).sign(&signer).unwrap();
    let verifier = insi_sim::cpx::CpxVerifier::new(&read("cpx-ca.pem")).unwrap();
    (verifier, signed)
}

/// One verification per distinct assertion: the second request with the same bytes is a cache
/// hit with the same answer; other bytes miss; refusals are never kept; the assertion's age is
/// judged on every request, hit or not.
#[test]
fn verified_assertions_are_cached_by_digest_and_still_expire() {
    use insi_sim::cpx::cache::CacheStats;
    let issued = jiff::Timestamp::now();
    let (verifier, good) = card_assertion(issued);
    let stats = |entries, hits, misses| CacheStats {
        entries,
        hits,
        misses,
    };

    let first = verifier.verify_at(std::slice::from_ref(&good), issued);
    assert_eq!(
        first.as_ref().map(|p| p.name_id.as_str()),
        Ok("899700123456")
    );
    assert_eq!(verifier.cache_stats(), stats(1, 0, 1));
    let again = verifier.verify_at(std::slice::from_ref(&good), issued);
    assert_eq!(again, first);
    assert_eq!(verifier.cache_stats(), stats(1, 1, 1));
    // A clone (each server connection's view) shares the cache.
    assert_eq!(
        verifier
            .clone()
            .verify_at(std::slice::from_ref(&good), issued),
        first
    );
    assert_eq!(verifier.cache_stats(), stats(1, 2, 1));

    // One byte changed: another digest, a full verification, refused, and not kept — asking
    // again is refused again.
    let tampered = RawAssertion::new(good.xml.replace("991130972", "991130973"));
    for misses in [2, 3] {
        let refused = verifier.verify_at(std::slice::from_ref(&tampered), issued);
        assert!(
            refused.as_ref().is_err_and(|e| e.starts_with("signature")),
            "{refused:?}"
        );
        assert_eq!(verifier.cache_stats(), stats(1, 2, misses));
    }

    // Two hours later the cached assertion is a hit, and refused for its age.
    let later = issued + jiff::SignedDuration::from_hours(2);
    let stale = verifier.verify_at(std::slice::from_ref(&good), later);
    assert!(
        stale
            .as_ref()
            .is_err_and(|e| e.contains("older than the 3600 s accepted")),
        "{stale:?}"
    );
    assert_eq!(verifier.cache_stats(), stats(1, 3, 3));
    // Still good at its own time: the refusal did not replace the entry.
    assert_eq!(
        verifier.verify_at(std::slice::from_ref(&good), issued),
        first
    );

    // Past the card certificate's notAfter the entry no longer holds: verified again, refused.
    let after_expiry = jiff::Timestamp::from_second(4_102_444_800).unwrap(); // 2100-01-01
    let expired = verifier.verify_at(std::slice::from_ref(&good), after_expiry);
    assert!(
        expired.as_ref().is_err_and(|e| e.starts_with("signature")),
        "{expired:?}"
    );
    assert_eq!(verifier.cache_stats(), stats(1, 4, 4));

    // Without a cache every request verifies.
    let (uncached, good) = card_assertion(issued);
    let uncached = uncached.with_cache_capacity(0);
    for _ in 0..2 {
        assert_eq!(
            uncached.verify_at(std::slice::from_ref(&good), issued),
            first
        );
    }
    assert_eq!(uncached.cache_stats(), stats(0, 0, 2));
}
