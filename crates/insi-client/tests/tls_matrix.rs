//! The client's TLS failure matrix (docs/tls.md): for each way the server's certificate, our own
//! certificate or the TLS version can be wrong, the client's typed failure, its message (what
//! was wrong) and its advice (what to do). Each row is a real handshake on 127.0.0.1: the server
//! is the simulator's real HTTPS server (`RunningServer`) given a certificate made here with
//! rcgen, or `openssl s_server` for a server that speaks only TLS 1.1 (rustls cannot).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use insi_client::{
    ClientError, ClientIdentity, HttpTransport, InsiClient, Outcome, RetryPolicy, Strategy,
    TlsFailure, TlsSetup, TransportError, fault_advice, fault_code,
};
use insi_sim::server::{RunningServer, SimConfig};
use insi_sim::store::Store;
use insi_sim::tls::{HostMode, ServerTls};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

type Issuer = CertifiedIssuer<'static, KeyPair>;

/// A certificate and its key, PEM.
struct Issued {
    chain_pem: String,
    key_pem: String,
}

fn ca(name: &str) -> Issuer {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// Valid from midnight UTC `from` days from today to midnight `to` days from today.
fn valid(params: &mut CertificateParams, from: i64, to: i64) {
    let today = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    let day = |offset: i64| {
        let d = today.checked_add(jiff::Span::new().days(offset)).unwrap();
        rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
    };
    params.not_before = day(from);
    params.not_after = day(to);
}

/// A leaf `CN=<cn>` valid from 10 days ago for a year, then `tweak`ed into the row's fault.
fn leaf(by: &Issuer, cn: &str, tweak: impl FnOnce(&mut CertificateParams)) -> Issued {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, "TESTBENCH01");
    params.distinguished_name.push(DnType::CommonName, cn);
    valid(&mut params, -10, 365);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    tweak(&mut params);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, by).unwrap();
    Issued {
        chain_pem: format!("{}{}", cert.pem(), by.pem()),
        key_pem: key.serialize_pem(),
    }
}

/// A server certificate for 127.0.0.1 (`serverAuth`), then `tweak`ed.
fn server_cert(by: &Issuer, tweak: impl FnOnce(&mut CertificateParams)) -> Issued {
    leaf(by, "localhost", |p| {
        p.subject_alt_names = vec![SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into())];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        tweak(p);
    })
}

/// An establishment certificate `CN=INSI-AUTO` (`clientAuth`), then `tweak`ed.
fn client_cert(by: &Issuer, tweak: impl FnOnce(&mut CertificateParams)) -> Issued {
    client_cert_cn(by, "INSI-AUTO", tweak)
}

fn client_cert_cn(by: &Issuer, cn: &str, tweak: impl FnOnce(&mut CertificateParams)) -> Issued {
    leaf(by, cn, |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        tweak(p);
    })
}

fn same(_: &mut CertificateParams) {}

/// The simulator's HTTPS server (mTLS host: a client certificate under `client_ca` is required)
/// presenting `cert`.
async fn server(client_ca: &Issuer, cert: &Issued) -> (RunningServer, SocketAddr) {
    let mut config = SimConfig::new(ServerTls {
        client_ca_pem: client_ca.pem(),
        cert_pem: cert.chain_pem.clone(),
        key_pem: zeroize::Zeroizing::new(cert.key_pem.clone()),
    });
    config.listeners = vec![(SocketAddr::from(([127, 0, 0, 1], 0)), HostMode::Mtls)];
    let server = RunningServer::start(config, Arc::new(Store::in_memory().unwrap()))
        .await
        .unwrap();
    let addr = server.addr(HostMode::Mtls).unwrap();
    (server, addr)
}

/// Our client trusting `ca` only, presenting `identity`, one attempt per call.
fn client(addr: SocketAddr, ca: &Issuer, identity: Option<&Issued>) -> InsiClient<HttpTransport> {
    let tls = TlsSetup {
        ca: insi_client::cert::parse_ca_pem(ca.pem().as_bytes(), "ca").unwrap(),
        identity: identity.map(|i| {
            ClientIdentity::from_pem(format!("{}{}", i.key_pem, i.chain_pem).as_bytes()).unwrap()
        }),
    };
    let transport = HttpTransport::new(tls, Duration::from_secs(5)).unwrap();
    let caller = insi_soap::Caller {
        idam: insi_sim::server::DEFAULT_IDAM.into(),
        lps_version: "1".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-client-tests:1".into(),
        emetteur: "TESTBENCH01".into(),
    };
    InsiClient::new(transport, format!("https://{addr}/lps"), caller).with_policy(RetryPolicy {
        call_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(20),
        ..RetryPolicy::default()
    })
}

