//! The test PKI, shaped like IGC-Santé TEST: a root CA, an intermediate CA that issues the
//! simulator's server certificate and the establishment certificates INSi's mTLS host expects
//! (INSI-PROTOCOL.md §1.3, §2.5.1), certificates that must be refused, and a CPx-side CA with a
//! PS signature certificate for assertions (§2.5.2).
//!
//! The real chain is `AC RACINE IGC-SANTE ELEMENTAIRE` → `AC IGC-SANTE ELEMENTAIRE
//! ORGANISATIONS` → `C=FR, ST=…, O=…, OU=<structure>, CN=INSI-AUTO` (CARDS.md, INSI-PROTOCOL.md
//! §2.5.1). Ours has the same shape with our own names ([`ROOT_CA_NAME`] → [`CA_NAME`]); every
//! subject carries `O=… NOT FOR PRODUCTION` and none says IGC-SANTE, so nobody mistakes it for
//! the real thing (and `cert inspect` flags it as not IGC-Santé).
//!
//! Everything is generated with rcgen, in memory ([`TestPki::generate`],
//! [`TestPki::generate_with`]) or written to a directory ([`TestPki::write_to`], used by
//! `scripts/gen-test-pki` for `testdata/pki/`). The key algorithm of the TLS side is a
//! [`KeyKind`]: RSA-2048 for the shipped files (node-forge, which the public TypeScript client
//! uses to read the PKCS#12, reads only RSA, and the real IGC-Santé products are RSA), ECDSA
//! P-256 for the ephemeral in-memory PKI of tests (about 20× faster to generate, see
//! `testdata/pki/README.md`). The CPx side is RSA-2048 either way: INSi assertions are signed
//! RSA-SHA256.
//!
//! ```
//! let pki = insi_sim::pki::TestPki::generate_with(insi_sim::pki::KeyKind::Ecdsa).unwrap();
//! assert!(pki.insi_auto.chain_pem().matches("BEGIN CERTIFICATE").count() == 3);
//! ```

use std::fs;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use zeroize::Zeroizing;

/// Name of the root CA (the shape of `AC RACINE IGC-SANTE ELEMENTAIRE`).
pub const ROOT_CA_NAME: &str = "TEST AC RACINE INSI-BENCH ELEMENTAIRE";
/// Name of the intermediate CA that issues the server and establishment certificates (the shape
/// of `AC IGC-SANTE ELEMENTAIRE ORGANISATIONS`).
pub const CA_NAME: &str = "TEST AC INSI-BENCH ELEMENTAIRE ORGANISATIONS";
/// Name of the CPx-side test CA (the one whose certificates a test CPS card carries).
pub const CPX_CA_NAME: &str = "TEST AC INSI-BENCH CPX";
/// Password of every PKCS#12 file of the test PKI.
pub const PKCS12_PASSWORD: &str = "insi-bench";
/// Structure identifier put in the OU of the establishment certificates; clients send it as
/// `Emetteur` (INSI-PROTOCOL.md §2.3).
pub const STRUCTURE_ID: &str = "TESTBENCH01";
/// PS identifier (CN / NameID) of the test PS signature certificate.
pub const PS_ID: &str = "899900000017";
/// Organisation of the CAs, the server and the PS certificate: the marker that makes the PKI
/// obviously fake.
pub const ORGANISATION: &str = "INSI-BENCH TEST - NOT FOR PRODUCTION";
/// Organisation of the establishment certificates (real ones name the structure, e.g.
/// `CENTRE DE SANTE RPPS15287`).
pub const ESTABLISHMENT: &str = "CENTRE DE SANTE INSI-BENCH TEST - NOT FOR PRODUCTION";
/// State of the establishment certificates (real ones carry the department, `ST=…`).
pub const ESTABLISHMENT_STATE: &str = "Puy-de-Dome (63)";
/// OU of the two CAs (the real ones say `OU=IGC-SANTE TEST`).
pub const CA_UNIT: &str = "INSI-BENCH TEST";
/// Validity of the leaf certificates, in years: the IGC-Santé test products last three years.
pub const LEAF_YEARS: i16 = 3;
/// Validity of the CAs, in years (longer than any leaf they issue).
pub const CA_YEARS: i16 = 10;

const BANNER: &str =
    "# insi-bench TEST PKI - NOT FOR PRODUCTION - regenerate with scripts/gen-test-pki\n";

