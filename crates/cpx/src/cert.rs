//! Certificates read from the card: who, by whom, how long, and what card type.

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::CpxError;

/// GipCardType extension (INSI-PROTOCOL.md §2.5.2): last byte 0 = CPS, 1 = CPF, 2 = CDE-CPE, 3 = CPA.
pub const OID_GIP_CARD_TYPE: &str = "1.2.250.1.71.1.2.2";

/// What a certificate is for, from its PKCS#15 ID (CARDS.md §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum CertRole {
    /// `CPS_PRIV_AUT`, key 0x82: TLS client authentication, decipher.
    Authentication,
    /// `CPS_PRIV_SIG`, key 0x81: non-repudiation signature (PS assertions).
    Signature,
    Other,
}

/// A certificate of the card, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CardCertificate {
    pub role: CertRole,
    pub label: String,
    pub subject: String,
    pub issuer: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    pub serial: String,
    /// `CPS`, `CPF`, `CDE-CPE`, `CPA` from the GipCardType extension; `None` without it.
    pub card_type: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub der: Vec<u8>,
}

fn rfc3339(ts: i64) -> String {
    jiff::Timestamp::from_second(ts)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ts.to_string())
}

/// The NameQualifier value for a GipCardType byte (fallback `CPX`).
pub fn card_type_name(byte: u8) -> &'static str {
    match byte {
        0 => "CPS",
        1 => "CPF",
        2 => "CDE-CPE",
        3 => "CPA",
        _ => "CPX",
    }
}

impl CardCertificate {
    /// Parses a DER certificate read from the card.
    pub fn parse(role: CertRole, label: &str, der: Vec<u8>) -> Result<Self, CpxError> {
        let bad = |why: String| CpxError::Certificate {
            label: label.to_owned(),
            why,
        };
        let (_, c) = X509Certificate::from_der(&der).map_err(|e| bad(e.to_string()))?;
        let card_type = c
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == OID_GIP_CARD_TYPE)
            .and_then(|e| e.value.last())
            .map(|b| card_type_name(*b).to_owned());
        Ok(Self {
            role,
            label: label.to_owned(),
            subject: c.subject().to_string(),
            issuer: c.issuer().to_string(),
            not_before: rfc3339(c.validity().not_before.timestamp()),
            not_after: rfc3339(c.validity().not_after.timestamp()),
            serial: c.raw_serial_as_string(),
            card_type,
            der,
        })
    }

    /// The subject CN (the PS identifier, used as `NameID` in the PS assertion).
    pub fn common_name(&self) -> Option<String> {
        let (_, c) = X509Certificate::from_der(&self.der).ok()?;
        c.subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned)
    }
}
