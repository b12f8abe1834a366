//! The simulator's TLS refusal matrix (docs/tls.md), one row per way a client certificate or a
//! TLS version can be wrong. Each row is a real handshake on 127.0.0.1 against the real server
//! (`RunningServer`, mTLS host) with a PKI made here with rcgen; the row checks what the client
//! sees (the alert, or the SOAP fault when the refusal is at the application level, as on the
//! real service) and the one line the simulator logs. TLS 1.0/1.1 are offered by `openssl
//! s_client` (rustls cannot speak them).

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{Answer, answer, post, traits_request};
use insi_sim::exchange::ExchangeLog;
use insi_sim::pki::Credential;
use insi_sim::server::{RunningServer, SimConfig};
use insi_sim::store::Store;
use insi_sim::tls::{HostMode, ServerTls};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::AlertDescription;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---- the log, captured ----------------------------------------------------------------------

/// Every log line of this test binary (one global subscriber: the server logs from its tasks).
fn log_lines() -> &'static Mutex<Vec<u8>> {
    static LINES: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let lines: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(lines))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        lines
    })
}

struct LogWriter(&'static Mutex<Vec<u8>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The TLS refusal lines logged so far by the server listening on `addr`.
fn refusal_lines(addr: SocketAddr) -> Vec<String> {
    let text = String::from_utf8_lossy(&log_lines().lock().unwrap()).into_owned();
    text.lines()
        .filter(|l| l.contains("TLS handshake refused") && l.contains(&format!("listener={addr}")))
        .map(str::to_owned)
        .collect()
}

/// Waits (bounded, against hangs only) for the server's next refusal line after `seen` lines.
async fn next_refusal_line(addr: SocketAddr, seen: usize) -> String {
    for _ in 0..500 {
        if let Some(line) = refusal_lines(addr).get(seen) {
            return line.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the simulator logged no refusal line");
}

// ---- the PKI ----------------------------------------------------------------------------------

type Issuer = CertifiedIssuer<'static, KeyPair>;

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

/// An establishment certificate `OU=TESTBENCH01, CN=<cn>`, valid from 10 days ago for a year,
/// `digitalSignature` + `clientAuth`, then `tweak`ed into the row's fault.
fn establishment(by: &Issuer, cn: &str, tweak: impl FnOnce(&mut CertificateParams)) -> Credential {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, "TESTBENCH01");
    params.distinguished_name.push(DnType::CommonName, cn);
    valid(&mut params, -10, 365);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    tweak(&mut params);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, by).unwrap();
    Credential {
        cert_pem: cert.pem(),
        key_pem: zeroize::Zeroizing::new(key.serialize_pem()),
        issuer_pem: by.pem(),
    }
}

struct Sim {
    server: RunningServer,
    addr: SocketAddr,
    ca: Issuer,
}

async fn start_sim() -> Sim {
    log_lines();
    let ca = ca("TEST AC MATRICE TLS");
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into().unwrap()),
        SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let server_cert = params.signed_by(&key, &ca).unwrap();
    let mut config = SimConfig::new(ServerTls {
        client_ca_pem: ca.pem(),
        cert_pem: server_cert.pem(),
        key_pem: zeroize::Zeroizing::new(key.serialize_pem()),
    });
    config.listeners = vec![(SocketAddr::from(([127, 0, 0, 1], 0)), HostMode::Mtls)];
    config.exchanges = ExchangeLog::new(16);
    let server = RunningServer::start(config, Arc::new(Store::in_memory().unwrap()))
        .await
        .unwrap();
    let addr = server.addr(HostMode::Mtls).unwrap();
    Sim { server, addr, ca }
}

// ---- the clients ------------------------------------------------------------------------------

