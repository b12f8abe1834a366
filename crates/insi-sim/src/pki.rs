//! The test PKI: a fake root CA, the simulator's server certificate, the establishment
//! certificates INSi's mTLS host expects (INSI-PROTOCOL.md §2.5.1), certificates that must be
//! refused, and a CPx-side CA with a PS signature certificate for assertions (§2.5.2).
//!
//! Everything is generated with rcgen, in memory ([`TestPki::generate`]) or written to a
//! directory ([`TestPki::write_to`], used by `scripts/gen-test-pki` for `testdata/pki/`).
//! Every subject carries `O=… NOT FOR PRODUCTION` so that nobody mistakes it for IGC-Santé.
//!
//! TLS keys are ECDSA P-256 (fast to generate, accepted by every TLS stack); the PS signature key
//! is RSA-2048 because INSi assertions are signed RSA-SHA256.

use std::fs;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use zeroize::Zeroizing;

/// Name of the root CA of the test PKI.
pub const CA_NAME: &str = "TEST AC RACINE INSI-BENCH";
/// Name of the CPx-side test CA (the one whose certificates a test CPS card carries).
pub const CPX_CA_NAME: &str = "TEST AC INSI-BENCH CPX";
/// Password of every PKCS#12 file of the test PKI.
pub const PKCS12_PASSWORD: &str = "insi-bench";
/// Structure identifier put in the OU of the establishment certificates; clients send it as
/// `Emetteur` (INSI-PROTOCOL.md §2.3).
pub const STRUCTURE_ID: &str = "TESTBENCH01";
/// PS identifier (CN / NameID) of the test PS signature certificate.
pub const PS_ID: &str = "899900000017";
/// Organisation of every test subject: the marker that makes the PKI obviously fake.
pub const ORGANISATION: &str = "INSI-BENCH TEST - NOT FOR PRODUCTION";

const BANNER: &str =
    "# insi-bench TEST PKI - NOT FOR PRODUCTION - regenerate with scripts/gen-test-pki\n";

