//! Errors of the client, each with advice: what happened and what to do about it
//! (DESIGN.md "typed errors"; fault codes from INSI-PROTOCOL.md §4.2).

use std::time::Duration;

use crate::cert::CertError;
use crate::config::ConfigError;
use crate::guard::GuardRefusal;

/// The phase a timeout hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Opening the TCP connection and the TLS handshake.
    Connect,
    /// Sending the request and reading the response.
    Exchange,
    /// The overall deadline of a search.
    Deadline,
}

/// Why a TLS handshake failed, as far as it can be told from our side (rustls' error, the alert
/// the server sent, and what we know of our own certificate: `handshake.rs`). Each kind has its
/// own message (`Display`: what was wrong) and advice (what to do); `docs/tls.md` has the matrix.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum TlsFailure {
    /// The server does not trust the CA of our client certificate (alert `unknown_ca`).
    ServerRejectedOurCa,
    /// The server wanted a client certificate and got none (alert `certificate_required`, or
    /// `handshake_failure` when we had none to give).
    ClientCertificateRequired,
    /// Our client certificate has expired (checked before sending, or alert
    /// `certificate_expired` while our certificate is past its end date).
    ClientCertificateExpired {
        not_after: Option<String>,
    },
    /// Our client certificate is not valid yet (alert `certificate_expired`, which TLS also
    /// sends for "not yet valid", while our certificate starts in the future).
    ClientCertificateNotYetValid {
        not_before: String,
    },
    /// The server refused the key usage of our certificate (alert `unsupported_certificate`):
    /// not an authentication certificate (no `digitalSignature`, or no `clientAuth`).
    ClientCertificateWrongUsage,
    /// The server refused our certificate for another reason (alert `bad_certificate`,
    /// `certificate_revoked`, …).
    ClientCertificateRefused {
        alert: String,
    },
    /// The server's certificate does not chain to the configured CA bundle.
    ServerUntrusted,
    /// The server's certificate has expired (its end date when rustls gave it).
    ServerCertificateExpired {
        not_after: Option<String>,
    },
    /// The server's certificate is not valid yet (its start date when rustls gave it).
    ServerCertificateNotYetValid {
        not_before: Option<String>,
    },
    /// The server's certificate is not valid for the host name in the URL.
    ServerNameMismatch {
        /// The host of the URL.
        expected: Option<String>,
        /// The names the certificate holds (DNS and IP SANs).
        presented: Vec<String>,
    },
    /// The server's certificate is not for TLS servers (its extended key usage lacks
    /// `serverAuth`).
    ServerWrongUsage,
    /// No TLS version in common: the server speaks only TLS 1.1 or older (we offer 1.2 and 1.3).
    ProtocolVersion,
    Other,
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsFailure::ServerRejectedOurCa => f.write_str(
                "the server does not trust the CA that issued your client certificate (alert \
                 unknown_ca)",
            ),
            TlsFailure::ClientCertificateRequired => {
                f.write_str("the server requires a client certificate and none was presented")
            }
            TlsFailure::ClientCertificateExpired { not_after: Some(d) } => {
                write!(f, "your client certificate expired on {d}")
            }
            TlsFailure::ClientCertificateExpired { not_after: None } => {
                f.write_str("your client certificate has expired (alert certificate_expired)")
            }
            TlsFailure::ClientCertificateNotYetValid { not_before } => write!(
                f,
                "your client certificate is not valid before {not_before} (alert \
                 certificate_expired)"
            ),
            TlsFailure::ClientCertificateWrongUsage => f.write_str(
                "the server refused your client certificate's key usage (alert \
                 unsupported_certificate)",
            ),
            TlsFailure::ClientCertificateRefused { alert } => {
                write!(
                    f,
                    "the server refused your client certificate (alert {alert})"
                )
            }
            TlsFailure::ServerUntrusted => f.write_str(
                "the server's certificate does not chain to a CA of your bundle (unknown issuer)",
            ),
            TlsFailure::ServerCertificateExpired { not_after: Some(d) } => {
                write!(f, "the server's certificate expired on {d}")
            }
            TlsFailure::ServerCertificateExpired { not_after: None } => {
                f.write_str("the server's certificate has expired")
            }
            TlsFailure::ServerCertificateNotYetValid {
                not_before: Some(d),
            } => {
                write!(f, "the server's certificate is not valid before {d}")
            }
            TlsFailure::ServerCertificateNotYetValid { not_before: None } => {
                f.write_str("the server's certificate is not valid yet")
            }
            TlsFailure::ServerNameMismatch {
                expected,
                presented,
            } => write!(
                f,
                "the server's certificate is for {}, not {}",
                if presented.is_empty() {
                    "no host name".to_owned()
                } else {
                    presented.join(", ")
                },
                expected.as_deref().unwrap_or("the host of the URL")
            ),
            TlsFailure::ServerWrongUsage => f.write_str(
                "the server's certificate is not a TLS server certificate (its extended key \
                 usage lacks serverAuth)",
            ),
            TlsFailure::ProtocolVersion => f.write_str(
                "no TLS version in common: the server speaks only TLS 1.1 or older, insi-bench \
                 TLS 1.2 and 1.3",
            ),
            TlsFailure::Other => f.write_str("the TLS handshake failed"),
        }
    }
}

