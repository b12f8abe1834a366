//! Reading certificates and client identities from PEM, DER and PKCS#12 files.
//!
//! Establishment certificates come from IGC-Santé as PKCS#12 (`.p12`), often with legacy
//! 3DES/RC2 encryption (hence p12-keystore's `pbes1` feature), or as PEM key + chain. Either way
//! the client ends with one in-memory PEM buffer (PKCS#8 key, then leaf, then chain) for
//! `reqwest::Identity::from_pem`; that buffer and the password are zeroised on drop.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

/// Files larger than this are not certificates: refuse them before parsing.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// A PKCS#12 password. Never printed, zeroised on drop.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(text: String) -> Password {
        Password(Zeroizing::new(text))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// How a certificate file was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Pem,
    Der,
    Pkcs12,
}

/// What a certificate file holds: certificates (leaf first when a key is present) and maybe a
/// private key (PKCS#8/PKCS#1/SEC1 DER, zeroised).
pub struct CertificateFile {
    pub format: FileFormat,
    pub certs: Vec<CertificateDer<'static>>,
    key: Option<PrivateKeyDer<'static>>,
}

impl fmt::Debug for CertificateFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateFile")
            .field("format", &self.format)
            .field("certs", &self.certs.len())
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Errors reading certificates and keys.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is {size} bytes: too large for a certificate file (limit 1 MiB)")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{0}: no certificate found (expected PEM, DER or PKCS#12)")]
    NoCertificate(String),
    #[error("{what}: not a readable certificate: {reason}")]
    BadCertificate { what: String, reason: String },
    #[error(
        "{0} looks like a PKCS#12 file: give its password in the environment variable named by \
         --p12-password-env (default INSI_BENCH_P12_PASSWORD) or type it at the prompt"
    )]
    PasswordNeeded(String),
    #[error(
        "{0}: cannot open the PKCS#12 file: wrong password, or a damaged file ({1}); check the \
         password you were given with the certificate"
    )]
    Pkcs12(String, String),
    #[error("{0}: the PKCS#12 file holds no private key with its certificate")]
    Pkcs12NoKey(String),
    #[error("{0}: no private key found (expected a PEM PKCS#8, PKCS#1 or SEC1 key)")]
    NoKey(String),
}

fn read_limited(path: &Path) -> Result<Vec<u8>, CertError> {
    let read_err = |source| CertError::Read {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(CertError::TooLarge {
            path: path.to_owned(),
            size,
        });
    }
    std::fs::read(path).map_err(read_err)
}

impl CertificateFile {
    /// Reads a file; `password` is needed only for PKCS#12.
    pub fn read(path: &Path, password: Option<&Password>) -> Result<CertificateFile, CertError> {
        let bytes = Zeroizing::new(read_limited(path)?);
        CertificateFile::parse(&bytes, &path.display().to_string(), password)
    }

