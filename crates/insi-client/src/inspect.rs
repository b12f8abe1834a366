//! `cert inspect`: what a publisher must know about an establishment certificate before the
//! first call (INSI-PROTOCOL.md §2.5.1): the subject DN to send to the ANS program team, the
//! issuer, how long it stays valid, and whether its CN gives access to INSi; then the chain the
//! file carries (each certificate, which one is the leaf, who issued whom) and, given a CA
//! bundle, whether the leaf really chains to it ([`check_chain`], webpki path validation as a
//! TLS peer does it).

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use x509_parser::prelude::*;

use crate::cert::{CertError, CertificateFile, FileFormat};

/// Below this many days left, renewal is urgent (IGC-Santé renewals take weeks; test
/// certificates expire after three years).
pub const RENEWAL_WARNING_DAYS: i64 = 90;

/// The two CNs INSi's mTLS gateway accepts; any other CN gets DESIR_560 (§2.5.1, §4.2).
pub const INSI_PROFILES: [&str; 2] = ["INSI-AUTO", "INSI-MANU"];

/// The report on one certificate (the leaf of the file).
#[derive(Clone, Debug, Serialize)]
pub struct CertificateReport {
    pub format: FileFormat,
    /// Subject DN, attributes in certificate order, `C=FR, O=…, OU=…, CN=INSI-AUTO`.
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// Whole days until `not_after`; negative once expired.
    pub days_left: i64,
    pub cn: Option<String>,
    /// The OU: clients send it as `Emetteur` in mTLS mode (§2.3).
    pub ou: Option<String>,
    /// `INSI-AUTO`, `INSI-MANU`, or `None` when the CN is neither.
    pub insi_profile: Option<&'static str>,
    pub key_usage: Vec<String>,
    pub extended_key_usage: Vec<String>,
    /// The file also holds the private key.
    pub has_private_key: bool,
    /// Subjects of the other certificates in the file (chain), in file order.
    pub chain: Vec<String>,
    /// Every certificate of the file, in file order, with its role in the chain.
    pub certificates: Vec<ChainEntry>,
    /// Set by [`check_chain`]: whether the leaf chains to a given CA bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_check: Option<CaCheck>,
    pub warnings: Vec<String>,
}

/// What a certificate is in the file's chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainRole {
    /// The certificate the key belongs to (the first of the file).
    Leaf,
    /// A CA certificate between the leaf and a root.
    Intermediate,
    /// A self-signed CA certificate.
    Root,
    /// Neither issued the leaf's chain nor was issued by it: probably a stray certificate.
    Unrelated,
}

/// One certificate of the file.
#[derive(Clone, Debug, Serialize)]
pub struct ChainEntry {
    /// 1-based position in the file.
    pub position: usize,
    pub role: ChainRole,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub days_left: i64,
    /// Position of the certificate of the file whose key signed this one (signature checked);
    /// `None` when the issuer is not in the file (or, for a root, itself).
    pub issued_by: Option<usize>,
}