/// A failure with no SOAP answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum TransportError {
    #[error("timed out during the {phase:?} phase after {after_ms} ms")]
    Timeout { phase: Phase, after_ms: u64 },
    #[error("cannot connect: {detail}")]
    Connect { detail: String },
    #[error("TLS handshake failed: {failure} ({detail})")]
    Tls { failure: TlsFailure, detail: String },
    #[error("response body: {detail}")]
    Body { detail: String },
    #[error("HTTP exchange failed: {detail}")]
    Other { detail: String },
}

impl TransportError {
    /// Worth another try a moment later (DESIGN: authentication failures are not).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, TransportError::Tls { .. })
    }

    pub fn advice(&self) -> String {
        match self {
            TransportError::Timeout {
                phase: Phase::Connect,
                ..
            } => "the server did not answer the connection: check the URL, your network and \
                  any proxy or firewall (INSi listens on port 443)"
                .into(),
            TransportError::Timeout { .. } => "the service accepted the connection but did not \
                answer in time: try later, or raise --timeout"
                .into(),
            TransportError::Connect { .. } => "check the URL and that the service (or the \
                standalone simulator) is running and reachable"
                .into(),
            TransportError::Tls { failure, .. } => tls_advice(failure),
            TransportError::Body { .. } | TransportError::Other { .. } => {
                "try again; if it persists, keep the trace (--trace-dir) for support".into()
            }
        }
    }
}

fn tls_advice(failure: &TlsFailure) -> String {
    match failure {
        TlsFailure::ServerRejectedOurCa => "the server does not trust the CA that issued your \
            client certificate (UnknownCA): INSi takes only IGC-Santé establishment certificates \
            (TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS in qualification); check the \
            certificate with `insi-bench cert inspect`"
            .into(),
        TlsFailure::ClientCertificateRequired => "the server requires a client certificate: \
            give --cert and --key, or --p12 (mTLS environments)"
            .into(),
        TlsFailure::ClientCertificateExpired { not_after } => format!(
            "your client certificate expired{}: order a new one from IGC-Santé",
            not_after
                .as_ref()
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        ),
        TlsFailure::ClientCertificateNotYetValid { not_before } => format!(
            "your client certificate starts on {not_before}: keep using the current one until \
             then, or check this machine's clock (`insi-bench cert inspect` shows the dates)"
        ),
        TlsFailure::ClientCertificateWrongUsage => "give the establishment's client \
            authentication certificate (key usage digitalSignature, extended key usage \
            clientAuth), not a signature or encryption one; check with `insi-bench cert inspect`"
            .into(),
        TlsFailure::ClientCertificateRefused { alert } => format!(
            "the server refused your client certificate ({alert}): most often it was not \
             issued by a CA the server trusts (INSi: IGC-Santé establishment certificates \
             only); check it with `insi-bench cert inspect` (issuer, validity, key usage)"
        ),
        TlsFailure::ServerUntrusted => "the server's certificate does not chain to your CA \
            bundle (--ca): for the real service use the IGC-Santé ELEMENTAIRE root and \
            ORGANISATIONS certificates; for a standalone simulator, its CA"
            .into(),
        TlsFailure::ServerCertificateExpired { .. } => "if this machine's clock is right, the \
            server's certificate has lapsed: check the URL; for a standalone simulator \
            regenerate its PKI (scripts/gen-test-pki); never work around it"
            .into(),
        TlsFailure::ServerCertificateNotYetValid { .. } => "check this machine's clock (date \
            and time zone): the server's certificate starts later than this machine's now"
            .into(),
        TlsFailure::ServerNameMismatch { .. } => "check the host of the URL: it must be a name \
            the server's certificate holds (INSi: the host names of docs/client.md); a proxy \
            that intercepts TLS also gives this"
            .into(),
        TlsFailure::ServerWrongUsage => "the server presents a certificate that is not for \
            TLS servers: check the URL (it may lead to another service); for a standalone \
            simulator regenerate its PKI (scripts/gen-test-pki)"
            .into(),
        TlsFailure::ProtocolVersion => "INSi needs TLS 1.2 or later and insi-bench never \
            offers TLS 1.0/1.1: check the URL, or a proxy or TLS inspection box in between"
            .into(),
        TlsFailure::Other => "check the CA bundle (--ca) and the client certificate".into(),
    }
}

