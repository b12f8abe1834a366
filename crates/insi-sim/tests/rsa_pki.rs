//! The RSA variant of the PKI end to end: an embedded simulator on an RSA-2048 ephemeral PKI
//! serves a search over mutual TLS, its files written with `write_to` carry the chain, and the
//! mTLS host refuses a client that presents its leaf without the intermediate.

mod common;

use common::*;
use insi_sim::embedded::{self, EmbeddedConfig};
use insi_sim::pki::{CA_NAME, Credential, KeyKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rsa_embedded_simulator_answers_and_wants_the_chain() {
    let sim = embedded::start(EmbeddedConfig {
        pki_keys: KeyKind::Rsa,
        ..EmbeddedConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(sim.pki().key_kind, KeyKind::Rsa);
    let url = sim.url().unwrap();

    let c = client(sim.ca_pem(), Some(sim.client()));
    let body = traits_request("ADRUN", "ZOE", "F", "1975-12-31", None);
    let (status, text) = post(&c, &url, body.clone(), &[]).await.unwrap();
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("<CodeCR>00</CodeCR>"), "{text}");

    // The same leaf without the intermediate: the handshake fails (only the root is trusted).
    let leaf_only = Credential {
        issuer_pem: String::new(),
        ..sim.client().clone()
    };
    let c = client(sim.ca_pem(), Some(&leaf_only));
    // (The client sees an alert or a broken pipe, depending on timing: TLS 1.3 reports a
    // refused client certificate on the first request, RUST-STACK.md §1.)
    let refused = post(&c, &url, body, &[]).await;
    assert!(refused.is_err(), "{refused:?}");

    // Files a third-party client can use.
    let dir = tempfile::tempdir().unwrap();
    sim.pki().write_to(dir.path()).unwrap();
    let p12 = std::fs::read(dir.path().join("insi-auto.p12")).unwrap();
    let store = p12_keystore::KeyStore::from_pkcs12(
        &p12,
        insi_sim::pki::PKCS12_PASSWORD,
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .unwrap();
    let (_, chain) = store.private_key_chain().unwrap();
    assert_eq!(chain.certs().len(), 3);
    assert!(chain.certs()[1].subject().contains(CA_NAME));
    sim.shutdown().await;
}
