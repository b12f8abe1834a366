//! Behaviour over real TLS on loopback: personas, authentication failures, IDAM, injection,
//! faults, limits, malformed input, request shapes. Each test starts its own embedded simulator
//! with an ephemeral PKI.

mod common;

use common::*;
use insi_sim::chaos::ChaosConfig;
use insi_sim::embedded::{self, EmbeddedConfig};
use insi_sim::inject::{InjectMatch, Injection};

async fn sim(config: EmbeddedConfig) -> embedded::EmbeddedSim {
    embedded::start(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personas_behave_as_in_qualification() {
    let sim = sim(EmbeddedConfig::default()).await;
    let url = sim.url().unwrap();
    let c = client(sim.ca_pem(), Some(sim.client()));
    let ask = |nom: &str, prenom: &str, sexe: &str, date: &str, cog: Option<&str>| {
        let body = traits_request(nom, prenom, sexe, date, cog);
        let (c, url) = (c.clone(), url.clone());
        async move {
            let (status, text) = post(&c, &url, body, &[]).await.unwrap();
            answer(status, &text)
        }
    };

    // CNDA 2.07 cas 1: the first-name loop.
    assert_eq!(
        cr(&ask("TCHITCHI", "OLA", "F", "1936-06-21", None).await),
        "01"
    );
    let found = ask("TCHITCHI", "CATARINA", "F", "1936-06-21", None).await;
    assert_eq!(
        found,
        Answer::Cr {
            code: "00".into(),
            matricule: Some("2360663220836".into()),
            oid: Some("1.2.250.1.213.1.4.8".into()),
            histo: 0,
            liste_prenom: Some("CATARINA BELLA".into()),
        }
    );
    // CNDA 2.06: 02 without COG, 00 with it.
    assert_eq!(
        cr(&ask("DE VINCI", "LEONARDO", "M", "2014-02-01", None).await),
        "02"
    );
    let a = ask("DE VINCI", "LEONARDO", "M", "2014-02-01", Some("63220")).await;
    assert!(
        matches!(&a, Answer::Cr { code, matricule: Some(m), .. } if code == "00" && m == "1140263220501"),
        "{a:?}"
    );
    // CNDA 2.07 cas 2: always 01.
    for p in ["PIERRE", "PAUL", "JACQUES", "PIERRE PAUL JACQUES"] {
        assert_eq!(
            cr(&ask("HOUILLES", p, "M", "1993-01-27", None).await),
            "01",
            "{p}"
        );
    }
    // CNDA 2.04: INSHISTO.
    let a = ask("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14", None).await;
    assert!(
        matches!(&a, Answer::Cr { histo: 1, matricule: Some(m), .. } if m == "1090763220834"),
        "{a:?}"
    );
    // Corsica.
    let a = ask("CORSE", "ANTHONY", "M", "1980-03-02", Some("2B020")).await;
    assert!(
        matches!(&a, Answer::Cr { matricule: Some(m), .. } if m == "180032B020401"),
        "{a:?}"
    );
    // CNDA 2.05: NIA.
    let a = ask("PROVISOIRE", "MATRICULE", "M", "2009-07-01", None).await;
    assert!(
        matches!(&a, Answer::Cr { oid: Some(o), .. } if o == "1.2.250.1.213.1.4.9"),
        "{a:?}"
    );
    // CNDA 2.03 cas 3: technical error, whatever the birth date.
    for date in ["1987-01-25", "1987-01-01"] {
        assert_eq!(
            ask("D'AEION", "COEUR", "M", date, Some("2B020")).await,
            Answer::Fault("insi_102".into())
        );
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_other_shapes_get_the_same_answers() {
    let sim = sim(EmbeddedConfig::default()).await;
    let url = sim.url().unwrap();
    let c = client(sim.ca_pem(), Some(&sim.pki().insi_manu));
    for body in [
        traits_request_shape2("TCHITCHI", "CATARINA", "F", "1936-06-21", None),
        traits_request_shape3("TCHITCHI", "CATARINA", "F", "1936-06-21"),
    ] {
        let (status, text) = post(&c, &url, body, &[]).await.unwrap();
        assert_eq!(cr(&answer(status, &text)), "00", "{text}");
    }
    let body = traits_request_shape2("DE VINCI", "LEONARDO", "M", "2014-02-01", Some("63220"));
    let (status, text) = post(&c, &url, body, &[]).await.unwrap();
    assert_eq!(cr(&answer(status, &text)), "00");
    // The action given only in the content type is enough; a contradicting one is refused.
    let without_action = traits_request_shape3("ADRUN", "ZOE", "F", "1975-12-31").replace(
        &format!(
            "<Action xmlns=\"http://www.w3.org/2005/08/addressing\">{ACTION_TRAITS}</Action>\r\n"
        ),
        "",
    );
    let ct = format!("application/soap+xml; charset=utf-8; action=\"{ACTION_TRAITS}\"");
    let resp = c
        .post(&url)
        .header("content-type", ct)
        .body(without_action.clone())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_eq!(cr(&answer(status, &resp.text().await.unwrap())), "00");
    let (status, text) = post(&c, &url, without_action, &[]).await.unwrap();
    assert_eq!(
        answer(status, &text),
        Answer::Fault("insisim_requete".into())
    );
    let ct = format!("application/soap+xml; action=\"{ACTION_VITALE}\"");
    let resp = c
        .post(&url)
        .header("content-type", ct)
        .body(traits_request("ADRUN", "ZOE", "F", "1975-12-31", None))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_eq!(
        answer(status, &resp.text().await.unwrap()),
        Answer::Fault("insisim_requete".into())
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_failures() {
    let sim = sim(EmbeddedConfig::default()).await;
    let url = sim.url().unwrap();
    let body = || traits_request("ADRUN", "ZOE", "F", "1975-12-31", None);
    let pki = sim.pki();

    // No client certificate: the TLS handshake fails (CertificateRequired).
    // With TLS 1.3 the client learns it on its first request (the alert follows its Finished),
    // and the error text varies with timing: only "no answer" is certain.
    assert!(
        post(&client(sim.ca_pem(), None), &url, body(), &[])
            .await
            .is_err()
    );
    // A client certificate from another CA: UnknownCA.
    assert!(
        post(
            &client(sim.ca_pem(), Some(&pki.foreign_client)),
            &url,
            body(),
            &[]
        )
        .await
        .is_err()
    );
    // The right CA but a CN that is neither INSI-AUTO nor INSI-MANU: DESIR_560.
    let (status, text) = post(
        &client(sim.ca_pem(), Some(&pki.wrong_cn)),
        &url,
        body(),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(answer(status, &text), Answer::Fault("DESIR_560".into()));
    // Unknown IDAM: siram_100 / desir_550 with the captured texts and the echoed message ID.
    let c = client(sim.ca_pem(), Some(sim.client()));
    let req = traits_request_idam("INCONNU00001", "ADRUN", "ZOE", "F", "1975-12-31", None);
    let (status, text) = post(&c, &url, req, &[]).await.unwrap();
    assert_eq!(answer(status, &text), Answer::Fault("desir_550".into()));
    assert!(
        text.contains("siram_100") && text.contains("Numéro d'autorisation du logiciel inconnu.")
    );
    assert!(text.contains("messageID=\"uuid:"), "{text}");
    // A client that does not trust our CA refuses the server.
    let other = client(&pki.foreign_ca.cert_pem, Some(sim.client()));
    assert!(post(&other, &url, body(), &[]).await.is_err());
    // INSI-AUTO and INSI-MANU both pass.
    for cred in [&pki.insi_auto, &pki.insi_manu] {
        let (status, text) = post(&client(sim.ca_pem(), Some(cred)), &url, body(), &[])
            .await
            .unwrap();
        assert_eq!(cr(&answer(status, &text)), "00");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_serves_files_by_traits_or_case_id() {
    let dir = tempfile::tempdir().unwrap();
    let cnda = r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>
<ns2:RESULTAT xmlns="http://www.cnamts.fr/INSiRecSans" xmlns:ns2="http://www.cnamts.fr/INSiResultat">
<ns2:CR><ns2:CodeCR>00</ns2:CodeCR><ns2:LibelleCR>OK</ns2:LibelleCR></ns2:CR>
<ns2:INDIVIDU><ns2:INSACTIF><ns2:IdIndividu><ns2:NumIdentifiant>1090763220834</ns2:NumIdentifiant><ns2:Cle>89</ns2:Cle></ns2:IdIndividu><ns2:OID>1.2.250.1.213.1.4.9</ns2:OID></ns2:INSACTIF>
<ns2:TIQ><ns2:NomNaissance>ECETINSI</ns2:NomNaissance><ns2:ListePrenom>PIERRE-ALAIN</ns2:ListePrenom><ns2:Sexe>M</ns2:Sexe><ns2:DateNaissance>2009-07-14</ns2:DateNaissance></ns2:TIQ></ns2:INDIVIDU>
</ns2:RESULTAT></soap:Body></soap:Envelope>"#;
    let file = dir.path().join("TEST_1.10.xml");
    std::fs::write(&file, cnda).unwrap();
    let fault = insi_soap::Fault::service_indisponible(None).encode(Default::default());
    let config = EmbeddedConfig {
        injections: vec![
            Injection::from_file(
                InjectMatch::Traits {
                    nom: "ECETINSI".into(),
                    prenom: "PIERRE-ALAIN".into(),
                },
                &file,
            )
            .unwrap(),
            Injection::new(InjectMatch::CaseId("2.05".into()), fault),
        ],
        ..EmbeddedConfig::default()
    };
    let sim = sim(config).await;
    let url = sim.url().unwrap();
    let c = client(sim.ca_pem(), Some(sim.client()));
    let (status, text) = post(
        &c,
        &url,
        traits_request("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14", None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(text, cnda, "served byte for byte");
    // Another first name is not injected: the référentiel answers.
    let (status, text) = post(
        &c,
        &url,
        traits_request("TCHITCHI", "CATARINA", "F", "1936-06-21", None),
        &[("x-insi-bench-case", "2.05")],
    )
    .await
    .unwrap();
    assert_eq!(answer(status, &text), Answer::Fault("desir_1020".into()));
    let (status, text) = post(
        &c,
        &url,
        traits_request("TCHITCHI", "CATARINA", "F", "1936-06-21", None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(cr(&answer(status, &text)), "00");
    // Injection comes after authentication: an unknown IDAM still gets desir_550.
    let req = traits_request_idam(
        "INCONNU00001",
        "ECETINSI",
        "PIERRE-ALAIN",
        "M",
        "2009-07-14",
        None,
    );
    let (status, text) = post(&c, &url, req, &[]).await.unwrap();
    assert_eq!(answer(status, &text), Answer::Fault("desir_550".into()));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_faults_and_resets() {
    let sim = sim(EmbeddedConfig {
        chaos: ChaosConfig {
            seed: 1,
            desir_1020: 1.0,
            ..ChaosConfig::default()
        },
        ..EmbeddedConfig::default()
    })
    .await;
    let c = client(sim.ca_pem(), Some(sim.client()));
    let (status, text) = post(
        &c,
        &sim.url().unwrap(),
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(answer(status, &text), Answer::Fault("desir_1020".into()));
    assert!(
        text.contains("severite=\"fatale\"") && text.contains("siram_40"),
        "{text}"
    );
    sim.shutdown().await;

    let sim = sim_with_chaos(ChaosConfig {
        seed: 2,
        insi_102: 1.0,
        ..ChaosConfig::default()
    })
    .await;
    let c = client(sim.ca_pem(), Some(sim.client()));
    let url = sim.url().unwrap();
    let (status, text) = post(
        &c,
        &url,
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(answer(status, &text), Answer::Fault("insi_102".into()));
    // insi_102 is a trait-search error: a Vitale search is not affected.
    let (status, text) = post(
        &c,
        &url,
        vitale_request(Some("2751263220749"), None, None, None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(cr(&answer(status, &text)), "00");
    sim.shutdown().await;

    let sim = sim_with_chaos(ChaosConfig {
        seed: 3,
        reset: 1.0,
        ..ChaosConfig::default()
    })
    .await;
    let c = client(sim.ca_pem(), Some(sim.client()));
    let err = post(
        &c,
        &sim.url().unwrap(),
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await
    .unwrap_err();
    assert!(!err.is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_the_answer() {
    use std::time::{Duration, Instant};
    // A lower bound only (a sleep is never shorter): not a timing assertion on speed.
    let sim = sim_with_chaos(ChaosConfig {
        latency: insi_sim::chaos::Latency::Fixed(Duration::from_millis(150)),
        ..ChaosConfig::default()
    })
    .await;
    let c = client(sim.ca_pem(), Some(sim.client()));
    let url = sim.url().unwrap();
    // The first request also pays the TLS handshake; time the second.
    let body = || traits_request("ADRUN", "ZOE", "F", "1975-12-31", None);
    post(&c, &url, body(), &[]).await.unwrap();
    let t = Instant::now();
    let (status, text) = post(&c, &url, body(), &[]).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(cr(&answer(status, &text)), "00");
    sim.shutdown().await;
}

async fn sim_with_chaos(chaos: ChaosConfig) -> embedded::EmbeddedSim {
    sim(EmbeddedConfig {
        chaos,
        ..EmbeddedConfig::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_malformed_input() {
    let sim = sim(EmbeddedConfig::default()).await;
    let url = sim.url().unwrap();
    let c = client(sim.ca_pem(), Some(sim.client()));
    // Body limit: 64 KiB by default.
    let big = format!("<x>{}</x>", "A".repeat(70 * 1024));
    let (status, text) = post(&c, &url, big, &[]).await.unwrap();
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("65536"), "{text}");
    // Malformed XML and other garbage: a SOAP fault (HTTP 500), never a crash.
    for garbage in [
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>",
        "not xml at all",
        "",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>",
        "<Envelope xmlns=\"urn:wrong\"/>",
        "\u{feff}<\u{0}>",
    ] {
        let (status, text) = post(&c, &url, garbage, &[]).await.unwrap();
        assert_eq!(
            answer(status, &text),
            Answer::Fault("insisim_requete".into()),
            "{garbage:?}"
        );
    }
    // The server still serves afterwards.
    let (status, text) = post(
        &c,
        &url,
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(cr(&answer(status, &text)), "00");
    // Wrong path and method.
    let resp = c.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    let health = url.replace("/lps", "/health");
    assert_eq!(
        c.get(&health).send().await.unwrap().text().await.unwrap(),
        "ok"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vitale_search_and_population() {
    let sim = sim(EmbeddedConfig {
        population: Some((2_000, 77)),
        ..EmbeddedConfig::default()
    })
    .await;
    let url = sim.url().unwrap();
    let c = client(sim.ca_pem(), Some(sim.client()));
    let mut population = Vec::new();
    insi_sim::population::generate(2_000, 77, |i| population.push(i));
    // A generated identity found by trait search (with its COG, so homonyms cannot interfere)
    // and by Vitale search on its own matricule.
    let id = &population[1234];
    let first = id.prenoms.split(' ').next().unwrap();
    let body = traits_request(
        &id.nom_naissance,
        first,
        &id.sexe,
        &id.date_naissance,
        id.lieu_naissance.as_deref(),
    );
    let (status, text) = post(&c, &url, body, &[]).await.unwrap();
    let a = answer(status, &text);
    assert!(
        matches!(&a, Answer::Cr { code, matricule: Some(m), .. } if code == "00" && *m == id.ins.matricule),
        "{a:?}"
    );
    let (status, text) = post(
        &c,
        &url,
        vitale_request(Some(&id.ins.matricule), None, None, None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(cr(&answer(status, &text)), "00");
    // Twins: 02 on the ouvrant droit and date, 00 once the rang is given.
    if let Some(twin) = population
        .iter()
        .find(|i| i.rang_naissance.as_deref() == Some("2"))
    {
        let od = twin.matricule_od.as_deref();
        let date = Some(twin.date_naissance.as_str());
        let (status, text) = post(&c, &url, vitale_request(None, od, date, None), &[])
            .await
            .unwrap();
        assert_eq!(cr(&answer(status, &text)), "02");
        let (status, text) = post(&c, &url, vitale_request(None, od, date, Some("2")), &[])
            .await
            .unwrap();
        assert_eq!(cr(&answer(status, &text)), "00");
    } else {
        panic!("a population of 2000 has twins");
    }
    // Unknown matricule.
    let (status, text) = post(
        &c,
        &url,
        vitale_request(Some("1991299999999"), None, None, None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(cr(&answer(status, &text)), "01");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_styles() {
    for (style, needle) in [
        (
            insi_soap::ResultatStyle::Live,
            "<ListePrenom>CATARINA BELLA</ListePrenom>",
        ),
        (insi_soap::ResultatStyle::Cnda, "ns2:"),
        (
            insi_soap::ResultatStyle::PrenomEtListePrenom,
            "<Prenom>CATARINA</Prenom>",
        ),
    ] {
        let sim = sim(EmbeddedConfig {
            style,
            ..EmbeddedConfig::default()
        })
        .await;
        let c = client(sim.ca_pem(), Some(sim.client()));
        let (status, text) = post(
            &c,
            &sim.url().unwrap(),
            traits_request("TCHITCHI", "CATARINA", "F", "1936-06-21", None),
            &[],
        )
        .await
        .unwrap();
        assert_eq!(cr(&answer(status, &text)), "00");
        assert!(text.contains(needle), "{style:?}: {text}");
        if style == insi_soap::ResultatStyle::Live {
            assert!(
                !text.contains("<Prenom>"),
                "live style has ListePrenom only"
            );
        }
        sim.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off() {
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let sim = sim(EmbeddedConfig {
        slow_client_timeout: Duration::from_millis(300),
        ..EmbeddedConfig::default()
    })
    .await;
    let addr = sim.server().addr(insi_sim::tls::HostMode::Mtls).unwrap();

    // Connects and never starts the TLS handshake: closed after the handshake timeout.
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("server should close a silent connection")
        .unwrap_or(0);
    assert_eq!(n, 0);

    // Completes the handshake, sends half a request line, then stalls: closed too.
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from_pem_slice(sim.ca_pem().as_bytes()).unwrap())
        .unwrap();
    let chain: Vec<_> =
        rustls_pki_types::CertificateDer::pem_slice_iter(sim.client().chain_pem().as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    let key =
        rustls_pki_types::PrivateKeyDer::from_pem_slice(sim.client().key_pem.as_bytes()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)
    .unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(name.clone(), tcp).await.unwrap();
    tls.write_all(b"POST /lps HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut out)).await;
    assert!(
        read.is_ok(),
        "server should close a connection whose headers never end"
    );

    // Whole head, a tenth of the announced body, then nothing: HTTP 408 after the body
    // timeout (the body was not already there, so its timer is armed).
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(b"POST /lps HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<soap:Env")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(5), tls.read_exact(&mut head))
        .await
        .expect("server should answer a body that stalls")
        .unwrap();
    assert_eq!(&head, b"HTTP/1.1 408");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_stalled_handshakes_or_idle_connections() {
    use std::time::Duration;
    let sim = sim(EmbeddedConfig::default()).await;
    let addr = sim.server().addr(insi_sim::tls::HostMode::Mtls).unwrap();
    // One connection stalled before its TLS handshake, one idle keep-alive connection.
    let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let c = client(sim.ca_pem(), Some(sim.client()));
    let (status, _) = post(
        &c,
        &sim.url().unwrap(),
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    // The handshake timeout is 10 s and the grace period 5 s: shutdown must not wait for them.
    tokio::time::timeout(Duration::from_secs(4), sim.shutdown())
        .await
        .expect("shutdown should end promptly");
}
