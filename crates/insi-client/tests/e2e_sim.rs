//! The client against the embedded simulator over real mutual TLS on loopback: personas,
//! authentication failures and their advice, retries (counted), the production guard, and
//! verification. The simulator is a dev-dependency only: the client never depends on it.

use std::time::Duration;

use ins::{CodeCr, Matricule, Oid, Traits};
use insi_client::{
    ClientError, ClientIdentity, Guard, HttpTransport, InsiClient, Outcome, RetryPolicy, StoredIns,
    Strategy, TlsFailure, TlsSetup, TransportError, Verdict, fault_advice, fault_code,
};
use insi_sim::embedded::{EmbeddedConfig, EmbeddedSim, start};
use insi_sim::pki::Credential;

fn caller(idam: &str) -> insi_soap::Caller {
    insi_soap::Caller {
        idam: idam.into(),
        lps_version: "1".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-client-tests:1".into(),
        emetteur: insi_sim::pki::STRUCTURE_ID.into(),
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        call_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(20),
        ..RetryPolicy::default()
    }
}

/// A client trusting `ca_pem` and presenting `identity` (if any).
fn client_with(
    sim: &EmbeddedSim,
    ca_pem: &str,
    identity: Option<&Credential>,
    idam: &str,
) -> InsiClient<HttpTransport> {
    let tls = TlsSetup {
        ca: insi_client::cert::parse_ca_pem(ca_pem.as_bytes(), "ca").unwrap(),
        identity: identity.map(|c| ClientIdentity::from_pem(c.identity_pem().as_bytes()).unwrap()),
    };
    let transport = HttpTransport::new(tls, Duration::from_secs(5)).unwrap();
    InsiClient::new(transport, sim.url().unwrap(), caller(idam)).with_policy(fast_policy())
}

fn client(sim: &EmbeddedSim) -> InsiClient<HttpTransport> {
    client_with(
        sim,
        sim.ca_pem(),
        Some(sim.client()),
        insi_sim::server::DEFAULT_IDAM,
    )
}

fn traits(nom: &str, prenoms: &str, sexe: &str, date: &str, lieu: Option<&str>) -> Traits {
    Traits::parse(nom, prenoms, sexe, date, lieu).unwrap()
}

fn calls(report: &insi_client::SearchReport) -> Vec<String> {
    report
        .trace
        .attempts
        .iter()
        .map(|a| format!("{}{}", a.prenom, if a.with_cog { "+COG" } else { "" }))
        .collect()
}

