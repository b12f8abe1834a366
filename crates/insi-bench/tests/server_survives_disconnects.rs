//! A long-running command must survive peers that go away while it writes to them. The binary
//! once restored the default SIGPIPE action (so that `| head` ended quietly): then the first
//! client that closed its connection in the middle of the responses killed `sim serve` (exit
//! 141, nothing logged). This drives `insi-bench sim serve` with clients that pipeline requests
//! and hang up without reading, many times and several at once, then checks the server still
//! answers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

mod common;
use common::sim::{start_with, url};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A TLS client with the committed INSI-AUTO credential, trusting only the committed CA.
fn tls_config() -> Arc<rustls::ClientConfig> {
    let pki = workspace().join("testdata/pki");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pki.join("ca.pem")).expect("ca.pem") {
        roots.add(cert.expect("CA certificate")).expect("add CA");
    }
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(pki.join("insi-auto.pem"))
            .expect("insi-auto.pem")
            .collect::<Result<_, _>>()
            .expect("chain");
    let key = PrivateKeyDer::from_pem_file(pki.join("insi-auto.key")).expect("key");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .expect("client auth");
    Arc::new(config)
}

fn connect(
    port: u16,
    config: &Arc<rustls::ClientConfig>,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let name = ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(config.clone(), name).expect("client");
    rustls::StreamOwned::new(conn, tcp)
}

/// Sends `n` pipelined requests and hangs up without reading: closing with unread data makes
/// the kernel reset the connection, so the server's next writes fail (EPIPE / ECONNRESET).
fn hang_up_mid_response(port: u16, config: &Arc<rustls::ClientConfig>, n: usize) {
    let mut tls = connect(port, config);
    let request = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(n);
    // The handshake happens on the first write; a refused handshake is a test failure.
    tls.write_all(request.as_bytes()).expect("write");
    tls.flush().expect("flush");
    // Read a little of the first answer, so the server is surely writing, then go.
    let mut first = [0u8; 16];
    let _ = tls.read(&mut first);
    drop(tls);
}

fn health(port: u16, config: &Arc<rustls::ClientConfig>) -> String {
    let mut tls = connect(port, config);
    tls.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer);
    answer
}

#[test]
fn sim_serve_keeps_serving_when_clients_hang_up_mid_response() {
    let (server, banner) = start_with(
        Command::new(env!("CARGO_BIN_EXE_insi-bench")),
        &[],
        Stdio::null(),
    );
    let mut server = server;
    let url = url(&banner);
    let port: u16 = url
        .trim_start_matches("https://127.0.0.1:")
        .split('/')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"));

    let config = tls_config();
    assert!(
        health(port, &config).starts_with("HTTP/1.1 200"),
        "server up"
    );
    // 8 clients at once, 25 hang-ups each, 64 pipelined requests per connection.
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..25 {
                    hang_up_mid_response(port, &config, 64);
                }
            });
        }
    });
    assert!(
        server.0.try_wait().expect("try_wait").is_none(),
        "sim serve died while clients hung up: {:?}",
        server.0.try_wait()
    );
    let answer = health(port, &config);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "still serving: {answer:?}"
    );
}