/// Key algorithm of the TLS certificates (CAs, server, establishments).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA-2048 with SHA-256 signatures, like IGC-Santé: what the shipped `testdata/pki` uses.
    #[default]
    Rsa,
    /// ECDSA P-256 with SHA-256: fast to generate, for the ephemeral in-memory PKI.
    Ecdsa,
}

impl KeyKind {
    /// `rsa` or `ecdsa`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Rsa => "rsa",
            KeyKind::Ecdsa => "ecdsa",
        }
    }

    /// Parses `rsa` / `ecdsa` (the `gen-test-pki --key` values).
    pub fn parse(text: &str) -> Option<KeyKind> {
        match text {
            "rsa" => Some(KeyKind::Rsa),
            "ecdsa" => Some(KeyKind::Ecdsa),
            _ => None,
        }
    }

    fn generate(self) -> Result<KeyPair, rcgen::Error> {
        match self {
            KeyKind::Rsa => KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256),
            KeyKind::Ecdsa => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        }
    }
}

/// A certificate (PEM) and its private key (PKCS#8 PEM, zeroised on drop).
#[derive(Clone)]
pub struct Credential {
    pub cert_pem: String,
    pub key_pem: Zeroizing<String>,
    /// The certificates above this one (PEM), issuer first, up to and including the root: what
    /// completes the chain in PEM and PKCS#12 files. Empty for a root.
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
    /// Which key algorithm the TLS side uses.
    pub key_kind: KeyKind,
    /// Root CA [`ROOT_CA_NAME`]: the one trust anchor (`ca.pem`), signs only the intermediate.
    pub ca: Credential,
    /// Intermediate CA [`CA_NAME`]: signs the server and the establishment certificates. Every
    /// leaf carries it in its chain, so a peer trusting only the root can verify.
    pub intermediate: Credential,
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
    #[error("validity dates: {0}")]
    Date(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// A CA that can issue, with its credential.
struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
    credential: Credential,
}

impl Authority {
    fn root(params: CertificateParams, key: KeyPair) -> Result<Authority, PkiError> {
        let key_pem = Zeroizing::new(key.serialize_pem());
        let issuer = CertifiedIssuer::self_signed(params, key)?;
        let credential = Credential {
            cert_pem: issuer.pem(),
            key_pem,
            issuer_pem: String::new(),
        };
        Ok(Authority { issuer, credential })
    }

    fn subordinate(&self, params: CertificateParams, key: KeyPair) -> Result<Authority, PkiError> {
        let key_pem = Zeroizing::new(key.serialize_pem());
        let issuer = CertifiedIssuer::signed_by(params, key, &self.issuer)?;
        let credential = Credential {
            cert_pem: issuer.pem(),
            key_pem,
            issuer_pem: self.credential.chain_pem(),
        };
        Ok(Authority { issuer, credential })
    }

    fn issue(&self, params: CertificateParams, key: KeyPair) -> Result<Credential, PkiError> {
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Credential {
            cert_pem: cert.pem(),
            key_pem: Zeroizing::new(key.serialize_pem()),
            issuer_pem: self.credential.chain_pem(),
        })
    }
}

/// Validity windows (UTC calendar days), computed once per PKI.
#[derive(Clone, Copy)]
struct Validity {
    not_before: jiff::civil::Date,
    ca_not_after: jiff::civil::Date,
    leaf_not_after: jiff::civil::Date,
}

impl Validity {
    /// From yesterday (UTC, midnight) so that a clock slightly behind does not reject a fresh
    /// PKI; leaves for [`LEAF_YEARS`], CAs for [`CA_YEARS`].
    fn from_now() -> Result<Validity, PkiError> {
        let date_err = |e: jiff::Error| PkiError::Date(e.to_string());
        let today = jiff::tz::Offset::UTC
            .to_datetime(jiff::Timestamp::now())
            .date();
        let start = today.yesterday().map_err(date_err)?;
        let add = |years: i16| -> Result<jiff::civil::Date, PkiError> {
            start
                .checked_add(jiff::Span::new().years(years))
                .map_err(date_err)
        };
        Ok(Validity {
            not_before: start,
            ca_not_after: add(CA_YEARS)?,
            leaf_not_after: add(LEAF_YEARS)?,
        })
    }

    fn set(params: &mut CertificateParams, from: jiff::civil::Date, to: jiff::civil::Date) {
        // A jiff civil date is always a valid calendar date (month 1..=12, real day), which is
        // all `date_time_ymd` asks for.
        let ymd = |d: jiff::civil::Date| {
            rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
        };
        params.not_before = ymd(from);
        params.not_after = ymd(to);
    }