/// A certificate (PEM) and its private key (PKCS#8 PEM, zeroised on drop).
#[derive(Clone)]
pub struct Credential {
    pub cert_pem: String,
    pub key_pem: Zeroizing<String>,
    /// The issuing CA's certificate (PEM), for chains and PKCS#12 files; empty for a root.
    pub issuer_pem: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// The whole test PKI.
#[derive(Clone, Debug)]
pub struct TestPki {
    /// Root CA "TEST AC RACINE INSI-BENCH": signs the server and the establishment certificates.
    pub ca: Credential,
    /// Server certificate for `localhost` and `127.0.0.1`.
    pub server: Credential,
    /// Establishment certificate `CN=INSI-AUTO` (unattended calls).
    pub insi_auto: Credential,
    /// Establishment certificate `CN=INSI-MANU` (user-triggered calls).
    pub insi_manu: Credential,
    /// Chains to the CA but has a CN the mTLS host refuses (DESIR_560).
    pub wrong_cn: Credential,
    /// An unrelated CA, and a client certificate `CN=INSI-AUTO` it signed: refused at TLS level.
    pub foreign_ca: Credential,
    pub foreign_client: Credential,
    /// CPx-side CA "TEST AC INSI-BENCH CPX" and a PS signature certificate (RSA-2048) it signed.
    pub cpx_ca: Credential,
    pub cpx_ps: Credential,
}

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("PKCS#12 export failed: {0}")]
    Pkcs12(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl TestPki {
    /// Generates a fresh PKI in memory (about 0.1–0.3 s: one RSA key, the rest ECDSA).
    pub fn generate() -> Result<TestPki, PkiError> {
        let ca_key = KeyPair::generate()?;
        let ca_key_pem = ca_key.serialize_pem();
        let ca = CertifiedIssuer::self_signed(ca_params(CA_NAME), ca_key)?;
        let ca_cred = Credential {
            cert_pem: ca.pem(),
            key_pem: Zeroizing::new(ca_key_pem),
            issuer_pem: String::new(),
        };

        let mut server = leaf_params("localhost", None, ExtendedKeyUsagePurpose::ServerAuth);
        server.subject_alt_names = vec![
            SanType::DnsName("localhost".try_into()?),
            SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
        ];
        let server = issue(server, &ca, &ca_cred.cert_pem, KeyPair::generate()?)?;

        let client = |cn: &str| {
            let params = leaf_params(cn, Some(STRUCTURE_ID), ExtendedKeyUsagePurpose::ClientAuth);
            issue(params, &ca, &ca_cred.cert_pem, KeyPair::generate()?)
        };
        let insi_auto = client("INSI-AUTO")?;
        let insi_manu = client("INSI-MANU")?;
        let wrong_cn = client("INSI-TEST")?;

        let foreign_key = KeyPair::generate()?;
        let foreign_key_pem = foreign_key.serialize_pem();
        let foreign = CertifiedIssuer::self_signed(ca_params("TEST AC ETRANGERE"), foreign_key)?;
        let foreign_ca = Credential {
            cert_pem: foreign.pem(),
            key_pem: Zeroizing::new(foreign_key_pem),
            issuer_pem: String::new(),
        };
        let params = leaf_params(
            "INSI-AUTO",
            Some(STRUCTURE_ID),
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let foreign_client = issue(params, &foreign, &foreign_ca.cert_pem, KeyPair::generate()?)?;

        let cpx_key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
        let cpx_key_pem = cpx_key.serialize_pem();
        let cpx = CertifiedIssuer::self_signed(ca_params(CPX_CA_NAME), cpx_key)?;
        let cpx_ca = Credential {
            cert_pem: cpx.pem(),
            key_pem: Zeroizing::new(cpx_key_pem),
            issuer_pem: String::new(),
        };
        let mut ps = CertificateParams::default();
        set_validity(&mut ps);
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "FR");
        dn.push(DnType::OrganizationName, ORGANISATION);
        dn.push(DnType::CommonName, PS_ID);
        ps.distinguished_name = dn;
        ps.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        let cpx_ps = issue(
            ps,
            &cpx,
            &cpx_ca.cert_pem,
            KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?,
        )?;

        Ok(TestPki {
            ca: ca_cred,
            server,
            insi_auto,
            insi_manu,
            wrong_cn,
            foreign_ca,
            foreign_client,
            cpx_ca,
            cpx_ps,
        })
    }

    /// Writes the PKI as PEM, key and PKCS#12 files (see `testdata/pki/README.md`).
    pub fn write_to(&self, dir: &Path) -> Result<Vec<String>, PkiError> {
        let write = |name: &str, bytes: &[u8]| -> Result<String, PkiError> {
            let path = dir.join(name);
            fs::write(&path, bytes).map_err(|source| PkiError::Write {
                path: path.display().to_string(),
                source,
            })?;
            Ok(name.to_owned())
        };
        fs::create_dir_all(dir).map_err(|source| PkiError::Write {
            path: dir.display().to_string(),
            source,
        })?;
        let pem = |text: &str| format!("{BANNER}{text}");
        let mut written = Vec::new();
        let pairs: [(&str, &Credential, bool); 9] = [
            ("ca", &self.ca, false),
            ("server", &self.server, false),
            ("insi-auto", &self.insi_auto, true),
            ("insi-manu", &self.insi_manu, true),
            ("wrong-cn", &self.wrong_cn, false),
            ("foreign-ca", &self.foreign_ca, false),
            ("foreign-client", &self.foreign_client, false),
            ("cpx-ca", &self.cpx_ca, false),
            ("cpx-ps", &self.cpx_ps, true),
        ];
        for (name, cred, p12) in pairs {
            written.push(write(
                &format!("{name}.pem"),
                pem(&cred.cert_pem).as_bytes(),
            )?);
            written.push(write(
                &format!("{name}.key"),
                pem(&cred.key_pem).as_bytes(),
            )?);
            if p12 {
                let bytes = cred.pkcs12(name, PKCS12_PASSWORD)?;
                written.push(write(&format!("{name}.p12"), &bytes)?);
            }
        }
        Ok(written)
    }
}

impl Credential {
    /// The certificate followed by its issuer: what a client presents.
    pub fn chain_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.issuer_pem)
    }

    /// Certificate chain and key in one PEM (what `reqwest::Identity::from_pem` takes).
    pub fn identity_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{}{}", self.key_pem.as_str(), self.chain_pem()))
    }

    /// A PKCS#12 file (PBES2 AES-256 + HMAC-SHA256) holding the key, the certificate and its CA.
    pub fn pkcs12(&self, alias: &str, password: &str) -> Result<Vec<u8>, PkiError> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        use rustls_pki_types::pem::PemObject;
        let err = |e: &dyn std::fmt::Display| PkiError::Pkcs12(e.to_string());
        let key_der = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| err(&e))?;
        let mut certs = Vec::new();
        for pem in [&self.cert_pem, &self.issuer_pem] {
            if pem.is_empty() {
                continue;
            }
            let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
                .map_err(|e| err(&e))?;
            certs.push(Certificate::from_der(&der).map_err(|e| err(&e))?);
        }
        let key = PrivateKey::from_der(key_der.secret_pkcs8_der()).map_err(|e| err(&e))?;
        let chain = PrivateKeyChain::new(alias.as_bytes().to_vec(), key, certs);
        let mut store = KeyStore::new();
        store.add_entry(alias, KeyStoreEntry::PrivateKeyChain(chain));
        store.writer(password).write().map_err(|e| err(&e))
    }
}

