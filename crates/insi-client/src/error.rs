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

/// Why a TLS handshake failed, as far as it can be told from our side.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum TlsFailure {
    /// The server does not trust the CA of our client certificate (alert `unknown_ca`).
    ServerRejectedOurCa,
    /// The server wanted a client certificate and got none (alert `certificate_required` or
    /// `handshake_failure` right after the client's Finished).
    ClientCertificateRequired,
    /// Our client certificate has expired (checked before sending, or alert
    /// `certificate_expired`).
    ClientCertificateExpired {
        not_after: Option<String>,
    },
    /// The server refused our certificate for another reason (alert `bad_certificate`,
    /// `certificate_revoked`, …).
    ClientCertificateRefused {
        alert: String,
    },
    /// The server's certificate does not chain to the configured CA bundle.
    ServerUntrusted,
    /// The server's certificate has expired or is not yet valid.
    ServerCertificateExpired,
    /// The server's certificate is not valid for the host name in the URL.
    ServerNameMismatch,
    Other,
}

/// A failure with no SOAP answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum TransportError {
    #[error("timed out during the {phase:?} phase after {after_ms} ms")]
    Timeout { phase: Phase, after_ms: u64 },
    #[error("cannot connect: {detail}")]
    Connect { detail: String },
    #[error("TLS handshake failed: {detail}")]
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
        TlsFailure::ClientCertificateRefused { alert } => format!(
            "the server refused your client certificate ({alert}): most often it was not \
             issued by a CA the server trusts (INSi: IGC-Santé establishment certificates \
             only); check it with `insi-bench cert inspect` (issuer, validity, key usage)"
        ),
        TlsFailure::ServerUntrusted => "the server's certificate does not chain to your CA \
            bundle (--ca): for the real service use the IGC-Santé ELEMENTAIRE root and \
            ORGANISATIONS certificates; for a standalone simulator, its CA"
            .into(),
        TlsFailure::ServerCertificateExpired => "the server's certificate is expired or not \
            yet valid: check this machine's clock"
            .into(),
        TlsFailure::ServerNameMismatch => "the server's certificate does not name the host in \
            the URL: check the URL"
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