    fn leaf(&self, params: &mut CertificateParams) {
        Validity::set(params, self.not_before, self.leaf_not_after);
    }

    fn ca(&self, params: &mut CertificateParams) {
        Validity::set(params, self.not_before, self.ca_not_after);
    }
}

impl TestPki {
    /// Generates a fresh PKI in memory with ECDSA TLS keys: the fast variant tests use (about
    /// 0.1–0.3 s: the two CPx-side keys are RSA).
    pub fn generate() -> Result<TestPki, PkiError> {
        TestPki::generate_with(KeyKind::Ecdsa)
    }

    /// Generates a fresh PKI in memory with the given TLS key algorithm (RSA: ten RSA-2048
    /// keys, about a second).
    pub fn generate_with(kind: KeyKind) -> Result<TestPki, PkiError> {
        let validity = Validity::from_now()?;
        let root = Authority::root(ca_params(ROOT_CA_NAME, None, validity)?, kind.generate()?)?;
        let intermediate =
            root.subordinate(ca_params(CA_NAME, Some(0), validity)?, kind.generate()?)?;

        let mut server = leaf_params(
            &[(DnType::OrganizationName, ORGANISATION)],
            "localhost",
            ExtendedKeyUsagePurpose::ServerAuth,
            kind,
            validity,
        )?;
        server.subject_alt_names = vec![
            SanType::DnsName("localhost".try_into()?),
            SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
        ];
        let server = intermediate.issue(server, kind.generate()?)?;

        let client = |by: &Authority, cn: &str| {
            by.issue(establishment_params(cn, kind, validity)?, kind.generate()?)
        };
        let insi_auto = client(&intermediate, "INSI-AUTO")?;
        let insi_manu = client(&intermediate, "INSI-MANU")?;
        let wrong_cn = client(&intermediate, "INSI-TEST")?;

        let foreign = Authority::root(
            ca_params("TEST AC ETRANGERE", None, validity)?,
            kind.generate()?,
        )?;
        let foreign_client = client(&foreign, "INSI-AUTO")?;

        let cpx = Authority::root(
            ca_params(CPX_CA_NAME, None, validity)?,
            KeyKind::Rsa.generate()?,
        )?;
        let mut ps = CertificateParams::default();
        validity.leaf(&mut ps);
        let mut dn = DistinguishedName::new();
        push_country(&mut dn)?;
        dn.push(DnType::OrganizationName, ORGANISATION);
        dn.push(DnType::CommonName, PS_ID);
        ps.distinguished_name = dn;
        ps.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        ps.use_authority_key_identifier_extension = true;
        let cpx_ps = cpx.issue(ps, KeyKind::Rsa.generate()?)?;

        Ok(TestPki {
            key_kind: kind,
            ca: root.credential,
            intermediate: intermediate.credential,
            server,
            insi_auto,
            insi_manu,
            wrong_cn,
            foreign_ca: foreign.credential,
            foreign_client,
            cpx_ca: cpx.credential,
            cpx_ps,
        })
    }

    /// Writes the PKI as PEM, key and PKCS#12 files (see `testdata/pki/README.md`). Certificate
    /// files of leaves and of the intermediate hold the chain up to the root, leaf first.
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
        let pairs: [(&str, &Credential, bool); 10] = [
            ("ca", &self.ca, false),
            ("intermediate", &self.intermediate, false),
            ("server", &self.server, false),
            ("insi-auto", &self.insi_auto, true),
            ("insi-manu", &self.insi_manu, true),
            ("wrong-cn", &self.wrong_cn, true),
            ("foreign-ca", &self.foreign_ca, false),
            ("foreign-client", &self.foreign_client, false),
            ("cpx-ca", &self.cpx_ca, false),
            ("cpx-ps", &self.cpx_ps, true),
        ];
        for (name, cred, p12) in pairs {
            written.push(write(
                &format!("{name}.pem"),
                pem(&cred.chain_pem()).as_bytes(),
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
    /// The certificate followed by its issuers up to the root: what a client presents and what
    /// the PEM files hold.
    pub fn chain_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.issuer_pem)
    }

    /// Certificate chain and key in one PEM (what `reqwest::Identity::from_pem` takes).
    pub fn identity_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{}{}", self.key_pem.as_str(), self.chain_pem()))
    }