fn resultat(report: &insi_client::SearchReport) -> &insi_soap::Resultat {
    match &report.outcome {
        Outcome::Resultat(r) => r,
        other => panic!("expected a RESULTAT, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personas_behave_as_in_qualification() {
    let sim = start(EmbeddedConfig::default()).await.unwrap();
    let c = client(&sim);

    // CNDA 2.07 cas 1: OLA → 01, CATARINA → 00.
    let r = c
        .search(
            &traits("TCHITCHI", "OLA CATARINA BELLA", "F", "1936-06-21", None),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    assert_eq!(calls(&r), ["OLA", "CATARINA"]);
    let res = resultat(&r);
    assert_eq!(res.cr, CodeCr::Ok);
    let individu = res.individu.as_ref().unwrap();
    assert_eq!(
        individu.ins_actif.id_individu.num_identifiant,
        "2360663220836"
    );
    assert_eq!(individu.tiq.liste_prenom.as_deref(), Some("CATARINA BELLA"));
    assert!(r.trace.attempts.iter().all(|a| a.http_status == Some(200)));
    assert!(
        r.trace.attempts[1]
            .response
            .as_ref()
            .is_some_and(|b| b.windows(13).any(|w| w == b"2360663220836"))
    );

    // CNDA 2.07 cas 2: every first name, then all joined, always 01.
    let r = c
        .search(
            &traits("HOUILLES", "PIERRE PAUL JACQUES", "M", "1993-01-27", None),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    assert_eq!(
        calls(&r),
        ["PIERRE", "PAUL", "JACQUES", "PIERRE PAUL JACQUES"]
    );
    assert_eq!(resultat(&r).cr, CodeCr::AucuneIdentite);

    // CNDA 2.06: 02 without COG; re-queried with the COG → 00.
    let de_vinci = |lieu| traits("DE VINCI", "LEONARDO", "M", "2014-02-01", lieu);
    let r = c.search(&de_vinci(None), Strategy::Cnda).await.unwrap();
    assert_eq!(calls(&r), ["LEONARDO"]);
    assert_eq!(resultat(&r).cr, CodeCr::PlusieursIdentites);
    let r = c
        .search(&de_vinci(Some("63220")), Strategy::Cnda)
        .await
        .unwrap();
    assert_eq!(calls(&r), ["LEONARDO", "LEONARDO+COG"]);
    assert_eq!(resultat(&r).cr, CodeCr::Ok);
    // `single` sends the COG at once.
    let r = c
        .search(&de_vinci(Some("63220")), Strategy::Single)
        .await
        .unwrap();
    assert_eq!(calls(&r), ["LEONARDO+COG"]);
    assert_eq!(resultat(&r).cr, CodeCr::Ok);

    // CNDA 2.04: INSHISTO kept.
    let r = c
        .search(
            &traits("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14", None),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    let individu = resultat(&r).individu.clone().unwrap();
    assert_eq!(individu.ins_histo.len(), 1);
    assert_eq!(
        individu.ins_histo[0].id_individu.num_identifiant,
        "2090763220834"
    );

    // CNDA 2.05: NIA told by its OID.
    let r = c
        .search(
            &traits("PROVISOIRE", "MATRICULE", "M", "2009-07-01", None),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    assert_eq!(
        resultat(&r).individu.as_ref().unwrap().ins_actif.oid,
        Oid::InsNia
    );

    // CNDA 2.03 cas 3: transliterated traits, technical fault, not retried.
    let r = c
        .search(
            &traits("D’ÆION", "CŒUR", "M", "1987-01-25", Some("2B020")),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    assert_eq!(calls(&r), ["COEUR"]);
    let Outcome::Fault(f) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(fault_code(f), "insi_102");
    assert_eq!(r.trace.attempts[0].http_status, Some(500));
    assert!(fault_advice("insi_102").is_some());
    sim.shutdown().await;
}

// One thread for client and in-process server, as in tls_matrix.rs: with a second worker, a
// TLS 1.3 server's alert about our certificate can be read before hyper hands the request to the
// fresh connection ("connection was not ready", then a retry), which would break the
// one-attempt assertions below (docs/tls.md).
#[tokio::test]
async fn authentication_failures_come_with_advice() {
    let sim = start(EmbeddedConfig::default()).await.unwrap();
    let pki = sim.pki().clone();
    let adrun = traits("ADRUN", "ZOE", "F", "1975-12-31", None);
    let idam = insi_sim::server::DEFAULT_IDAM;

    // CN neither INSI-AUTO nor INSI-MANU: DESIR_560.
    let c = client_with(&sim, sim.ca_pem(), Some(&pki.wrong_cn), idam);
    let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
    let Outcome::Fault(f) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(fault_code(f).eq_ignore_ascii_case("desir_560"), "{f:?}");
    assert!(
        fault_advice(fault_code(f))
            .unwrap()
            .contains("INSI-AUTO or INSI-MANU")
    );

    // INSI-MANU is accepted like INSI-AUTO.
    let c = client_with(&sim, sim.ca_pem(), Some(&pki.insi_manu), idam);
    let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
    assert_eq!(resultat(&r).cr, CodeCr::Ok);

    // Unknown IDAM: desir_550.
    let c = client_with(&sim, sim.ca_pem(), Some(sim.client()), "PASCONNU0000");
    let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
    let Outcome::Fault(f) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(fault_code(f), "desir_550");
    assert!(
        fault_advice("desir_550")
            .unwrap()
            .contains("CNDA authorisation number")
    );

    let tls_failure = |r: &insi_client::SearchReport| match &r.outcome {
        Outcome::Failed(ClientError::Transport(TransportError::Tls { failure, .. })) => {
            failure.clone()
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    };

    // A certificate from a CA the server does not know: refused at TLS level, never retried.
    let c = client_with(&sim, sim.ca_pem(), Some(&pki.foreign_client), idam);
    let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
    assert_eq!(tls_failure(&r), TlsFailure::ServerRejectedOurCa);
    assert_eq!(r.trace.attempts.len(), 1, "TLS failures are not retried");
    let Outcome::Failed(e) = &r.outcome else {
        unreachable!()
    };
    assert!(e.advice().contains("IGC-Santé"), "{}", e.advice());

    // No client certificate at all.
    let c = client_with(&sim, sim.ca_pem(), None, idam);
    let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
    assert_eq!(tls_failure(&r), TlsFailure::ClientCertificateRequired);
    let Outcome::Failed(e) = &r.outcome else {
        unreachable!()
    };
    assert!(e.advice().contains("--p12"), "{}", e.advice());

    // The client trusts another CA than the server's: our CA bundle is wrong.
    let c = client_with(&sim, &pki.foreign_ca.cert_pem, Some(sim.client()), idam);
    let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
    assert_eq!(tls_failure(&r), TlsFailure::ServerUntrusted);
    let Outcome::Failed(e) = &r.outcome else {
        unreachable!()
    };
    assert!(e.advice().contains("--ca"), "{}", e.advice());

    // An expired client certificate is refused before sending, with its end date.
    let expired = jiff::Timestamp::from_second(1_600_000_000).unwrap();
    let c = client(&sim).with_client_not_after(expired);
    let err = c.search(&adrun, Strategy::Cnda).await.unwrap_err();
    let ClientError::Transport(TransportError::Tls {
        failure: TlsFailure::ClientCertificateExpired { not_after },
        ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(not_after.as_deref(), Some("2020-09-13T12:26:40Z"));
    assert!(err.advice().contains("2020-09-13"), "{}", err.advice());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desir_1020_is_retried_a_bounded_number_of_times() {
    let mut config = EmbeddedConfig::default();
    config.chaos.desir_1020 = 1.0;
    let sim = start(config).await.unwrap();
    let adrun = traits("ADRUN", "ZOE", "F", "1975-12-31", None);
    for retries in [0u32, 2] {
        let c = client(&sim).with_policy(RetryPolicy {
            max_retries: retries,
            ..fast_policy()
        });
        let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
        assert_eq!(r.trace.attempts.len() as u32, retries + 1);
        let Outcome::Fault(f) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert_eq!(fault_code(f), "desir_1020");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_retried_then_reported() {
    // A port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = start(EmbeddedConfig::default()).await.unwrap();
    let tls = TlsSetup {
        ca: insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "ca").unwrap(),
        identity: None,
    };
    let c = InsiClient::new(
        HttpTransport::new(tls, Duration::from_secs(2)).unwrap(),
        format!("https://127.0.0.1:{port}/lps"),
        caller("X"),
    )
    .with_policy(fast_policy());
    let r = c
        .search(
            &traits("ADRUN", "ZOE", "F", "1975-12-31", None),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    assert_eq!(r.trace.attempts.len(), 3, "first try + 2 retries");
    let Outcome::Failed(ClientError::Transport(e @ TransportError::Connect { .. })) = &r.outcome
    else {
        panic!("{:?}", r.outcome)
    };
    assert!(e.advice().contains("URL"), "{}", e.advice());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_guard_refuses_before_sending() {
    let sim = start(EmbeddedConfig::default()).await.unwrap();
    let prod = Guard {
        production: true,
        ..Guard::default()
    };
    let c = client(&sim).with_guard(prod);
    let err = c
        .search(
            &traits("ADRUN", "ZOE", "F", "1975-12-31", None),
            Strategy::Cnda,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Guard(_)), "{err:?}");
    assert!(err.advice().contains("--i-know-this-is-production"));

    let acknowledged = client(&sim).with_guard(Guard {
        acknowledged: true,
        ..prod
    });
    let r = acknowledged
        .search(
            &traits("ADRUN", "ZOE", "F", "1975-12-31", None),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    assert_eq!(resultat(&r).cr, CodeCr::Ok);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_verdicts() {
    let sim = start(EmbeddedConfig::default()).await.unwrap();
    let c = client(&sim);
    let stored = |matricule: &str, oid: Oid, prenoms: &str| StoredIns {
        matricule: Matricule::parse(matricule).unwrap(),
        cle: None,
        oid,
        traits: traits("ECETINSI", prenoms, "M", "2009-07-14", Some("63220")),
    };
    let ok = c
        .verify(
            &stored("1090763220834", Oid::InsNir, "PIERRE-ALAIN MURIEL FLORIANT"),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    assert_eq!(ok.verdict, Verdict::Conforme);
    assert!(ok.differences.is_empty());

    let outdated = c
        .verify(
            &stored("2090763220834", Oid::InsNir, "PIERRE-ALAIN MURIEL FLORIANT"),
            Strategy::Cnda,
        )
        .await
        .unwrap();
    assert_eq!(outdated.verdict, Verdict::NonConforme);
    assert_eq!(outdated.differences.len(), 1);
    assert_eq!(outdated.differences[0].field, "matricule");

    let mut unknown = stored("1090763220834", Oid::InsNir, "JEAN");
    unknown.traits.nom_naissance = ins::NomNaissance::new("INCONNU").unwrap();
    let missing = c.verify(&unknown, Strategy::Cnda).await.unwrap();
    assert_eq!(missing.verdict, Verdict::Introuvable);
    sim.shutdown().await;
}

/// Counts signatures, to check the assertion cache.
struct CountingSigner {
    inner: xmldsig::RsaSoftwareSigner,
    count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl xmldsig::Signer for CountingSigner {
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, xmldsig::SignError> {
        self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.sign(data)
    }
    fn certificate_der(&self) -> &[u8] {
        self.inner.certificate_der()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpx_mode_with_a_software_key() {
    use insi_client::SignedAssertions;
    use insi_soap::PsAttributes;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let sim = start(EmbeddedConfig {
        mtls: false,
        cpx: true,
        ..EmbeddedConfig::default()
    })
    .await
    .unwrap();
    let url = sim.cpx_url().unwrap();
    let ps = sim.pki().cpx_ps.clone();
    let attributes = PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA05".into(),
    };
    let cpx_client = |provider: Option<Arc<dyn insi_client::AssertionProvider>>| {
        let tls = TlsSetup {
            ca: insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "ca").unwrap(),
            identity: None,
        };
        let mut caller = caller(insi_sim::server::DEFAULT_IDAM);
        caller.emetteur = insi_sim::pki::PS_ID.into();
        let c = InsiClient::new(
            HttpTransport::new(tls, Duration::from_secs(5)).unwrap(),
            url.clone(),
            caller,
        )
        .with_policy(fast_policy());
        match provider {
            Some(p) => c.with_assertions(p),
            None => c,
        }
    };
    let adrun = traits("ADRUN", "ZOE", "F", "1975-12-31", None);

    let count = Arc::new(AtomicUsize::new(0));
    let signer = CountingSigner {
        inner: xmldsig::RsaSoftwareSigner::from_pem(&ps.key_pem, &ps.cert_pem).unwrap(),
        count: count.clone(),
    };
    let c = cpx_client(Some(Arc::new(SignedAssertions::new(
        signer,
        attributes.clone(),
    ))));
    for _ in 0..3 {
        let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
        assert_eq!(resultat(&r).cr, CodeCr::Ok, "{:?}", r.outcome);
        let request = String::from_utf8(r.trace.attempts[0].request.clone()).unwrap();
        assert!(request.contains("Security") && request.contains("SignatureValue"));
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "one signature per validity window"
    );

    let count = Arc::new(AtomicUsize::new(0));
    let signer = CountingSigner {
        inner: xmldsig::RsaSoftwareSigner::from_pem(&ps.key_pem, &ps.cert_pem).unwrap(),
        count: count.clone(),
    };
    let every_call =
        SignedAssertions::new(signer, attributes.clone()).with_validity(Duration::ZERO);
    let c = cpx_client(Some(Arc::new(every_call)));
    for _ in 0..2 {
        c.search(&adrun, Strategy::Cnda).await.unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // No assertion, or one signed by a key the CPx CA never certified: refused by the service.
    let r = cpx_client(None)
        .search(&adrun, Strategy::Cnda)
        .await
        .unwrap();
    assert!(matches!(r.outcome, Outcome::Fault(_)), "{:?}", r.outcome);
    let rogue_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, insi_sim::pki::PS_ID);
    let rogue_cert = params.self_signed(&rogue_key).unwrap();
    let rogue = xmldsig::RsaSoftwareSigner::from_pem(&rogue_key.serialize_pem(), &rogue_cert.pem())
        .unwrap();
    let r = cpx_client(Some(Arc::new(SignedAssertions::new(rogue, attributes))))
        .search(&adrun, Strategy::Cnda)
        .await
        .unwrap();
    let Outcome::Fault(f) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(
        r.trace.attempts.len(),
        1,
        "assertion faults are not retried"
    );
    assert!(f.erreur.is_some(), "{f:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_say_their_phase() {
    let sim = start(EmbeddedConfig {
        chaos: insi_sim::chaos::ChaosConfig {
            latency: insi_sim::chaos::Latency::Fixed(Duration::from_secs(3)),
            ..Default::default()
        },
        ..EmbeddedConfig::default()
    })
    .await
    .unwrap();
    let policy = RetryPolicy {
        max_retries: 0,
        call_timeout: Duration::from_millis(400),
        ..fast_policy()
    };
    let adrun = traits("ADRUN", "ZOE", "F", "1975-12-31", None);

    // The simulator accepts, handshakes, then answers too late: the exchange phase.
    let r = client(&sim)
        .with_policy(policy)
        .search(&adrun, Strategy::Cnda)
        .await
        .unwrap();
    let Outcome::Failed(ClientError::Transport(e)) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(
        matches!(
            e,
            TransportError::Timeout {
                phase: insi_client::Phase::Exchange,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.advice().contains("did not answer in time"),
        "{}",
        e.advice()
    );

    // A host that accepts TCP and never speaks TLS: the connect phase.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let tls = TlsSetup {
        ca: insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "ca").unwrap(),
        identity: None,
    };
    let c = InsiClient::new(
        HttpTransport::new(tls, Duration::from_millis(400)).unwrap(),
        format!("https://127.0.0.1:{port}/lps"),
        caller("X"),
    )
    .with_policy(policy);
    let r = c.search(&adrun, Strategy::Cnda).await.unwrap();
    let Outcome::Failed(ClientError::Transport(e)) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(
        matches!(
            e,
            TransportError::Timeout {
                phase: insi_client::Phase::Connect,
                ..
            }
        ),
        "{e:?}"
    );
    holder.abort();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_searches_reuse_one_kept_alive_connection() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let sim = start(EmbeddedConfig::default()).await.unwrap();
    let upstream = sim.server().addr(insi_sim::tls::HostMode::Mtls).unwrap();
    // A TCP relay in front of the simulator counts the connections the client opens.
    let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = relay.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let relay_task = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let tls = TlsSetup {
        ca: insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "ca").unwrap(),
        identity: Some(ClientIdentity::from_pem(sim.client_identity_pem().as_bytes()).unwrap()),
    };
    let c = InsiClient::new(
        HttpTransport::new(tls, Duration::from_secs(5)).unwrap(),
        format!("https://127.0.0.1:{port}/lps"),
        caller(insi_sim::server::DEFAULT_IDAM),
    );
    for _ in 0..25 {
        let r = c
            .search(
                &traits("TCHITCHI", "OLA CATARINA", "F", "1936-06-21", None),
                Strategy::Cnda,
            )
            .await
            .unwrap();
        assert_eq!(resultat(&r).cr, CodeCr::Ok);
    }
    // 50 calls. hyper hands a connection back to the pool a moment after its body ends, so a
    // call made in that moment opens another one (seen up to 3 on a loaded 2-core machine);
    // once opened they are all reused. Without keep-alive this would be 50.
    let connections = accepted.load(Ordering::SeqCst);
    assert!(
        (1..=10).contains(&connections),
        "50 calls took {connections} connections: keep-alive is not reusing them"
    );
    relay_task.abort();
    sim.shutdown().await;
}