/// Advice for a SOAP fault detail code or subcode, when we know one.
pub fn fault_advice(code: &str) -> Option<&'static str> {
    Some(match code.to_ascii_lowercase().as_str() {
        "desir_560" => {
            "insufficient access level: the establishment certificate's CN must be exactly \
             INSI-AUTO or INSI-MANU; check it with `insi-bench cert inspect`"
        }
        "desir_550" | "siram_100" => {
            "unknown IDAM: the software's CNDA authorisation number is not known to the \
             service; check [lps] idam in the configuration (or INSI_BENCH_IDAM / --idam)"
        }
        "desir_1020" => {
            "the service is temporarily unavailable; it was retried with backoff, try again \
             later"
        }
        "insisim_assertion" => {
            "the PS assertion was refused (the simulator's code; the real service's is not \
             public): the signature certificate must chain to the CPx CA the service trusts and \
             the assertion must be fresh"
        }
        "insi_102" => {
            "technical error of the trait search on the service side; try again later (CNDA \
             2.03 cas 3 expects this answer)"
        }
        _ => return None,
    })
}

/// Everything that can go wrong in the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Guard(#[from] GuardRefusal),
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot set up the HTTPS client: {0}")]
    Setup(String),
    /// The PS assertion could not be signed (CPx card pulled or reset, pcscd stopped…):
    /// nothing was sent.
    #[error("no PS assertion, nothing was sent: {0}")]
    Assertion(crate::AssertionError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("the overall deadline of {} s was reached before an answer", .0.as_secs_f64())]
    Deadline(Duration),
    #[error("HTTP {status} with no SOAP answer: {excerpt}")]
    Http { status: u16, excerpt: String },
    #[error("unreadable response: {0}")]
    Decode(String),
    #[error("the verification needs the identity's {0}")]
    Missing(&'static str),
}

impl ClientError {
    /// What to do about it.
    pub fn advice(&self) -> String {
        match self {
            ClientError::Guard(g) => g.advice().into(),
            ClientError::Cert(_) => "check the file, its format (PEM, DER or PKCS#12) and \
                its password"
                .into(),
            ClientError::Config(_) | ClientError::Setup(_) => {
                "fix the configuration (file, INSI_BENCH_* variables or flags)".into()
            }
            ClientError::Assertion(_) => "the signer of the PS assertion (the CPx card, or the \
                software key) failed: act on the error (re-insert the card, restart pcscd…), then \
                run the command again; the card's PIN is asked again"
                .into(),
            ClientError::Transport(t) => t.advice(),
            ClientError::Deadline(_) => {
                "the service is slow or unavailable: try later, or raise --deadline".into()
            }
            ClientError::Http { status, .. } if *status == 404 => {
                "the URL path is wrong: INSi listens on /lps".into()
            }
            ClientError::Http { .. } | ClientError::Decode(_) => {
                "the endpoint did not answer like INSi: check the URL; keep the trace \
                 (--trace-dir) for support"
                    .into()
            }
            ClientError::Missing(_) => "give every stored trait".into(),
        }
    }
}
