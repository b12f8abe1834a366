//! TLS for the two hosts (INSI-PROTOCOL.md §1.3, §2.5.1) and the peer identity taken from the
//! handshake.
//!
//! - `mtls` host: a client certificate is *required*, must chain to the configured CA, be
//!   within its validity, have the `clientAuth` extended key usage (webpki) and, when it has a
//!   key usage extension, `digitalSignature` ([`EstablishmentVerifier`]); otherwise the
//!   handshake ends with the alert a TLS server sends for it (`certificate_required`,
//!   `unknown_ca`, `certificate_expired`, `unsupported_certificate`), as on the real `*-tlsm`
//!   host. The CN check (DESIR_560) happens later, in SOAP, because the real service answers it
//!   with a fault.
//! - `cpx` host: server authentication only; the caller is authenticated by the PS assertion.
//! - Both hosts speak TLS 1.2 and 1.3 only: a client offering TLS 1.0/1.1 gets
//!   `protocol_version`.
//!
//! [`accept`] runs the server side of a handshake and says what it refused (the alert sent and
//! why), for the one line the server logs; `docs/tls.md` has the whole matrix.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig,
    SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

/// Which host a listener plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostMode {
    /// Mutual TLS with an establishment certificate (CN INSI-AUTO / INSI-MANU).
    Mtls,
    /// Server-auth TLS; a signed PS assertion in `wsse:Security`.
    Cpx,
}

impl HostMode {
    pub fn as_str(self) -> &'static str {
        match self {
            HostMode::Mtls => "mtls",
            HostMode::Cpx => "cpx",
        }
    }
}

/// The client certificate's subject, attached to every request of a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The whole subject DN (RFC 4514 text), empty without a client certificate.
    pub subject: String,
    pub cn: Option<String>,
    /// The OU: the structure identifier clients send as `Emetteur`.
    pub ou: Option<String>,
}

/// PEM material for the server side.
#[derive(Clone, Debug)]
pub struct ServerTls {
    /// The CA client certificates must chain to (mtls host).
    pub client_ca_pem: String,
    /// Server certificate (and chain), PEM.
    pub cert_pem: String,
    /// Server private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: zeroize::Zeroizing<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{what}: no PEM {kind} found ({detail})")]
    Pem {
        what: &'static str,
        kind: &'static str,
        detail: String,
    },
    #[error("TLS configuration: {0}")]
    Rustls(String),
}

fn certs(what: &'static str, pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem {
            what,
            kind: "certificate",
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            what,
            kind: "certificate",
            detail: "the text holds no CERTIFICATE block".into(),
        });
    }
    Ok(certs)
}