/// What one search gave: the TLS failure, its message and advice, after exactly one attempt
/// (TLS failures are never retried).
async fn tls_failure(client: &InsiClient<HttpTransport>) -> (TlsFailure, String, String) {
    let adrun = ins::Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).unwrap();
    let report = client.search(&adrun, Strategy::Single).await.unwrap();
    assert_eq!(
        report.trace.attempts.len(),
        1,
        "TLS failures are not retried: {:?}",
        report
            .trace
            .attempts
            .iter()
            .map(|a| &a.outcome)
            .collect::<Vec<_>>()
    );
    match report.outcome {
        Outcome::Failed(e @ ClientError::Transport(TransportError::Tls { .. })) => {
            let ClientError::Transport(TransportError::Tls { failure, .. }) = &e else {
                unreachable!()
            };
            (failure.clone(), e.to_string(), e.advice())
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

/// The day `offset` days from today, as the failures write it (midnight UTC).
fn midnight(offset: i64) -> String {
    let d = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date()
        .checked_add(jiff::Span::new().days(offset))
        .unwrap();
    format!("{d}T00:00:00Z")
}

/// One row: the certificates in play, the failure the client must report, and words its
/// message and advice must hold.
struct Row {
    name: &'static str,
    server: Issued,
    identity: Option<Issued>,
    failure: TlsFailure,
    message: &'static str,
    advice: &'static str,
}

// One thread for client and server: with the server in-process on loopback, a second worker
// thread can read a TLS 1.3 server's alert about our certificate before hyper hands the request
// to the fresh connection ("connection was not ready", docs/tls.md); a real server is a round
// trip away and the request always goes first, as it does here.
#[tokio::test]
async fn each_tls_failure_has_its_own_message_and_advice() {
    let pki = ca("TEST AC MATRICE TLS");
    let foreign = ca("TEST AC ETRANGERE");
    let good_server = || server_cert(&pki, same);
    let good_client = || Some(client_cert(&pki, same));
    let rows = [
        Row {
            name: "server certificate from a foreign CA",
            server: server_cert(&foreign, same),
            identity: good_client(),
            failure: TlsFailure::ServerUntrusted,
            message: "the server's certificate does not chain to a CA of your bundle",
            advice: "--ca",
        },
        Row {
            name: "server certificate expired",
            server: server_cert(&pki, |p| valid(p, -400, -30)),
            identity: good_client(),
            failure: TlsFailure::ServerCertificateExpired {
                not_after: Some(midnight(-30)),
            },
            message: "the server's certificate expired on ",
            advice: "has lapsed",
        },
        Row {
            name: "server certificate not yet valid",
            server: server_cert(&pki, |p| valid(p, 30, 400)),
            identity: good_client(),
            failure: TlsFailure::ServerCertificateNotYetValid {
                not_before: Some(midnight(30)),
            },
            message: "the server's certificate is not valid before ",
            advice: "check this machine's clock",
        },
        Row {
            name: "server certificate for another name",
            server: server_cert(&pki, |p| {
                p.subject_alt_names = vec![SanType::DnsName("other.example".try_into().unwrap())];
            }),
            identity: good_client(),
            failure: TlsFailure::ServerNameMismatch {
                expected: Some("127.0.0.1".into()),
                presented: vec!["other.example".into()],
            },
            message: "the server's certificate is for other.example, not 127.0.0.1",
            advice: "check the host of the URL",
        },
        Row {
            name: "server certificate without serverAuth",
            server: server_cert(&pki, |p| {
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }),
            identity: good_client(),
            failure: TlsFailure::ServerWrongUsage,
            message: "lacks serverAuth",
            advice: "not for TLS servers: check the URL",
        },
        Row {
            name: "no client certificate",
            server: good_server(),
            identity: None,
            failure: TlsFailure::ClientCertificateRequired,
            message: "the server requires a client certificate and none was presented",
            advice: "give --cert and --key, or --p12",
        },
        Row {
            name: "client certificate from a foreign CA",
            server: good_server(),
            identity: Some(client_cert(&foreign, same)),
            failure: TlsFailure::ServerRejectedOurCa,
            message: "does not trust the CA that issued your client certificate (alert unknown_ca)",
            advice: "IGC-Santé",
        },
        Row {
            name: "client certificate expired",
            server: good_server(),
            identity: Some(client_cert(&pki, |p| valid(p, -400, -30))),
            failure: TlsFailure::ClientCertificateExpired {
                not_after: Some(midnight(-30)),
            },
            message: "your client certificate expired on ",
            advice: "order a new one",
        },
        Row {
            name: "client certificate not yet valid",
            server: good_server(),
            identity: Some(client_cert(&pki, |p| valid(p, 30, 400))),
            failure: TlsFailure::ClientCertificateNotYetValid {
                not_before: midnight(30),
            },
            message: "your client certificate is not valid before ",
            advice: "keep using the current one",
        },
        Row {
            name: "client certificate without clientAuth",
            server: good_server(),
            identity: Some(client_cert(&pki, |p| {
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            })),
            failure: TlsFailure::ClientCertificateWrongUsage,
            message: "refused your client certificate's key usage (alert unsupported_certificate)",
            advice: "client authentication certificate",
        },
        Row {
            name: "client certificate without digitalSignature",
            server: good_server(),
            identity: Some(client_cert(&pki, |p| {
                p.key_usages = vec![KeyUsagePurpose::KeyAgreement];
            })),
            failure: TlsFailure::ClientCertificateWrongUsage,
            message: "refused your client certificate's key usage (alert unsupported_certificate)",
            advice: "client authentication certificate",
        },
    ];
    let mut messages = HashSet::new();
    for row in &rows {
        let (running, addr) = server(&pki, &row.server).await;
        let (failure, message, advice) =
            tls_failure(&client(addr, &pki, row.identity.as_ref())).await;
        println!("{}:\n  {message}\n  advice: {advice}", row.name);
        assert_eq!(failure, row.failure, "{}: {message}", row.name);
        assert!(message.contains(row.message), "{}: {message}", row.name);
        assert!(advice.contains(row.advice), "{}: {advice}", row.name);
        messages.insert(failure.to_string());
        running.shutdown().await;
    }
    // Every row but the two key-usage ones (one kind, one advice) says something of its own.
    assert_eq!(messages.len(), rows.len() - 1, "{messages:#?}");

    // A CN other than INSI-AUTO/INSI-MANU passes TLS: DESIR_560 comes back as a SOAP fault.
    let (running, addr) = server(&pki, &good_server()).await;
    let wrong_cn = client_cert_cn(&pki, "SERVEUR-APP", same);
    let adrun = ins::Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).unwrap();
    let report = client(addr, &pki, Some(&wrong_cn))
        .search(&adrun, Strategy::Single)
        .await
        .unwrap();
    let Outcome::Fault(fault) = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        fault_code(fault).eq_ignore_ascii_case("desir_560"),
        "{fault:?}"
    );
    assert!(
        fault_advice("desir_560")
            .unwrap()
            .contains("exactly INSI-AUTO or INSI-MANU")
    );

    // The harness itself: the right certificates on both sides get an answer.
    let report = client(addr, &pki, good_client().as_ref())
        .search(&adrun, Strategy::Single)
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::Resultat(_)),
        "{:?}",
        report.outcome
    );
    running.shutdown().await;
}

