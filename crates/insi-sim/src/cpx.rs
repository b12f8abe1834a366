//! CPx host: verification of the PS assertion carried in `wsse:Security` (INSI-PROTOCOL.md
//! §2.5.2): signature and certificate chain to the configured CPx CA (`xmldsig`), the
//! `NameQualifier` card type, `NameID` = the signature certificate's CN, and freshness of
//! `IssueInstant`.
//!
//! The real service's tolerance for an assertion's age is not public: clients regenerate after
//! 20 s (GIE kit) or keep one for an hour (a captured one "expires after 1h"). We accept up to one
//! hour old and five minutes in the future ([G], `docs/simulator.md`).

use std::time::Duration;

use insi_soap::{PsAssertion, RawAssertion};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Card types accepted in `Subject/NameID/@NameQualifier` (§2.5.2).
/// The CA of the shipped emulated CPx cards (`testdata/cards/cpx-ca.pem`, test material, NOT FOR
/// PRODUCTION): simulators started by insi-bench trust it next to their own CPx CA, so that the
/// emulated cards of packages and `card emulate` are accepted.
pub const SHIPPED_CARD_CA_PEM: &str = include_str!("../../../testdata/cards/cpx-ca.pem");

/// The practice attributes the simulator's test PS uses in its assertions
/// (`identifiantFacturation`, `secteurActivite`; INSI-PROTOCOL.md §2.5.2): test values of ours,
/// for runs against the simulator. A real PS gives their own.
pub fn test_ps_attributes() -> insi_soap::PsAttributes {
    insi_soap::PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA05".into(),
    }
}

pub const NAME_QUALIFIERS: [&str; 5] = ["CPS", "CPF", "CDE-CPE", "CPA", "CPX"];

/// Who a valid assertion authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsIdentity {
    pub name_id: String,
    pub name_qualifier: String,
}

/// Verifies PS assertions against trusted CPx CAs.
#[derive(Clone, Debug)]
pub struct CpxVerifier {
    verifier: xmldsig::Verifier,
    /// Oldest accepted `IssueInstant`, relative to now.
    pub max_age: Duration,
    /// Furthest accepted `IssueInstant` in the future (clock skew).
    pub max_skew: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum CpxError {
    #[error("CPx CA: {0}")]
    Ca(String),
}

impl CpxVerifier {
    /// Trusts the CA certificates of `ca_pem` (one or several PEM blocks).
    pub fn new(ca_pem: &str) -> Result<CpxVerifier, CpxError> {
        let anchors: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(ca_pem.as_bytes())
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|e| CpxError::Ca(e.to_string()))?;
        if anchors.is_empty() {
            return Err(CpxError::Ca(
                "no CERTIFICATE block in the CPx CA file".into(),
            ));
        }
        let verifier = xmldsig::Verifier::new(anchors).map_err(|e| CpxError::Ca(e.to_string()))?;
        Ok(CpxVerifier {
            verifier,
            max_age: Duration::from_secs(3600),
            max_skew: Duration::from_secs(300),
        })
    }

    /// Checks the first assertion of `wsse:Security`; the error says what was wrong.
    pub fn verify(&self, assertions: &[RawAssertion]) -> Result<PsIdentity, String> {
        let Some(raw) = assertions.first() else {
            return Err("no saml:Assertion in wsse:Security (the CPx host requires one)".into());
        };
        let xml = raw.standalone();
        let verified = self
            .verifier
            .verify(xml.as_bytes())
            .map_err(|e| format!("signature: {e}"))?;
        let assertion =
            PsAssertion::decode(xml.as_bytes()).map_err(|e| format!("assertion: {e}"))?;
        if !NAME_QUALIFIERS.contains(&assertion.name_qualifier.as_str()) {
            return Err(format!(
                "NameQualifier '{}' is not a card type ({})",
                assertion.name_qualifier,
                NAME_QUALIFIERS.join(", ")
            ));
        }
        let cn = x509_parser::parse_x509_certificate(&verified.signer_certificate)
            .ok()
            .and_then(|(_, c)| {
                c.subject()
                    .iter_common_name()
                    .find_map(|a| a.as_str().ok().map(str::to_owned))
            })
            .unwrap_or_default();
        if assertion.name_id != cn {
            return Err(format!(
                "NameID '{}' is not the signature certificate's CN '{cn}'",
                assertion.name_id
            ));
        }
        let issued: jiff::Timestamp = assertion.issue_instant.parse().map_err(|_| {
            format!(
                "IssueInstant '{}' is not an ISO 8601 UTC time",
                assertion.issue_instant
            )
        })?;
        let now = jiff::Timestamp::now();
        let age = now.as_millisecond() - issued.as_millisecond();
        if age > self.max_age.as_millis() as i64 {
            return Err(format!(
                "assertion issued {} s ago, older than the {} s accepted",
                age / 1000,
                self.max_age.as_secs()
            ));
        }
        if -age > self.max_skew.as_millis() as i64 {
            return Err(format!(
                "assertion issued {} s in the future (clock skew over {} s)",
                -age / 1000,
                self.max_skew.as_secs()
            ));
        }
        Ok(PsIdentity {
            name_id: assertion.name_id,
            name_qualifier: assertion.name_qualifier,
        })
    }
}