/// The rustls configuration of one host.
pub fn server_config(tls: &ServerTls, mode: HostMode) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = certs("server certificate", &tls.cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).map_err(|e| TlsError::Pem {
        what: "server key",
        kind: "private key",
        detail: e.to_string(),
    })?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    let mut config = match mode {
        HostMode::Mtls => {
            let mut roots = rustls::RootCertStore::empty();
            for ca in certs("client CA", &tls.client_ca_pem)? {
                roots
                    .add(ca)
                    .map_err(|e| TlsError::Rustls(format!("client CA: {e}")))?;
            }
            let webpki = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Rustls(e.to_string()))?;
            builder
                .with_client_cert_verifier(Arc::new(EstablishmentVerifier { webpki }))
                .with_single_cert(chain, key)
        }
        HostMode::Cpx => builder.with_no_client_auth().with_single_cert(chain, key),
    }
    .map_err(|e| TlsError::Rustls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Reads the subject of the first peer certificate, if any.
pub fn peer_identity(certs: Option<&[CertificateDer<'_>]>) -> PeerIdentity {
    let Some(leaf) = certs.and_then(|c| c.first()) else {
        return PeerIdentity::default();
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) else {
        return PeerIdentity::default();
    };
    let subject = cert.subject();
    let first = |it: &mut dyn Iterator<Item = &x509_parser::x509::AttributeTypeAndValue<'_>>| {
        it.next().and_then(|a| a.as_str().ok()).map(str::to_owned)
    };
    PeerIdentity {
        subject: subject.to_string(),
        cn: first(&mut subject.iter_common_name()),
        ou: first(&mut subject.iter_organizational_unit()),
    }
}

/// The mTLS host's client certificate check: webpki (chain, validity, `clientAuth` extended key
/// usage), then the key usage webpki does not look at. A certificate whose key usage extension
/// lacks `digitalSignature` cannot sign the handshake (RFC 5280 §4.2.1.3): OpenSSL's and Java's
/// TLS servers refuse it with `unsupported_certificate`, and so does this one **[G: the real
/// service's TLS stack is not public]**. A certificate without the extension is not limited.
#[derive(Debug)]
struct EstablishmentVerifier {
    webpki: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for EstablishmentVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.webpki.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self
            .webpki
            .verify_client_cert(end_entity, intermediates, now)?;
        let (_, cert) = x509_parser::parse_x509_certificate(end_entity.as_ref())
            .map_err(|_| CertificateError::BadEncoding)?;
        match cert.key_usage() {
            Ok(Some(ku)) if !ku.value.digital_signature() => {
                // The bare `InvalidPurpose` is ours alone (webpki reports extended key usage
                // with `InvalidPurposeContext`): [`refusal`] tells the two apart by it.
                Err(CertificateError::InvalidPurpose.into())
            }
            Ok(_) => Ok(verified),
            Err(_) => Err(CertificateError::BadEncoding.into()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A handshake the server refused: the alert it sent and why, for its log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The TLS name of the alert sent (`unknown_ca`).
    pub alert: String,
    /// What was refused, for the publisher reading the log.
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (alert {})", self.reason, self.alert)
    }
}

/// Why [`accept`] gave no connection.
#[derive(Debug)]
pub enum HandshakeError {
    /// The server refused the client: its certificate or its TLS version (an alert was sent).
    Refused(Refusal),
    /// Anything else: the client hung up, spoke no TLS, or refused the server's certificate.
    Failed(std::io::Error),
}

/// The server side of a handshake. A ClientHello offering at most TLS 1.1 is answered here with
/// `protocol_version`, as TLS servers do (RFC 5246 Appendix E.1; OpenSSL, Java): rustls would
/// end it with a bare `handshake_failure` (it finds no cipher suite in common), which tells the
/// client nothing.
pub async fn accept(
    acceptor: &tokio_rustls::TlsAcceptor,
    mut tcp: tokio::net::TcpStream,
) -> Result<tokio_rustls::server::TlsStream<tokio::net::TcpStream>, HandshakeError> {
    let mut head = [0u8; 11];
    // Peeked, not read: rustls reads the same bytes. The first segment holds the record header
    // and the start of the ClientHello; anything shorter is left to rustls.
    let peeked = tcp.peek(&mut head).await.map_err(HandshakeError::Failed)?;
    if let Some(offered) = old_tls_offered(&head[..peeked]) {
        use tokio::io::AsyncWriteExt as _;
        // A fatal (2) protocol_version (70) alert record, in the client's record version.
        let alert = [21, 3, head[10], 0, 2, 2, 70];
        let _ = tcp.write_all(&alert).await;
        let _ = tcp.shutdown().await;
        return Err(HandshakeError::Refused(Refusal {
            alert: "protocol_version".into(),
            reason: format!(
                "client offered {offered} at most; this host speaks TLS 1.2 and 1.3 only"
            ),
        }));
    }
    acceptor.accept(tcp).await.map_err(|e| match refusal(&e) {
        Some(r) => HandshakeError::Refused(r),
        None => HandshakeError::Failed(e),
    })
}

/// The highest version a TLS ≤ 1.1 ClientHello offers, from the first bytes of the connection:
/// record type 22 (handshake), handshake type 1 (ClientHello) at byte 5, its `client_version`
/// at bytes 9–10 (TLS 1.3 clients write 3.3 there too, and list 1.3 in an extension).
fn old_tls_offered(head: &[u8]) -> Option<&'static str> {
    match head {
        [22, _, _, _, _, 1, _, _, _, 3, minor, ..] => match minor {
            0 => Some("SSL 3.0"),
            1 => Some("TLS 1.0"),
            2 => Some("TLS 1.1"),
            _ => None,
        },
        _ => None,
    }
}

/// What a failed rustls handshake refused, or `None` when it was no refusal of ours (the client hung
/// up, sent something that is not TLS, or refused *our* certificate).
pub fn refusal(err: &std::io::Error) -> Option<Refusal> {
    let tls = err.get_ref()?.downcast_ref::<rustls::Error>()?;
    let date = |t: &UnixTime| {
        i64::try_from(t.as_secs())
            .ok()
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map_or_else(|| format!("{} (UNIX)", t.as_secs()), |t| t.to_string())
    };
    let (alert, reason) = match tls {
        rustls::Error::NoCertificatesPresented => (
            AlertDescription::CertificateRequired,
            "no client certificate: this host requires an establishment certificate (CN \
             INSI-AUTO or INSI-MANU)"
                .to_owned(),
        ),
        rustls::Error::InvalidCertificate(cert) => {
            let reason = match cert {
                CertificateError::UnknownIssuer => {
                    "client certificate not issued under a CA this host trusts".to_owned()
                }
                CertificateError::ExpiredContext { not_after, .. } => {
                    format!("client certificate expired on {}", date(not_after))
                }
                CertificateError::NotValidYetContext { not_before, .. } => {
                    format!("client certificate not valid before {}", date(not_before))
                }
                CertificateError::InvalidPurposeContext { presented, .. } => format!(
                    "client certificate not for client authentication: extended key usage {} \
                     lacks clientAuth",
                    if presented.is_empty() {
                        "(empty)".to_owned()
                    } else {
                        presented
                            .iter()
                            .map(purpose_name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
                CertificateError::InvalidPurpose => "client certificate key usage lacks \
                    digitalSignature: not an authentication certificate"
                    .to_owned(),
                other => format!("client certificate refused: {other}"),
            };
            (AlertDescription::from(cert.clone()), reason)
        }
        _ => return None,
    };
    Some(Refusal {
        alert: alert_name(alert),
        reason,
    })
}

/// An extended key usage as RFC 5280 names it (`serverAuth`), or its OID.
fn purpose_name(purpose: &rustls::ExtendedKeyPurpose) -> String {
    match purpose {
        rustls::ExtendedKeyPurpose::ClientAuth => "clientAuth".to_owned(),
        rustls::ExtendedKeyPurpose::ServerAuth => "serverAuth".to_owned(),
        rustls::ExtendedKeyPurpose::Other(arcs) => arcs
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// The TLS name of an alert (`bad_certificate`), from rustls' `BadCertificate`.
fn alert_name(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::UnknownCA => "unknown_ca".to_owned(),
        other => {
            let mut name = String::new();
            for (i, c) in format!("{other:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    name.push('_');
                }
                name.push(c.to_ascii_lowercase());
            }
            name
        }
    }
}