/// The result of checking the leaf against a CA bundle.
#[derive(Clone, Debug, Serialize)]
pub struct CaCheck {
    /// What the bundle was (a path).
    pub ca: String,
    /// The bundle's certificates (subjects).
    pub anchors: Vec<String>,
    pub chains: bool,
    /// Why not, in words, when it does not chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Inspects the leaf certificate of a parsed file at time `now`.
pub fn inspect(
    file: &CertificateFile,
    what: &str,
    now: jiff::Timestamp,
) -> Result<CertificateReport, CertError> {
    let leaf = file
        .leaf()
        .ok_or_else(|| CertError::NoCertificate(what.to_owned()))?;
    let mut report = inspect_der(leaf, what, now)?;
    report.format = file.format;
    report.has_private_key = file.has_key();
    report.chain = file
        .certs
        .iter()
        .skip(1)
        .map(|c| match X509Certificate::from_der(c) {
            Ok((_, x)) => x.subject().to_string(),
            Err(_) => "<unreadable certificate>".to_owned(),
        })
        .collect();
    report.certificates = chain_entries(&file.certs, now);
    for entry in report.certificates.iter().skip(1) {
        let what = match entry.role {
            ChainRole::Root => "root CA",
            ChainRole::Intermediate => "intermediate CA",
            ChainRole::Leaf | ChainRole::Unrelated => "certificate",
        };
        if entry.days_left < 0 {
            report.warnings.push(format!(
                "{what} [{}] {} expired on {}: the chain is no longer valid",
                entry.position, entry.subject, entry.not_after
            ));
        } else if entry.days_left < RENEWAL_WARNING_DAYS {
            report.warnings.push(format!(
                "{what} [{}] {} expires in {} days ({})",
                entry.position, entry.subject, entry.days_left, entry.not_after
            ));
        }
        if entry.role == ChainRole::Unrelated {
            report.warnings.push(format!(
                "certificate [{}] {} is not part of the leaf's chain",
                entry.position, entry.subject
            ));
        }
    }
    Ok(report)
}

/// Roles and issuers of the certificates of a file (leaf first).
pub fn chain_entries(certs: &[CertificateDer<'_>], now: jiff::Timestamp) -> Vec<ChainEntry> {
    let parsed: Vec<Option<X509Certificate<'_>>> = certs
        .iter()
        .map(|c| X509Certificate::from_der(c).ok().map(|(_, x)| x))
        .collect();
    let signed_by = |child: &X509Certificate<'_>, parent: &X509Certificate<'_>| {
        child.issuer() == parent.subject()
            && child.verify_signature(Some(parent.public_key())).is_ok()
    };
    // Walk up from the leaf: each step's issuer, if the file holds it.
    let mut in_chain = vec![false; parsed.len()];
    let mut issued_by = vec![None; parsed.len()];
    for (i, cert) in parsed.iter().enumerate() {
        let Some(cert) = cert else { continue };
        issued_by[i] = parsed.iter().enumerate().find_map(|(j, p)| {
            (j != i && p.as_ref().is_some_and(|p| signed_by(cert, p))).then_some(j)
        });
    }
    let mut at = Some(0);
    let mut steps = 0;
    while let Some(i) = at {
        if i >= parsed.len() || in_chain[i] || steps > parsed.len() {
            break;
        }
        in_chain[i] = true;
        steps += 1;
        at = issued_by[i];
    }
    parsed
        .iter()
        .enumerate()
        .map(|(i, cert)| {
            let Some(x) = cert else {
                return ChainEntry {
                    position: i + 1,
                    role: ChainRole::Unrelated,
                    subject: "<unreadable certificate>".into(),
                    issuer: String::new(),
                    not_before: String::new(),
                    not_after: String::new(),
                    days_left: 0,
                    issued_by: None,
                };
            };
            let self_signed = signed_by(x, x);
            let role = if i == 0 {
                ChainRole::Leaf
            } else if !in_chain[i] {
                ChainRole::Unrelated
            } else if self_signed {
                ChainRole::Root
            } else {
                ChainRole::Intermediate
            };
            let not_after = x.validity().not_after.timestamp();
            ChainEntry {
                position: i + 1,
                role,
                subject: x.subject().to_string(),
                issuer: x.issuer().to_string(),
                not_before: rfc3339(x.validity().not_before.timestamp()),
                not_after: rfc3339(not_after),
                days_left: (not_after - now.as_second()).div_euclid(86_400),
                issued_by: issued_by[i].map(|j| j + 1),
            }
        })
        .collect()
}

/// Checks that the file's leaf chains to one of `anchors` (the file's other certificates serve
/// as intermediates), at `now`, the way a TLS peer does it (webpki: signatures, validity,
/// basic constraints, extended key usage): as a client certificate unless the leaf is for
/// servers only, then as a server certificate for its first DNS or IP name.
pub fn check_chain(
    report: &mut CertificateReport,
    file: &CertificateFile,
    anchors: &[CertificateDer<'static>],
    ca_what: &str,
    now: jiff::Timestamp,
) {
    let names = anchors
        .iter()
        .map(|c| match X509Certificate::from_der(c) {
            Ok((_, x)) => x.subject().to_string(),
            Err(_) => "<unreadable certificate>".to_owned(),
        })
        .collect();
    let outcome = verify_with_webpki(file, anchors, now);
    let reason = outcome.err().map(|e| explain_chain_error(&e));
    report.ca_check = Some(CaCheck {
        ca: ca_what.to_owned(),
        anchors: names,
        chains: reason.is_none(),
        reason,
    });
}

fn verify_with_webpki(
    file: &CertificateFile,
    anchors: &[CertificateDer<'static>],
    now: jiff::Timestamp,
) -> Result<(), String> {
    use rustls::client::danger::ServerCertVerifier as _;
    use std::sync::Arc;
    let leaf = file.leaf().ok_or("the file holds no certificate")?;
    let mut roots = rustls::RootCertStore::empty();
    for anchor in anchors {
        roots
            .add(anchor.clone())
            .map_err(|e| format!("unusable CA certificate: {e}"))?;
    }
    let roots = Arc::new(roots);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let intermediates: Vec<_> = file.certs.iter().skip(1).cloned().collect();
    let at = rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now.as_second()).unwrap_or(0),
    ));
    let (_, x) = X509Certificate::from_der(leaf).map_err(|e| e.to_string())?;
    let eku = x.extended_key_usage().ok().flatten().map(|e| e.value);
    let server_only = eku.is_some_and(|e| e.server_auth && !e.client_auth && !e.any);
    if server_only {
        let name = server_name(&x).ok_or("a server certificate without a DNS or IP name")?;
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| e.to_string())?;
        verifier
            .verify_server_cert(leaf, &intermediates, &name, &[], at)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else {
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| e.to_string())?;
        verifier
            .verify_client_cert(leaf, &intermediates, at)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn server_name(x: &X509Certificate<'_>) -> Option<rustls_pki_types::ServerName<'static>> {
    let san = x.subject_alternative_name().ok().flatten()?;
    san.value.general_names.iter().find_map(|n| match n {
        GeneralName::DNSName(d) => rustls_pki_types::ServerName::try_from(d.to_string()).ok(),
        GeneralName::IPAddress(ip) => match ip.len() {
            4 => <[u8; 4]>::try_from(*ip)
                .ok()
                .map(|b| rustls_pki_types::ServerName::IpAddress(std::net::IpAddr::from(b).into())),
            16 => <[u8; 16]>::try_from(*ip)
                .ok()
                .map(|b| rustls_pki_types::ServerName::IpAddress(std::net::IpAddr::from(b).into())),
            _ => None,
        },
        _ => None,
    })
}

/// webpki's error names, told as what to do.
fn explain_chain_error(error: &str) -> String {
    let hint = if error.contains("UnknownIssuer") {
        "no path from the leaf to the CA: another CA issued it, or the file lacks the \
         intermediate CA certificate"
    } else if error.contains("BadSignature") {
        "a signature in the chain does not verify: a certificate was issued by another key of \
         the same name"
    } else if error.contains("Expired") {
        "a certificate of the chain has expired"
    } else if error.contains("NotValidYet") {
        "a certificate of the chain is not valid yet"
    } else if error.contains("InvalidPurpose") {
        "the extended key usage does not allow TLS client authentication"
    } else {
        "the chain is not valid"
    };
    format!("{hint} ({error})")
}

fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// Inspects one DER certificate.
pub fn inspect_der(
    der: &CertificateDer<'_>,
    what: &str,
    now: jiff::Timestamp,
) -> Result<CertificateReport, CertError> {
    let (_, x) = X509Certificate::from_der(der).map_err(|e| CertError::BadCertificate {
        what: what.to_owned(),
        reason: e.to_string(),
    })?;
    let first = |mut it: Box<dyn Iterator<Item = &AttributeTypeAndValue<'_>> + '_>| {
        it.next().and_then(|a| a.as_str().ok()).map(str::to_owned)
    };
    let cn = first(Box::new(x.subject().iter_common_name()));
    let ou = first(Box::new(x.subject().iter_organizational_unit()));
    let not_before = x.validity().not_before.timestamp();
    let not_after = x.validity().not_after.timestamp();
    let days_left = (not_after - now.as_second()).div_euclid(86_400);
    let insi_profile = cn
        .as_deref()
        .and_then(|cn| INSI_PROFILES.iter().copied().find(|p| *p == cn));
    let key_usage = match x.key_usage() {
        Ok(Some(ku)) => ku
            .value
            .to_string()
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let extended_key_usage = match x.extended_key_usage() {
        Ok(Some(eku)) => {
            let e = eku.value;
            let mut out = Vec::new();
            for (set, name) in [
                (e.any, "any"),
                (e.server_auth, "serverAuth"),
                (e.client_auth, "clientAuth"),
                (e.code_signing, "codeSigning"),
                (e.email_protection, "emailProtection"),
                (e.time_stamping, "timeStamping"),
                (e.ocsp_signing, "OCSPSigning"),
            ] {
                if set {
                    out.push(name.to_owned());
                }
            }
            out.extend(e.other.iter().map(|oid| oid.to_id_string()));
            out
        }
        _ => Vec::new(),
    };

    let mut warnings = Vec::new();
    if now.as_second() < not_before {
        warnings.push(format!("not valid before {}", rfc3339(not_before)));
    }
    if days_left < 0 {
        warnings.push(format!(
            "expired on {}: order a new certificate from IGC-Santé",
            rfc3339(not_after)
        ));
    } else if days_left < RENEWAL_WARNING_DAYS {
        warnings.push(format!(
            "expires in {days_left} days ({}): renew it now, renewals take weeks",
            rfc3339(not_after)
        ));
    }
    match (&cn, insi_profile) {
        (_, Some(_)) => {}
        (Some(cn), None) => warnings.push(format!(
            "CN '{cn}' is neither INSI-AUTO nor INSI-MANU: INSi answers DESIR_560 (niveau \
             d'accès insuffisant) to this certificate"
        )),
        (None, None) => warnings
            .push("no CN: INSi requires CN=INSI-AUTO or CN=INSI-MANU (else DESIR_560)".to_owned()),
    }
    if ou.is_none() {
        warnings.push(
            "no OU: in mTLS mode the OU is the structure identifier sent as Emetteur".to_owned(),
        );
    }
    if !key_usage.is_empty() && !key_usage.iter().any(|k| k == "Digital Signature") {
        warnings.push(
            "key usage lacks Digital Signature: TLS client authentication will fail".to_owned(),
        );
    }
    if !extended_key_usage.is_empty()
        && !extended_key_usage
            .iter()
            .any(|k| k == "clientAuth" || k == "any")
    {
        warnings.push(
            "extended key usage lacks clientAuth: TLS client authentication will fail".to_owned(),
        );
    }
    let issuer = x.issuer().to_string();
    if !issuer.to_ascii_uppercase().contains("IGC-SANTE") {
        warnings.push(
            "not issued by IGC-Santé: the real INSi service will refuse it (fine for the \
             simulator)"
                .to_owned(),
        );
    } else if issuer.to_ascii_uppercase().contains("TEST AC") {
        warnings
            .push("IGC-Santé TEST certificate: qualification only, never production".to_owned());
    }

    Ok(CertificateReport {
        format: FileFormat::Der,
        subject: x.subject().to_string(),
        issuer,
        serial: x.raw_serial_as_string(),
        not_before: rfc3339(not_before),
        not_after: rfc3339(not_after),
        days_left,
        cn,
        ou,
        insi_profile,
        key_usage,
        extended_key_usage,
        has_private_key: false,
        chain: Vec::new(),
        certificates: chain_entries(std::slice::from_ref(der), now),
        ca_check: None,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair,
    };

    fn params(cn: &str, ca: bool, days: i64) -> CertificateParams {
        // Midnight UTC, `offset` days from today.
        let day = |offset: i64| {
            let d = jiff::tz::Offset::UTC
                .to_datetime(jiff::Timestamp::now())
                .date()
                .checked_add(jiff::Span::new().days(offset))
                .unwrap();
            rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
        };
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, "TESTBENCH01");
        p.distinguished_name.push(DnType::CommonName, cn);
        p.not_before = day(-10);
        p.not_after = day(days);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        } else {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
        p
    }

    /// Root (valid `root_days`) → intermediate (valid 400 days) → INSI-AUTO leaf, as DER.
    fn chain(root_days: i64) -> [CertificateDer<'static>; 3] {
        let root = CertifiedIssuer::self_signed(
            params("TEST ROOT", true, root_days),
            KeyPair::generate().unwrap(),
        )
        .unwrap();
        let inter = CertifiedIssuer::signed_by(
            params("TEST INTERMEDIATE", true, 400),
            KeyPair::generate().unwrap(),
            &root,
        )
        .unwrap();
        let leaf = params("INSI-AUTO", false, 365)
            .signed_by(&KeyPair::generate().unwrap(), &inter)
            .unwrap();
        [leaf.der().clone(), inter.der().clone(), root.der().clone()]
    }

    fn file(certs: &[CertificateDer<'static>]) -> CertificateFile {
        let pem: String = certs
            .iter()
            .map(|c| {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD.encode(c);
                format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
            })
            .collect();
        CertificateFile::parse(pem.as_bytes(), "test", None).unwrap()
    }

    #[test]
    fn roles_and_issuers_follow_the_signatures_whatever_the_file_order() {
        let [leaf, inter, root] = chain(3000);
        let f = file(&[leaf.clone(), root.clone(), inter.clone()]);
        let r = inspect(&f, "test", jiff::Timestamp::now()).unwrap();
        let roles: Vec<_> = r.certificates.iter().map(|c| c.role).collect();
        assert_eq!(
            roles,
            [ChainRole::Leaf, ChainRole::Root, ChainRole::Intermediate]
        );
        let by: Vec<_> = r.certificates.iter().map(|c| c.issued_by).collect();
        assert_eq!(by, [Some(3), None, Some(2)]);
        // A certificate of another chain is called out.
        let [_, other, _] = chain(3000);
        let f = file(&[leaf, inter, root, other]);
        let r = inspect(&f, "test", jiff::Timestamp::now()).unwrap();
        assert_eq!(r.certificates[3].role, ChainRole::Unrelated);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("[4]") && w.contains("not part")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn a_chain_certificate_expiring_within_90_days_is_warned_about() {
        let [leaf, inter, root] = chain(60);
        let r = inspect(&file(&[leaf, inter, root]), "t", jiff::Timestamp::now()).unwrap();
        let w = r.warnings.join("\n");
        assert!(w.contains("root CA [3]") && w.contains("expires in"), "{w}");
        assert!(!w.contains("intermediate CA [2]"), "{w}");
        // Seen 100 days later: the root has expired.
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 100);
        let [leaf, inter, root] = chain(60);
        let r = inspect(&file(&[leaf, inter, root]), "t", later).unwrap();
        assert!(
            r.warnings
                .iter()
                .any(|w| w.starts_with("root CA [3]") && w.contains("expired on")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn check_chain_says_whether_the_leaf_reaches_the_ca() {
        let [leaf, inter, root] = chain(3000);
        let now = jiff::Timestamp::now();
        let full = file(&[leaf.clone(), inter.clone()]);
        let mut r = inspect(&full, "t", now).unwrap();
        check_chain(&mut r, &full, std::slice::from_ref(&root), "root.pem", now);
        let check = r.ca_check.as_ref().unwrap();
        assert!(check.chains, "{check:?}");
        assert_eq!(check.anchors, ["OU=TESTBENCH01, CN=TEST ROOT"]);
        // The chain ends at the intermediate, whose issuer the file does not hold.
        assert_eq!(r.certificates[1].issued_by, None);
        assert_eq!(r.certificates[1].role, ChainRole::Intermediate);

        // Without the intermediate there is no path.
        let alone = file(&[leaf]);
        let mut r = inspect(&alone, "t", now).unwrap();
        check_chain(&mut r, &alone, &[root], "root.pem", now);
        let check = r.ca_check.unwrap();
        assert!(!check.chains);
        let reason = check.reason.unwrap();
        assert!(
            reason.contains("UnknownIssuer") && reason.contains("intermediate"),
            "{reason}"
        );
    }
}
