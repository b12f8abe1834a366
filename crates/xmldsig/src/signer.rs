//! Who signs: the [`Signer`] trait, and a software RSA key implementing it.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use zeroize::Zeroizing;

use crate::error::SignError;

/// Produces RSASSA-PKCS1-v1_5 SHA-256 signatures (`rsa-sha256`) and names its certificate.
///
/// A CPx card implements it (`cpx`: PSO HASH with the host-computed SHA-256, then PSO CDS);
/// [`RsaSoftwareSigner`] implements it with a key in memory. `sign` receives the exact bytes to
/// sign (the canonical `SignedInfo`), not a digest, so each implementation hashes as its
/// hardware wants. It must never prompt for or retry a PIN by itself.
pub trait Signer {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over `data`.
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError>;
    /// The DER X.509 certificate of the signing key, put in `KeyInfo`.
    fn certificate_der(&self) -> &[u8];
}

/// An RSA private key held in memory (aws-lc frees and wipes it on drop) with its certificate.
pub struct RsaSoftwareSigner {
    key: RsaKeyPair,
    cert_der: Vec<u8>,
    rng: SystemRandom,
}

impl std::fmt::Debug for RsaSoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("RsaSoftwareSigner")
            .field("modulus_bits", &(self.key.public_modulus_len() * 8))
            .finish_non_exhaustive()
    }
}

impl RsaSoftwareSigner {
    /// From a PKCS#8 DER private key and a DER certificate.
    pub fn from_pkcs8_der(pkcs8: &[u8], cert_der: Vec<u8>) -> Result<RsaSoftwareSigner, SignError> {
        let key = RsaKeyPair::from_pkcs8(pkcs8)
            .map_err(|e| SignError::Key(format!("not an RSA PKCS#8 key: {e}")))?;
        Ok(RsaSoftwareSigner {
            key,
            cert_der,
            rng: SystemRandom::new(),
        })
    }

    /// From a PEM `PRIVATE KEY` (PKCS#8) and a PEM `CERTIFICATE`.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<RsaSoftwareSigner, SignError> {
        let key = Zeroizing::new(pem_block(key_pem, "PRIVATE KEY").ok_or_else(|| {
            SignError::Key("no '-----BEGIN PRIVATE KEY-----' (PKCS#8) block in the key PEM".into())
        })?);
        let cert = pem_block(cert_pem, "CERTIFICATE").ok_or_else(|| {
            SignError::Key("no '-----BEGIN CERTIFICATE-----' block in the certificate PEM".into())
        })?;
        Self::from_pkcs8_der(&key, cert)
    }
}

/// The base64 body of the first PEM block with this label.
pub(crate) fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let body = Zeroizing::new(
        pem[start..stop]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>(),
    );
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .ok()
}

impl Signer for RsaSoftwareSigner {
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, data, &mut sig)
            .map_err(|e| SignError::Signer(e.to_string()))?;
        Ok(sig)
    }

    fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }
}