    /// A PKCS#12 file (PBES2 AES-256-CBC with PBKDF2-HMAC-SHA256, MAC HMAC-SHA256 — what
    /// OpenSSL 3 writes by default, so its defaults, Java and node-forge read it) holding the
    /// key, the certificate and every CA above it.
    pub fn pkcs12(&self, alias: &str, password: &str) -> Result<Vec<u8>, PkiError> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        use rustls_pki_types::pem::PemObject;
        let err = |e: &dyn std::fmt::Display| PkiError::Pkcs12(e.to_string());
        let key_der = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| err(&e))?;
        let mut certs = Vec::new();
        for der in rustls_pki_types::CertificateDer::pem_slice_iter(self.chain_pem().as_bytes()) {
            let der = der.map_err(|e| err(&e))?;
            certs.push(Certificate::from_der(&der).map_err(|e| err(&e))?);
        }
        let key = PrivateKey::from_der(key_der.secret_pkcs8_der()).map_err(|e| err(&e))?;
        let chain = PrivateKeyChain::new(alias.as_bytes().to_vec(), key, certs);
        let mut store = KeyStore::new();
        store.add_entry(alias, KeyStoreEntry::PrivateKeyChain(chain));
        store
            .writer(password)
            .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha256)
            .write()
            .map_err(|e| err(&e))
    }
}

/// `C=FR` as a PrintableString: X.520 and RFC 5280 want it so, and strict peers refuse the
/// UTF8String rcgen writes by default (RUST-STACK.md §1).
fn push_country(dn: &mut DistinguishedName) -> Result<(), rcgen::Error> {
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("FR".try_into()?),
    );
    Ok(())
}

/// `C=FR, O=…, OU=INSI-BENCH TEST, CN=<name>`; `path_len` `None` for a root.
fn ca_params(
    name: &str,
    path_len: Option<u8>,
    validity: Validity,
) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::default();
    validity.ca(&mut params);
    let mut dn = DistinguishedName::new();
    push_country(&mut dn)?;
    dn.push(DnType::OrganizationName, ORGANISATION);
    dn.push(DnType::OrganizationalUnitName, CA_UNIT);
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = path_len.is_some();
    Ok(params)
}

/// The subject of the real establishment certificates: `C=FR, ST=…, O=…, OU=<structure>,
/// CN=INSI-AUTO` (INSI-PROTOCOL.md §2.5.1).
fn establishment_params(
    cn: &str,
    kind: KeyKind,
    validity: Validity,
) -> Result<CertificateParams, rcgen::Error> {
    leaf_params(
        &[
            (DnType::StateOrProvinceName, ESTABLISHMENT_STATE),
            (DnType::OrganizationName, ESTABLISHMENT),
            (DnType::OrganizationalUnitName, STRUCTURE_ID),
        ],
        cn,
        ExtendedKeyUsagePurpose::ClientAuth,
        kind,
        validity,
    )
}