/// A rustls client (TLS 1.2 and 1.3) trusting `ca_pem`, presenting `identity`: connects, sends
/// one `GET /health`, and returns the alert the server ended with, if any.
async fn handshake(
    addr: SocketAddr,
    ca_pem: &str,
    identity: Option<&Credential>,
) -> Option<AlertDescription> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match identity {
        Some(id) => {
            let chain = CertificateDer::pem_slice_iter(id.chain_pem().as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let exchange = async {
        // TLS 1.2 refuses during the handshake; TLS 1.3 after our Finished, on the first read.
        let mut tls = connector.connect(name, tcp).await?;
        tls.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut response = Vec::new();
        tls.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    match tokio::time::timeout(Duration::from_secs(10), exchange).await {
        Ok(Ok(response)) => {
            assert!(
                String::from_utf8_lossy(&response).starts_with("HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&response)
            );
            None
        }
        Ok(Err(e)) => match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            Some(rustls::Error::AlertReceived(alert)) => Some(*alert),
            _ => panic!("no alert, but: {e:?}"),
        },
        Err(_) => panic!("the handshake hung"),
    }
}

/// `openssl s_client` offering only `version` (`-tls1`, `-tls1_1`); `None` without openssl.
fn old_client(addr: SocketAddr, version: &str) -> Option<String> {
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), version])
        // OpenSSL 3 disables TLS 1.0/1.1 at its default security level: lower it, so that the
        // refusal is the simulator's, not the tool's.
        .args(["-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "localhost"])
        .stdin(std::process::Stdio::null())
        .output();
    match out {
        Ok(out) => Some(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => {
            println!("SKIPPED the TLS 1.0/1.1 rows: cannot run openssl ({e})");
            None
        }
    }
}

// ---- the matrix -------------------------------------------------------------------------------

/// One way a client certificate can be wrong, what the client must see, what the log must say.
struct Row {
    name: &'static str,
    identity: Option<Credential>,
    alert: AlertDescription,
    logged: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_client_certificate_is_refused_with_its_own_alert_and_log_line() {
    let sim = start_sim().await;
    let foreign = ca("TEST AC ETRANGERE");
    let ok = |p: &mut CertificateParams| {
        let _ = p;
    };
    let rows = [
        Row {
            name: "no client certificate",
            identity: None,
            alert: AlertDescription::CertificateRequired,
            logged: "no client certificate: this host requires an establishment certificate",
        },
        Row {
            name: "foreign CA",
            identity: Some(establishment(&foreign, "INSI-AUTO", ok)),
            alert: AlertDescription::UnknownCA,
            logged: "client certificate not issued under a CA this host trusts (alert unknown_ca)",
        },
        Row {
            name: "expired",
            identity: Some(establishment(&sim.ca, "INSI-AUTO", |p| {
                valid(p, -400, -30);
            })),
            alert: AlertDescription::CertificateExpired,
            logged: "client certificate expired on ",
        },
        Row {
            name: "not yet valid",
            identity: Some(establishment(&sim.ca, "INSI-AUTO", |p| {
                valid(p, 30, 400);
            })),
            alert: AlertDescription::CertificateExpired,
            logged: "client certificate not valid before ",
        },
        Row {
            name: "extended key usage serverAuth only",
            identity: Some(establishment(&sim.ca, "INSI-AUTO", |p| {
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            })),
            alert: AlertDescription::UnsupportedCertificate,
            logged: "extended key usage serverAuth lacks clientAuth (alert unsupported_certificate)",
        },
        Row {
            name: "key usage without digitalSignature",
            identity: Some(establishment(&sim.ca, "INSI-AUTO", |p| {
                p.key_usages = vec![KeyUsagePurpose::KeyAgreement];
            })),
            alert: AlertDescription::UnsupportedCertificate,
            logged: "key usage lacks digitalSignature: not an authentication certificate (alert \
                     unsupported_certificate)",
        },
    ];
    let ca_pem = sim.ca.pem();
    let mut lines = Vec::new();
    for row in &rows {
        let seen = refusal_lines(sim.addr).len();
        let alert = handshake(sim.addr, &ca_pem, row.identity.as_ref()).await;
        assert_eq!(alert, Some(row.alert), "{}", row.name);
        let line = next_refusal_line(sim.addr, seen).await;
        assert!(line.contains(row.logged), "{}: {line}", row.name);
        assert!(line.contains(" INFO "), "{}: {line}", row.name);
        println!("{line}");
        lines.push(line);
    }
    // The rows' messages differ: each refusal says its own cause.
    let reasons: std::collections::HashSet<_> = lines
        .iter()
        .map(|l| {
            l.split("TLS handshake refused: ")
                .nth(1)
                .unwrap_or_default()
                .split(" (alert")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(reasons.len(), rows.len(), "{lines:#?}");

    // The right certificate is accepted by the same harness, and logs no refusal.
    let seen = refusal_lines(sim.addr).len();
    let good = establishment(&sim.ca, "INSI-AUTO", ok);
    assert_eq!(handshake(sim.addr, &ca_pem, Some(&good)).await, None);

    // A CN other than INSI-AUTO/INSI-MANU passes TLS and is refused in SOAP, as the real
    // service does: DESIR_560 (HTTP 500), with the reason in the exchange.
    let wrong_cn = establishment(&sim.ca, "SERVEUR-APP", ok);
    let client = common::client(&ca_pem, Some(&wrong_cn));
    let url = format!("https://localhost:{}/lps", sim.addr.port());
    let (status, text) = post(
        &client,
        &url,
        traits_request("ADRUN", "ZOE", "F", "1975-12-31", None),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(answer(status, &text), Answer::Fault("DESIR_560".into()));
    let reason = sim
        .server
        .exchanges()
        .recent()
        .last()
        .map(|e| e.reason.render(false))
        .unwrap();
    assert!(
        reason.contains("certificate CN is SERVEUR-APP, INSi accepts INSI-AUTO or INSI-MANU"),
        "{reason}"
    );
    assert_eq!(refusal_lines(sim.addr).len(), seen, "no TLS refusal logged");
    sim.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_1_0_and_1_1_are_refused_with_protocol_version() {
    let sim = start_sim().await;
    for (version, offered) in [("-tls1", "TLS 1.0"), ("-tls1_1", "TLS 1.1")] {
        let seen = refusal_lines(sim.addr).len();
        let Some(output) = old_client(sim.addr, version) else {
            return;
        };
        // OpenSSL prints the alert it received: "tlsv1 alert protocol version … alert number 70".
        assert!(
            output.contains("alert protocol version"),
            "{version}: {output}"
        );
        let line = next_refusal_line(sim.addr, seen).await;
        let logged = format!(
            "client offered {offered} at most; this host speaks TLS 1.2 and 1.3 only (alert \
             protocol_version)"
        );
        println!("{line}");
        assert!(line.contains(&logged), "{version}: {line}");
    }
    sim.server.shutdown().await;
}
