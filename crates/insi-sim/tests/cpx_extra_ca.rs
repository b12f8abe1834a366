//! `EmbeddedConfig::extra_cpx_ca_pem`: the CPx host trusts the emulated cards' CA
//! (`testdata/cards/cpx-ca.pem`) in addition to its ephemeral one, and still nothing else.

mod common;

use common::*;
use insi_sim::embedded::{self, EmbeddedConfig, EmbeddedSim};
use insi_soap::{CallIds, PsAssertion, PsAttributes, RawAssertion, RecSansVitale, Request};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use xmldsig::RsaSoftwareSigner;

fn cards(file: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards");
    std::fs::read_to_string(dir.join(file)).unwrap()
}

fn signed(cert_pem: &str, key_pem: &str) -> RawAssertion {
    let der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap();
    let attributes = PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA05".into(),
    };
    let assertion = PsAssertion::from_certificate(
        &der,
        attributes,
        uuid::Uuid::new_v4(),
        jiff::Timestamp::now(),
    )
    .unwrap();
    let signer = RsaSoftwareSigner::from_pem(key_pem, cert_pem).unwrap();
    assertion.sign(&signer).unwrap()
}

async fn ask(sim: &EmbeddedSim, assertion: RawAssertion) -> Answer {
    let body = RecSansVitale {
        nom_naissance: Some("ADRUN".into()),
        prenoms: vec!["ZOE".into()],
        sexe: Some("F".into()),
        date_naissance: Some("1975-12-31".into()),
        lieu_naissance: None,
    };
    let request = Request::rechercher_par_traits(&caller("INSIBENCH001"), &CallIds::fresh(), body)
        .with_assertion(assertion)
        .encode();
    let c = client(sim.ca_pem(), None);
    let (status, text) = post(&c, &sim.cpx_url().unwrap(), request, &[])
        .await
        .unwrap();
    answer(status, &text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_ca_is_trusted_next_to_the_ephemeral_one() {
    let card = signed(
        &cards("cps3-demo.sign.pem"),
        &cards("cps3-demo.sign.key.pem"),
    );

    // Without the extra CA the card's assertion is refused …
    let plain = embedded::start(EmbeddedConfig {
        mtls: false,
        cpx: true,
        ..EmbeddedConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(
        ask(&plain, card.clone()).await,
        Answer::Fault("insisim_assertion".into())
    );
    plain.shutdown().await;

    // … with it, both the card and the ephemeral PS certificate are accepted.
    let sim = embedded::start(EmbeddedConfig {
        mtls: false,
        cpx: true,
        extra_cpx_ca_pem: vec![cards("cpx-ca.pem")],
        ..EmbeddedConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(cr(&ask(&sim, card).await), "00");
    let ps = sim.pki().cpx_ps.clone();
    assert_eq!(
        cr(&ask(&sim, signed(&ps.cert_pem, &ps.key_pem)).await),
        "00"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_extra_ca_stops_the_start_with_a_reason() {
    let err = embedded::start(EmbeddedConfig {
        mtls: false,
        cpx: true,
        extra_cpx_ca_pem: vec![
            "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".into(),
        ],
        ..EmbeddedConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("CPx CA"), "{err}");
}