fn leaf_params(
    middle: &[(DnType, &str)],
    cn: &str,
    usage: ExtendedKeyUsagePurpose,
    kind: KeyKind,
    validity: Validity,
) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::default();
    validity.leaf(&mut params);
    let mut dn = DistinguishedName::new();
    push_country(&mut dn)?;
    for (kind, value) in middle {
        dn.push(kind.clone(), *value);
    }
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.key_usages = match kind {
        // RSA keys may also be used for RSA key transport (TLS 1.2 RSA suites of old stacks).
        KeyKind::Rsa => vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ],
        KeyKind::Ecdsa => vec![KeyUsagePurpose::DigitalSignature],
    };
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pem: &str) -> Vec<rustls_pki_types::CertificateDer<'static>> {
        use rustls_pki_types::pem::PemObject;
        rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn subject(pem: &str) -> (String, String) {
        let der = parse(pem).remove(0);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        (cert.subject().to_string(), cert.issuer().to_string())
    }

    #[test]
    fn generates_the_igc_sante_shaped_chain() {
        let pki = TestPki::generate().unwrap();
        let (s, i) = subject(&pki.insi_auto.cert_pem);
        assert_eq!(
            s,
            "C=FR, ST=Puy-de-Dome (63), O=CENTRE DE SANTE INSI-BENCH TEST - NOT FOR PRODUCTION, \
             OU=TESTBENCH01, CN=INSI-AUTO"
        );
        assert!(i.ends_with(&format!("CN={CA_NAME}")), "{i}");
        let (s, i) = subject(&pki.intermediate.cert_pem);
        assert!(
            s.ends_with(CA_NAME) && i.ends_with(ROOT_CA_NAME),
            "{s} / {i}"
        );
        let (s, i) = subject(&pki.ca.cert_pem);
        assert_eq!(s, i, "the root is self-signed");
        assert!(
            s.contains("NOT FOR PRODUCTION") && !s.contains("IGC-SANTE"),
            "{s}"
        );
        assert!(subject(&pki.insi_manu.cert_pem).0.ends_with("CN=INSI-MANU"));
        assert!(subject(&pki.wrong_cn.cert_pem).0.ends_with("CN=INSI-TEST"));
        assert!(subject(&pki.cpx_ps.cert_pem).1.contains(CPX_CA_NAME));
        assert!(
            subject(&pki.foreign_client.cert_pem)
                .1
                .contains("ETRANGERE")
        );
        // Leaf, intermediate, root: each one's issuer is the next one's subject.
        let chain = parse(&pki.server.chain_pem());
        assert_eq!(chain.len(), 3);
        for pair in chain.windows(2) {
            let (_, child) = x509_parser::parse_x509_certificate(&pair[0]).unwrap();
            let (_, parent) = x509_parser::parse_x509_certificate(&pair[1]).unwrap();
            assert_eq!(child.issuer(), parent.subject());
            assert!(child.verify_signature(Some(parent.public_key())).is_ok());
        }
    }

    #[test]
    fn country_is_printable_and_validity_is_three_years_for_leaves() {
        let pki = TestPki::generate().unwrap();
        for cred in [&pki.ca, &pki.intermediate, &pki.insi_auto, &pki.server] {
            let der = parse(&cred.cert_pem).remove(0);
            let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
            let c = cert.subject().iter_country().next().unwrap();
            // Tag 19 = PrintableString.
            assert_eq!(c.attr_value().header.tag().0, 19, "{}", cert.subject());
        }
        let der = parse(&pki.insi_auto.cert_pem).remove(0);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        let days = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp())
            / 86_400;
        assert!((1095..=1097).contains(&days), "{days}");
        let now = jiff::Timestamp::now().as_second();
        assert!(cert.validity().not_before.timestamp() < now);
    }

    #[test]
    fn rsa_kind_gives_rsa_keys_for_tls() {
        let pki = TestPki::generate_with(KeyKind::Rsa).unwrap();
        for cred in [&pki.ca, &pki.intermediate, &pki.server, &pki.insi_auto] {
            let der = parse(&cred.cert_pem).remove(0);
            let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
            assert_eq!(
                cert.public_key().algorithm.algorithm.to_id_string(),
                "1.2.840.113549.1.1.1",
                "{}",
                cert.subject()
            );
        }
        let ecdsa = TestPki::generate_with(KeyKind::Ecdsa).unwrap();
        let der = parse(&ecdsa.insi_auto.cert_pem).remove(0);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(
            cert.public_key().algorithm.algorithm.to_id_string(),
            "1.2.840.10045.2.1"
        );
        assert_eq!(KeyKind::parse("ecdsa"), Some(KeyKind::Ecdsa));
        assert_eq!(KeyKind::parse("dsa"), None);
    }

    #[test]
    fn pkcs12_holds_the_whole_chain_and_needs_the_password() {
        let pki = TestPki::generate().unwrap();
        let bytes = pki.insi_auto.pkcs12("insi-auto", PKCS12_PASSWORD).unwrap();
        let store = p12_keystore::KeyStore::from_pkcs12(
            &bytes,
            PKCS12_PASSWORD,
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .unwrap();
        let (_, chain) = store.private_key_chain().unwrap();
        assert_eq!(chain.certs().len(), 3);
        assert!(chain.certs()[0].subject().contains("INSI-AUTO"));
        assert!(chain.certs()[1].subject().contains(CA_NAME));
        assert!(chain.certs()[2].subject().contains(ROOT_CA_NAME));
        assert!(
            p12_keystore::KeyStore::from_pkcs12(
                &bytes,
                "wrong",
                p12_keystore::Pkcs12ImportPolicy::Relaxed
            )
            .is_err()
        );
    }

    #[test]
    fn write_to_writes_chains_and_pkcs12() {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::generate().unwrap();
        let files = pki.write_to(dir.path()).unwrap();
        assert!(files.contains(&"intermediate.pem".to_owned()));
        assert!(files.contains(&"insi-auto.p12".to_owned()));
        let text = fs::read_to_string(dir.path().join("insi-auto.pem")).unwrap();
        assert!(text.starts_with("# insi-bench TEST PKI - NOT FOR PRODUCTION"));
        assert_eq!(parse(&text).len(), 3);
        let root = fs::read_to_string(dir.path().join("ca.pem")).unwrap();
        assert_eq!(parse(&root).len(), 1);
    }
}