/// Valid from 1 January of last year for ten years: long enough for a committed `testdata/pki/`,
/// and a fixed start so a clock slightly behind does not reject a fresh ephemeral PKI.
fn set_validity(params: &mut CertificateParams) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // A Gregorian year is 31 556 952 s; off by a day at most around New Year, which is harmless.
    let year = 1970 + (secs / 31_556_952) as i32;
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 10, 1, 1);
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    set_validity(&mut params);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, ORGANISATION);
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

/// `C=FR, O=…, OU=<structure>, CN=<cn>` like the IGC-Santé establishment certificates.
fn leaf_params(cn: &str, ou: Option<&str>, usage: ExtendedKeyUsagePurpose) -> CertificateParams {
    let mut params = CertificateParams::default();
    set_validity(&mut params);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, ORGANISATION);
    if let Some(ou) = ou {
        dn.push(DnType::OrganizationalUnitName, ou);
    }
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    params
}

fn issue(
    params: CertificateParams,
    ca: &CertifiedIssuer<'_, KeyPair>,
    ca_pem: &str,
    key: KeyPair,
) -> Result<Credential, PkiError> {
    let cert = params.signed_by(&key, ca)?;
    Ok(Credential {
        cert_pem: cert.pem(),
        key_pem: Zeroizing::new(key.serialize_pem()),
        issuer_pem: ca_pem.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_a_pki_with_the_expected_subjects() {
        let pki = TestPki::generate().unwrap();
        let subject = |pem: &str| {
            use rustls_pki_types::pem::PemObject;
            let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
            let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
            (cert.subject().to_string(), cert.issuer().to_string())
        };
        let (s, i) = subject(&pki.insi_auto.cert_pem);
        assert!(
            s.contains("CN=INSI-AUTO") && s.contains("OU=TESTBENCH01"),
            "{s}"
        );
        assert!(i.contains(CA_NAME), "{i}");
        assert!(subject(&pki.insi_manu.cert_pem).0.contains("CN=INSI-MANU"));
        assert!(subject(&pki.ca.cert_pem).0.contains("NOT FOR PRODUCTION"));
        assert!(subject(&pki.cpx_ps.cert_pem).1.contains(CPX_CA_NAME));
        assert!(
            subject(&pki.foreign_client.cert_pem)
                .1
                .contains("ETRANGERE")
        );
    }

    #[test]
    fn pkcs12_reads_back_with_the_documented_password() {
        let pki = TestPki::generate().unwrap();
        let bytes = pki.insi_auto.pkcs12("insi-auto", PKCS12_PASSWORD).unwrap();
        let store = p12_keystore::KeyStore::from_pkcs12(
            &bytes,
            PKCS12_PASSWORD,
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .unwrap();
        let (_, chain) = store.private_key_chain().unwrap();
        assert_eq!(chain.certs().len(), 2);
        assert!(chain.certs()[0].subject().contains("INSI-AUTO"));
        assert!(
            p12_keystore::KeyStore::from_pkcs12(
                &bytes,
                "wrong",
                p12_keystore::Pkcs12ImportPolicy::Relaxed
            )
            .is_err()
        );
    }
}
