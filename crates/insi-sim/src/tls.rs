//! TLS for the two hosts (INSI-PROTOCOL.md §1.3, §2.5.1) and the peer identity taken from the
//! handshake.
//!
//! - `mtls` host: a client certificate is *required* and must chain to the configured CA;
//!   otherwise the handshake fails (`CertificateRequired`, `UnknownCA`), as on the real
//!   `*-tlsm` host. The CN check (DESIR_560) happens later, in SOAP, because the real service
//!   answers it with a fault.
//! - `cpx` host: server authentication only; the caller is authenticated by the PS assertion.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

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
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Rustls(e.to_string()))?;
            builder
                .with_client_cert_verifier(verifier)
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
