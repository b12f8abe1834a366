//! The HTTP exchange: one POST, raw bytes in and out.
//!
//! [`Transport`] is the seam between the search logic and the network: [`HttpTransport`] is
//! the real one (reqwest 0.13 + rustls 0.23 on aws-lc-rs, HTTP/1.1 keep-alive pool — one h2
//! connection would serialise a load run, RUST-STACK.md §6); tests of the strategy logic put a
//! fake behind it.
//!
//! Trust is the configured CA bundle only (`tls_certs_only`): never the system store, because
//! INSi's servers chain to IGC-Santé and a publisher must know exactly what they trust.

use std::future::Future;
use std::time::Duration;

use rustls_pki_types::CertificateDer;

use crate::cert::ClientIdentity;
use crate::error::{ClientError, Phase, TransportError};
use crate::handshake::{OwnCertificate, find_rustls, tls_failure};

/// Responses larger than this are cut off: a RESULTAT is about 1 KB (the codec's own limit is
/// 256 KiB).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// One POST to send.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub url: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// What came back, whatever the status.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends one request. Implementations must be cheap to share (`&self`) and must time out by
/// themselves (the client also bounds each call with its own timer).
pub trait Transport: Send + Sync {
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send;
}

/// The TLS side of an [`HttpTransport`].
#[derive(Debug, Default)]
pub struct TlsSetup {
    /// Trusted CAs for the server: nothing else is trusted.
    pub ca: Vec<CertificateDer<'static>>,
    /// Client certificate for mutual TLS; `None` for server-auth TLS (CPx mode).
    pub identity: Option<ClientIdentity>,
}

/// Connection pool settings of an [`HttpTransport`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    /// Idle keep-alive connections kept per host: at least the number of concurrent callers,
    /// or the extra ones are closed after each exchange and reopened (a full TLS handshake).
    pub max_idle_per_host: usize,
    /// Offer HTTP/2 by ALPN (one multiplexed connection) instead of HTTP/1.1 only.
    pub http2: bool,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_idle_per_host: 64,
            http2: false,
        }
    }
}

/// The real transport.
#[derive(Clone, Debug)]
pub struct HttpTransport {
    client: reqwest::Client,
    own: OwnCertificate,
}

impl HttpTransport {
    /// Builds the client. `call_timeout` bounds one exchange; connecting gets half of it.
    pub fn new(tls: TlsSetup, call_timeout: Duration) -> Result<HttpTransport, ClientError> {
        Self::with_pool(tls, call_timeout, PoolOptions::default())
    }

    /// [`HttpTransport::new`] with pool settings (the load mode sizes the pool to its
    /// concurrency, RUST-STACK.md §6).
    pub fn with_pool(
        tls: TlsSetup,
        call_timeout: Duration,
        pool: PoolOptions,
    ) -> Result<HttpTransport, ClientError> {
        let setup = |text: String| ClientError::Setup(text);
        if tls.ca.is_empty() {
            return Err(setup(
                "no CA certificate given: pass the CA bundle with --ca".into(),
            ));
        }
        let mut roots = Vec::with_capacity(tls.ca.len());
        for der in &tls.ca {
            roots.push(
                reqwest::Certificate::from_der(der)
                    .map_err(|e| setup(format!("CA bundle: unusable certificate: {e}")))?,
            );
        }
        let mut builder = reqwest::Client::builder().tls_certs_only(roots);
        if !pool.http2 {
            builder = builder.http1_only();
        }
        builder = builder
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(pool.max_idle_per_host)
            .tcp_nodelay(true)
            // Connecting (TCP + TLS handshake) gets half of the call's time, so that a
            // silent host is reported as a connect-phase timeout, not a slow answer.
            .connect_timeout(call_timeout / 2)
            .timeout(call_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("insi-bench/", env!("CARGO_PKG_VERSION")));
        if let Some(identity) = &tls.identity {
            let id = reqwest::Identity::from_pem(identity.pem())
                .map_err(|e| setup(format!("client certificate: unusable key or chain: {e}")))?;
            builder = builder.identity(id);
        }
        let client = builder
            .build()
            .map_err(|e| setup(format!("cannot build the HTTPS client: {}", chain_text(&e))))?;
        let own = OwnCertificate::of(tls.identity.as_ref().map(|i| i.leaf().as_ref()));
        Ok(HttpTransport { client, own })
    }

    /// Connects to `url` and completes one HTTP exchange (a `GET`, no body, no INSi request):
    /// any HTTP status proves that TCP, the TLS handshake and the client certificate were
    /// accepted. Resolving a target calls it once, so that an unreachable host or a refused
    /// certificate is one setup error, not one failed call per case.
    pub async fn probe(&self, url: &str) -> Result<u16, TransportError> {
        let started = std::time::Instant::now();
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| classify(&e, started.elapsed(), &self.own))?;
        Ok(response.status().as_u16())
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let started = std::time::Instant::now();
        let mut response = self
            .client
            .post(&request.url)
            .header(reqwest::header::CONTENT_TYPE, request.content_type)
            .body(request.body)
            .send()
            .await
            .map_err(|e| classify(&e, started.elapsed(), &self.own))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(TransportError::Body {
                            detail: format!(
                                "response larger than {MAX_RESPONSE_BYTES} bytes: not an INSi \
                                 answer"
                            ),
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(if e.is_timeout() {
                        TransportError::Timeout {
                            phase: Phase::Exchange,
                            after_ms: millis(started.elapsed()),
                        }
                    } else {
                        TransportError::Body {
                            detail: chain_text(&e),
                        }
                    });
                }
            }
        }
        Ok(HttpResponse { status, body })
    }
}

impl Transport for HttpTransport {
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send {
        self.exchange(request)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The error and its sources on one line (`a <- b <- c`).
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(" <- ")
}

/// Maps a reqwest error to what a user can act on; `ours` is the client certificate we
/// presented (it tells which of our certificate's problems a server's alert means).
fn classify(err: &reqwest::Error, elapsed: Duration, ours: &OwnCertificate) -> TransportError {
    let detail = chain_text(err);
    if let Some(tls) = find_rustls(err) {
        return TransportError::Tls {
            failure: tls_failure(tls, ours, jiff::Timestamp::now()),
            detail,
        };
    }
    if err.is_timeout() {
        return TransportError::Timeout {
            phase: if err.is_connect() {
                Phase::Connect
            } else {
                Phase::Exchange
            },
            after_ms: millis(elapsed),
        };
    }
    if err.is_connect() {
        return TransportError::Connect { detail };
    }
    TransportError::Other { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_trust_nothing() {
        let err = HttpTransport::new(TlsSetup::default(), Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("--ca"), "{err}");
    }
}