    /// Parses bytes; `what` names them in errors.
    pub fn parse(
        bytes: &[u8],
        what: &str,
        password: Option<&Password>,
    ) -> Result<CertificateFile, CertError> {
        if looks_like_pem(bytes) {
            let certs = CertificateDer::pem_slice_iter(bytes)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CertError::BadCertificate {
                    what: what.to_owned(),
                    reason: e.to_string(),
                })?;
            let key = PrivateKeyDer::from_pem_slice(bytes).ok();
            if certs.is_empty() && key.is_none() {
                return Err(CertError::NoCertificate(what.to_owned()));
            }
            return Ok(CertificateFile {
                format: FileFormat::Pem,
                certs,
                key,
            });
        }
        if x509_parser::parse_x509_certificate(bytes).is_ok() {
            return Ok(CertificateFile {
                format: FileFormat::Der,
                certs: vec![CertificateDer::from(bytes.to_vec())],
                key: None,
            });
        }
        // Both DER certificates and PKCS#12 files are an ASN.1 SEQUENCE; what is not a
        // certificate is tried as PKCS#12.
        if bytes.first() != Some(&0x30) {
            return Err(CertError::NoCertificate(what.to_owned()));
        }
        let password = password.ok_or_else(|| CertError::PasswordNeeded(what.to_owned()))?;
        let store = p12_keystore::KeyStore::from_pkcs12(
            bytes,
            password.expose(),
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|e| CertError::Pkcs12(what.to_owned(), e.to_string()))?;
        match store.private_key_chain() {
            Some((_, chain)) if !chain.certs().is_empty() => Ok(CertificateFile {
                format: FileFormat::Pkcs12,
                certs: chain
                    .certs()
                    .iter()
                    .map(|c| CertificateDer::from(c.as_der().to_vec()))
                    .collect(),
                key: Some(PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into())),
            }),
            _ => {
                let certs: Vec<_> = store
                    .entries()
                    .filter_map(|(_, entry)| match entry {
                        p12_keystore::KeyStoreEntry::Certificate(c) => {
                            Some(CertificateDer::from(c.as_der().to_vec()))
                        }
                        _ => None,
                    })
                    .collect();
                if certs.is_empty() {
                    Err(CertError::Pkcs12NoKey(what.to_owned()))
                } else {
                    Ok(CertificateFile {
                        format: FileFormat::Pkcs12,
                        certs,
                        key: None,
                    })
                }
            }
        }
    }

    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// The leaf certificate (the first one).
    pub fn leaf(&self) -> Option<&CertificateDer<'static>> {
        self.certs.first()
    }

    /// Turns this file into a client identity, taking the key from `key_file` when the
    /// certificate file has none.
    pub fn into_identity(
        self,
        what: &str,
        key_file: Option<CertificateFile>,
    ) -> Result<ClientIdentity, CertError> {
        let key = match (self.key, key_file.and_then(|k| k.key)) {
            (_, Some(key)) | (Some(key), None) => key,
            (None, None) => return Err(CertError::NoKey(what.to_owned())),
        };
        let leaf = self
            .certs
            .first()
            .cloned()
            .ok_or_else(|| CertError::NoCertificate(what.to_owned()))?;
        let mut pem = Zeroizing::new(Vec::new());
        let label = match &key {
            PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
            PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        push_pem(&mut pem, label, key.secret_der());
        for cert in &self.certs {
            push_pem(&mut pem, "CERTIFICATE", cert);
        }
        Ok(ClientIdentity {
            pem,
            leaf,
            chain_len: self.certs.len(),
        })
    }
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn push_pem(out: &mut Vec<u8>, label: &str, der: &[u8]) {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    out.extend_from_slice(format!("-----BEGIN {label}-----\n").as_bytes());
    for line in b64.as_bytes().chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(format!("-----END {label}-----\n").as_bytes());
}

/// A client certificate with its key, ready for mutual TLS.
pub struct ClientIdentity {
    pem: Zeroizing<Vec<u8>>,
    leaf: CertificateDer<'static>,
    chain_len: usize,
}

impl ClientIdentity {
    /// Reads `--cert F --key F` (PEM; the key may also sit in the certificate file).
    pub fn from_pem_files(cert: &Path, key: Option<&Path>) -> Result<ClientIdentity, CertError> {
        let certs = CertificateFile::read(cert, None)?;
        let key_file = key.map(|k| CertificateFile::read(k, None)).transpose()?;
        certs.into_identity(&cert.display().to_string(), key_file)
    }

    /// Reads `--p12 F` with its password.
    pub fn from_pkcs12_file(path: &Path, password: &Password) -> Result<ClientIdentity, CertError> {
        CertificateFile::read(path, Some(password))?
            .into_identity(&path.display().to_string(), None)
    }

    /// PEM text of a key and its chain (what the simulator hands out).
    pub fn from_pem(key_and_chain: &[u8]) -> Result<ClientIdentity, CertError> {
        CertificateFile::parse(key_and_chain, "client identity", None)?
            .into_identity("client identity", None)
    }

    /// The PEM buffer for `reqwest::Identity::from_pem` (key first, then chain).
    pub fn pem(&self) -> &[u8] {
        &self.pem
    }

    pub fn leaf(&self) -> &CertificateDer<'static> {
        &self.leaf
    }

    pub fn chain_len(&self) -> usize {
        self.chain_len
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("chain_len", &self.chain_len)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Reads a CA bundle (PEM with one or more certificates, or one DER certificate).
pub fn read_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let file = CertificateFile::read(path, None)?;
    if file.certs.is_empty() {
        return Err(CertError::NoCertificate(path.display().to_string()));
    }
    Ok(file.certs)
}

/// Parses CA certificates from PEM text.
pub fn parse_ca_pem(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let file = CertificateFile::parse(pem, what, None)?;
    if file.certs.is_empty() {
        return Err(CertError::NoCertificate(what.to_owned()));
    }
    Ok(file.certs)
}