/// `openssl s_server` speaking TLS 1.1 at most, on an ephemeral port; killed on drop.
struct OldServer {
    child: std::process::Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for OldServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn old_server(cert: &Issued) -> Option<OldServer> {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&cert_path, &cert.chain_pem).unwrap();
    std::fs::write(&key_path, &cert.key_pem).unwrap();
    let spawned = std::process::Command::new("openssl")
        .args(["s_server", "-accept", "127.0.0.1:0", "-tls1_1"])
        // OpenSSL 3 refuses TLS 1.1 at its default security level.
        .args(["-cipher", "DEFAULT:@SECLEVEL=0", "-cert"])
        .arg(&cert_path)
        .arg("-key")
        .arg(&key_path)
        // s_server ends when its stdin closes: keep a pipe open for its life.
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            println!("SKIPPED the TLS 1.1 server row: cannot run openssl ({e})");
            return None;
        }
    };
    // "ACCEPT 127.0.0.1:PORT" once it listens.
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .find_map(|l| l.ok()?.strip_prefix("ACCEPT ")?.parse().ok())
        .expect("openssl s_server printed its address");
    Some(OldServer {
        child,
        addr,
        _dir: dir,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_speaks_only_tls_1_1_is_a_protocol_version_failure() {
    let pki = ca("TEST AC MATRICE TLS");
    let Some(old) = old_server(&server_cert(&pki, same)) else {
        return;
    };
    let (failure, message, advice) =
        tls_failure(&client(old.addr, &pki, Some(&client_cert(&pki, same)))).await;
    assert_eq!(failure, TlsFailure::ProtocolVersion, "{message}");
    assert!(
        message.contains("the server speaks only TLS 1.1 or older"),
        "{message}"
    );
    assert!(advice.contains("never offers TLS 1.0/1.1"), "{advice}");
}
