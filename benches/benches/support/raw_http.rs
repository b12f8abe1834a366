//! Just enough HTTP/1.1 over mTLS for a bench floor: one keep-alive connection, a request
//! written as given (head and body), the response read back by its Content-Length. No HTTP
//! library, no codec: what any client must at least do.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// One mTLS keep-alive connection speaking just enough HTTP/1.1 for a POST and its answer.
pub struct RawConnection {
    tls: TlsStream<TcpStream>,
    buf: Vec<u8>,
    /// Where the last response's body starts in `buf`.
    body_at: usize,
}

impl RawConnection {
    /// Connects to `addr` trusting only `ca_pem`; with `identity` (chain PEM, key PEM) for
    /// mutual TLS.
    pub async fn connect(
        addr: std::net::SocketAddr,
        ca_pem: &str,
        identity: Option<(&str, &str)>,
    ) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.expect("CA PEM")).expect("CA certificate");
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots);
        let mut config = match identity {
            Some((chain, key)) => {
                let chain: Vec<CertificateDer<'static>> =
                    CertificateDer::pem_slice_iter(chain.as_bytes())
                        .collect::<Result<_, _>>()
                        .expect("client chain");
                let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("client key");
                builder
                    .with_client_auth_cert(chain, key)
                    .expect("client certificate")
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let name = ServerName::from(addr.ip());
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        RawConnection {
            tls,
            buf: Vec::with_capacity(8192),
            body_at: 0,
        }
    }

    /// Writes `request` (head and body) and reads one response; returns its status and body
    /// length.
    pub async fn exchange(&mut self, request: &[u8]) -> (u16, usize) {
        self.tls.write_all(request).await.expect("write");
        self.buf.clear();
        let (head_len, status, body_len) = loop {
            if let Some(parsed) = parse_head(&self.buf) {
                break parsed;
            }
            self.read_more().await;
        };
        while self.buf.len() < head_len + body_len {
            self.read_more().await;
        }
        assert_eq!(
            self.buf.len(),
            head_len + body_len,
            "one response at a time"
        );
        self.body_at = head_len;
        (status, body_len)
    }

    /// The body of the last response.
    pub fn last_body(&self) -> &[u8] {
        &self.buf[self.body_at..]
    }

    /// Appends what the connection has (into spare capacity: nothing is zeroed per read).
    async fn read_more(&mut self) {
        self.buf.reserve(4096);
        let n = self.tls.read_buf(&mut self.buf).await.expect("read");
        assert!(n > 0, "the simulator closed the connection");
    }
}

/// `(head length, status, Content-Length)` once the head is complete.
fn parse_head(buf: &[u8]) -> Option<(usize, u16, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).expect("ASCII head");
    let status = head.get(9..12)?.parse().ok()?;
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .expect("a Content-Length");
    Some((end, status, length))
}
