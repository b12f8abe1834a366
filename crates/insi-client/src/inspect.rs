//! `cert inspect`: what a publisher must know about an establishment certificate before the
//! first call (INSI-PROTOCOL.md §2.5.1): the subject DN to send to the ANS program team, the
//! issuer, how long it stays valid, and whether its CN gives access to INSi.

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
    pub warnings: Vec<String>,
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
    Ok(report)
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
    let rfc3339 = |secs: i64| {
        jiff::Timestamp::from_second(secs)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| secs.to_string())
    };
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
        warnings,
    })
}
