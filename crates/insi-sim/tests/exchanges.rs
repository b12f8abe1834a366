//! The exchange log over real TLS on loopback: every answer carries the reason the simulator
//! gives for it, the raw bytes are those on the wire, personal data is marked for redaction, and
//! a body over the limit gets the same 413 over HTTP/1.1 and HTTP/2.

mod common;

use std::sync::Arc;

use common::*;
use insi_sim::chaos::ChaosConfig;
use insi_sim::embedded::{self, EmbeddedConfig, EmbeddedSim};
use insi_sim::exchange::{Exchange, Verdict};
use insi_sim::inject::{InjectMatch, Injection};
use tokio::sync::mpsc::UnboundedReceiver;

async fn sim(config: EmbeddedConfig) -> EmbeddedSim {
    embedded::start(config).await.unwrap()
}

async fn next(rx: &mut UnboundedReceiver<Arc<Exchange>>) -> Arc<Exchange> {
    tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .expect("an exchange within 10 s")
        .expect("log open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_says_why() {
    let sim = sim(EmbeddedConfig {
        keep_exchanges: 100,
        ..EmbeddedConfig::default()
    })
    .await;
    let mut rx = sim.exchanges().subscribe_lossless();
    let url = sim.url().unwrap();
    let c = client(sim.ca_pem(), Some(sim.client()));
    let mut ask = async |body: String, extra: &[(&str, &str)]| {
        let (status, text) = post(&c, &url, body.clone(), extra).await.unwrap();
        let e = next(&mut rx).await;
        // The exchange holds the bytes that were on the wire.
        assert_eq!(e.request.as_ref(), body.as_bytes());
        assert_eq!(e.response.as_ref(), text.as_bytes());
        assert_eq!(e.status, Some(status));
        e
    };
    let traits = |nom, prenom, sexe, date, cog| traits_request(nom, prenom, sexe, date, cog);

    // CNDA 2.07 cas 1: the first-name loop.
    let e = ask(traits("TCHITCHI", "OLA", "F", "1936-06-21", None), &[]).await;
    assert_eq!(e.verdict, Verdict::Cr("01".into()));
    let reason = e.reason.to_string();
    assert!(
        reason.starts_with("CR 01: TCHITCHI answers 00 only for the first name CATARINA "),
        "{reason}"
    );
    assert!(
        !e.reason.redacted().contains("TCHITCHI"),
        "{}",
        e.reason.redacted()
    );
    assert!(!e.summary(false).contains("CATARINA"));
    assert!(e.summary(true).contains("CATARINA"));
    assert_eq!(e.client_cn.as_deref(), Some("INSI-AUTO"));
    assert!(
        e.client_subject.contains("CN=INSI-AUTO"),
        "{}",
        e.client_subject
    );
    assert_eq!(
        e.operation.map(|o| o.name()),
        Some("rechercherInsAvecTraitsIdentite")
    );
    assert!(
        e.message_id
            .as_deref()
            .is_some_and(|m| m.starts_with("uuid:")),
        "{e:?}"
    );
    assert_eq!(
        e.traits.as_ref().map(|t| t.prenoms.clone()),
        Some(vec!["OLA".to_owned()])
    );
    assert_eq!(e.listener, sim.server().addrs()[0].0);
    let e = ask(traits("TCHITCHI", "CATARINA", "F", "1936-06-21", None), &[]).await;
    assert_eq!(e.verdict, Verdict::Cr("00".into()));
    assert_eq!(
        e.reason.to_string(),
        "CR 00: TCHITCHI CATARINA matches one identity (ListePrenom CATARINA BELLA)"
    );

    // CNDA 2.06: homonyms, then the COG.
    let e = ask(traits("DE VINCI", "LEONARDO", "M", "2014-02-01", None), &[]).await;
    assert_eq!(
        e.reason.to_string(),
        "CR 02: 2 identities match (born in 63220, 75056); add the birthplace (COG) to tell them \
         apart (CNDA 2.06)"
    );
    let e = ask(
        traits("DE VINCI", "LEONARDO", "M", "2014-02-01", Some("13055")),
        &[],
    )
    .await;
    assert!(
        e.reason
            .to_string()
            .contains("was born in 63220, 75056, not 13055"),
        "{}",
        e.reason
    );

    // The other filters, each named.
    let e = ask(traits("TCHITCHI", "CATARINA", "F", "1936-06-22", None), &[]).await;
    assert_eq!(
        e.reason.to_string(),
        "CR 01: TCHITCHI is not born 1936-06-22 (born 1936-06-21)"
    );
    assert_eq!(
        e.reason.redacted(),
        "CR 01: <nom> is not born <date> (born <date>)"
    );
    let e = ask(traits("TCHITCHI", "CATARINA", "M", "1936-06-21", None), &[]).await;
    assert!(
        e.reason
            .to_string()
            .contains("has sexe F, the request says M"),
        "{}",
        e.reason
    );
    let e = ask(traits("Tchitchi", "CATARINA", "F", "1936-06-21", None), &[]).await;
    assert!(
        e.reason
            .to_string()
            .starts_with("CR 01: no identity has the birth name Tchitchi")
            && e.reason.to_string().contains("normalise"),
        "{}",
        e.reason
    );
    let e = ask(traits("ECETINSI", "PIERRE", "M", "2009-07-14", None), &[]).await;
    assert!(
        e.reason
            .to_string()
            .contains("a hyphenated first name is one name"),
        "{}",
        e.reason
    );
    let e = ask(traits("HOUILLES", "PIERRE", "M", "1993-01-27", None), &[]).await;
    assert!(e.reason.to_string().contains("never found"), "{}", e.reason);
    let e = ask(traits("D'AEION", "COEUR", "M", "1987-01-01", None), &[]).await;
    assert_eq!(e.verdict, Verdict::Fault("insi_102".into()));
    assert!(
        e.reason
            .to_string()
            .starts_with("insi_102: D'AEION COEUR is a persona"),
        "{}",
        e.reason
    );

    // IDAM allow-list.
    let e = ask(
        traits_request_idam("XYZ", "ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await;
    assert_eq!(e.verdict, Verdict::Fault("desir_550".into()));
    assert_eq!(
        e.reason.to_string(),
        "siram_100/desir_550: IDAM XYZ is not on the allow-list (INSIBENCH001)"
    );

    // Vitale: the twins need the rang; a wrong matricule is said so.
    let e = ask(vitale_request(None, Some("2850475123012"), None, None), &[]).await;
    assert_eq!(
        e.operation.map(|o| o.name()),
        Some("rechercherInsAvecCarteVitale")
    );
    assert!(
        e.reason
            .to_string()
            .starts_with("CR 02: 3 beneficiaries of the ouvrant droit"),
        "{}",
        e.reason
    );
    let e = ask(
        vitale_request(Some("1999999999999"), None, Some("1999-01-01"), None),
        &[],
    )
    .await;
    assert!(
        e.reason
            .to_string()
            .starts_with("CR 01: no identity has the MatriculeIndividu"),
        "{}",
        e.reason
    );
    assert!(!e.reason.redacted().contains("1999999999999"));

    // Malformed and misaddressed requests.
    let e = ask("not xml".into(), &[]).await;
    assert_eq!(e.verdict, Verdict::Fault("insisim_requete".into()));
    assert!(
        e.reason.to_string().starts_with("insisim_requete: "),
        "{}",
        e.reason
    );
    let wrong = url.replace("/lps", "/lps/");
    let (status, _) = post(&c, &wrong, "x", &[]).await.unwrap();
    assert_eq!(status, 404);
    let e = next(&mut rx).await;
    assert_eq!(e.verdict, Verdict::Http(404));
    assert_eq!(
        e.reason.to_string(),
        "HTTP 404: /lps/ is not the SOAP endpoint (POST /lps)"
    );

    // The ring buffer has them all, in order, for late viewers.
    let kept = sim.exchanges().recent();
    assert_eq!(kept.len(), 15);
    assert!(kept.windows(2).all(|w| w[0].id < w[1].id));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_cn_injection_and_chaos_are_explained() {
    let fault = insi_soap::Fault::service_indisponible(None).encode(Default::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("REP_2.05.xml");
    std::fs::write(&file, fault).unwrap();
    let sim = sim(EmbeddedConfig {
        injections: vec![Injection::from_file(InjectMatch::CaseId("2.05".into()), &file).unwrap()],
        chaos: ChaosConfig {
            desir_1020: 1.0,
            ..ChaosConfig::default()
        },
        ..EmbeddedConfig::default()
    })
    .await;
    let mut rx = sim.exchanges().subscribe_lossless();
    let url = sim.url().unwrap();
    let body = || traits_request("ADRUN", "ZOE", "F", "1975-12-31", None);

    let wrong = client(sim.ca_pem(), Some(&sim.pki().wrong_cn));
    post(&wrong, &url, body(), &[]).await.unwrap();
    let e = next(&mut rx).await;
    assert_eq!(e.verdict, Verdict::Fault("DESIR_560".into()));
    assert_eq!(
        e.reason.to_string(),
        "DESIR_560: certificate CN is INSI-TEST, INSi accepts INSI-AUTO or INSI-MANU"
    );
    assert_eq!(e.client_cn.as_deref(), Some("INSI-TEST"));

    let c = client(sim.ca_pem(), Some(sim.client()));
    post(&c, &url, body(), &[("x-insi-bench-case", "2.05")])
        .await
        .unwrap();
    let e = next(&mut rx).await;
    assert_eq!(e.verdict, Verdict::Fault("desir_1020".into()));
    assert_eq!(e.reason.to_string(), "injected: case 2.05 (REP_2.05.xml)");
    assert!(
        e.headers
            .iter()
            .any(|(k, v)| k == "x-insi-bench-case" && v == "2.05"),
        "{:?}",
        e.headers
    );

    post(&c, &url, body(), &[]).await.unwrap();
    let e = next(&mut rx).await;
    assert_eq!(e.verdict, Verdict::Fault("desir_1020".into()));
    assert_eq!(e.reason.to_string(), "chaos: desir_1020 drawn (rate 1)");
    sim.shutdown().await;
}

/// The same 413, with the same body, over HTTP/1.1 and HTTP/2 (ALPN h2), for a body just over
/// the limit and for one larger than HTTP/2's initial flow-control window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_the_limit_gets_413_over_both_protocols() {
    let sim = sim(EmbeddedConfig::default()).await;
    let mut rx = sim.exchanges().subscribe_lossless();
    let url = sim.url().unwrap();
    let builder = || {
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).unwrap()])
            .identity(reqwest::Identity::from_pem(sim.client_identity_pem().as_bytes()).unwrap())
            .timeout(std::time::Duration::from_secs(20))
    };
    let h1 = builder().http1_only().build().unwrap();
    let h2 = builder().http2_prior_knowledge().build().unwrap();
    for size in [70 * 1024, 1024 * 1024] {
        let body = format!("<x>{}</x>", "A".repeat(size));
        let mut answers = Vec::new();
        for (client, version) in [
            (&h1, reqwest::Version::HTTP_11),
            (&h2, reqwest::Version::HTTP_2),
        ] {
            let response = client
                .post(&url)
                .header("content-type", "application/soap+xml; charset=utf-8")
                .body(body.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{version:?}, {size} bytes: {e:?}"));
            assert_eq!(response.version(), version);
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(status, 413, "{version:?}: {text}");
            let e = next(&mut rx).await;
            assert_eq!(
                e.http_version,
                if version == reqwest::Version::HTTP_2 {
                    "HTTP/2"
                } else {
                    "HTTP/1.1"
                }
            );
            assert_eq!(e.request_size, body.len());
            assert_eq!(e.request.len(), 64 * 1024, "the first limit bytes are kept");
            answers.push(text);
        }
        assert_eq!(answers[0], answers[1]);
        assert_eq!(
            answers[0],
            format!(
                "HTTP 413: body of {} bytes over the 65536-byte limit",
                body.len()
            )
        );
    }
    // The connections are still usable afterwards.
    for client in [&h1, &h2] {
        let (status, text) = post(
            client,
            &url,
            traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
            &[],
        )
        .await
        .unwrap();
        assert_eq!(cr(&answer(status, &text)), "00");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_built_when_nobody_listens() {
    let sim = sim(EmbeddedConfig::default()).await;
    assert!(!sim.exchanges().is_observed());
    let c = client(sim.ca_pem(), Some(sim.client()));
    let url = sim.url().unwrap();
    post(
        &c,
        &url,
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await
    .unwrap();
    // A subscriber arriving later sees only what comes after it, with ids counting from 1: the
    // earlier request was never published.
    let mut rx = sim.exchanges().subscribe_lossless();
    post(
        &c,
        &url,
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(next(&mut rx).await.id, 1);
    assert!(sim.exchanges().recent().is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_resets_and_latency_are_explained() {
    let body = || traits_request("ADRUN", "ZOE", "F", "1975-12-31", None);
    let reset = sim(EmbeddedConfig {
        chaos: ChaosConfig {
            reset: 1.0,
            ..ChaosConfig::default()
        },
        ..EmbeddedConfig::default()
    })
    .await;
    let mut rx = reset.exchanges().subscribe_lossless();
    let c = client(reset.ca_pem(), Some(reset.client()));
    assert!(post(&c, &reset.url().unwrap(), body(), &[]).await.is_err());
    let e = next(&mut rx).await;
    assert_eq!((e.verdict.clone(), e.status), (Verdict::Reset, None));
    assert!(e.response.is_empty());
    assert!(
        e.reason.to_string().starts_with(
            "chaos: connection reset drawn (reset rate 1); the answer would have been: CR 00: "
        ),
        "{}",
        e.reason
    );
    reset.shutdown().await;

    let slow = sim(EmbeddedConfig {
        chaos: ChaosConfig {
            latency: insi_sim::chaos::Latency::Fixed(std::time::Duration::from_millis(30)),
            ..ChaosConfig::default()
        },
        ..EmbeddedConfig::default()
    })
    .await;
    let mut rx = slow.exchanges().subscribe_lossless();
    let c = client(slow.ca_pem(), Some(slow.client()));
    post(&c, &slow.url().unwrap(), body(), &[]).await.unwrap();
    let e = next(&mut rx).await;
    assert!(
        e.reason.to_string().ends_with(" (+ chaos latency 30 ms)"),
        "{}",
        e.reason
    );
    // The duration covers the delay the client waited.
    assert!(e.duration >= std::time::Duration::from_millis(30));
    slow.shutdown().await;
}
