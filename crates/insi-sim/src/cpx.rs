//! CPx host: verification of the PS assertion carried in `wsse:Security` (INSI-PROTOCOL.md
//! §2.5.2): signature and certificate chain to the configured CPx CA (`xmldsig`), the
//! `NameQualifier` card type, `NameID` = the signature certificate's CN, and freshness of
//! `IssueInstant`.
//!
//! The real service's tolerance for an assertion's age is not public: clients regenerate after
//! 20 s (GIE kit) or keep one for an hour (a captured one "expires after 1h"). We accept up to one
//! hour old and five minutes in the future ([G], `docs/simulator.md`).
//!
//! A client keeping one assertion sends the same bytes with every request: [`cache`] keeps what
//! their verification established (by the SHA-256 of the bytes), so the XML-DSig signature and
//! chain are checked once per distinct assertion; its age is still judged on every request.

pub mod cache;

use std::sync::Arc;
use std::time::Duration;

use insi_soap::{PsAssertion, RawAssertion};

use self::cache::{CacheStats, Verified, VerifiedCache};
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

/// How many distinct verified assertions a [`CpxVerifier`] keeps (about 200 bytes each): far
/// more than the PS of one test run.
pub const CACHE_CAPACITY: usize = 1024;

/// Verifies PS assertions against trusted CPx CAs. Clones share one cache of verified
/// assertions.
#[derive(Clone, Debug)]
pub struct CpxVerifier {
    verifier: xmldsig::Verifier,
    /// Oldest accepted `IssueInstant`, relative to now.
    pub max_age: Duration,
    /// Furthest accepted `IssueInstant` in the future (clock skew).
    pub max_skew: Duration,
    cache: Arc<VerifiedCache>,
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
            cache: Arc::new(VerifiedCache::new(CACHE_CAPACITY)),
        })
    }

    /// The same trust with a cache of at most `capacity` assertions (0: verify every time).
    pub fn with_cache_capacity(mut self, capacity: usize) -> CpxVerifier {
        self.cache = Arc::new(VerifiedCache::new(capacity));
        self
    }

    /// Hits, misses and entries of the cache of verified assertions.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Checks the first assertion of `wsse:Security`; the error says what was wrong.
    pub fn verify(&self, assertions: &[RawAssertion]) -> Result<PsIdentity, String> {
        self.verify_at(assertions, jiff::Timestamp::now())
    }

    /// [`CpxVerifier::verify`] with the clock at `now` (tests, replays): the assertion's age,
    /// the certificates' validity and the cache entry's window are judged at that time.
    pub fn verify_at(
        &self,
        assertions: &[RawAssertion],
        now: jiff::Timestamp,
    ) -> Result<PsIdentity, String> {
        let Some(raw) = assertions.first() else {
            return Err("no saml:Assertion in wsse:Security (the CPx host requires one)".into());
        };
        let xml = raw.standalone();
        let digest = VerifiedCache::digest(xml.as_bytes());
        if let Some(hit) = self.cache.get(&digest, now) {
            self.check_fresh(hit.issued, now)?;
            return Ok(hit.identity);
        }
        let verified = self.verify_signed(&xml, now)?;
        self.check_fresh(verified.issued, now)?;
        let identity = verified.identity.clone();
        self.cache.insert(digest, verified);
        Ok(identity)
    }

    /// Everything that depends on the bytes and the trust anchors: signature and chain (valid at
    /// `now`), card type, NameID, a readable IssueInstant.
    fn verify_signed(&self, xml: &str, now: jiff::Timestamp) -> Result<Verified, String> {
        let verified = self
            .verifier
            .clone()
            .at_time(now.as_second())
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
        Ok(Verified {
            identity: PsIdentity {
                name_id: assertion.name_id,
                name_qualifier: assertion.name_qualifier,
            },
            issued,
            verified_at: now,
            chain_not_after: verified.chain_not_after,
        })
    }

    /// The assertion's age at `now`: at most [`CpxVerifier::max_age`] old, at most
    /// [`CpxVerifier::max_skew`] ahead.
    fn check_fresh(&self, issued: jiff::Timestamp, now: jiff::Timestamp) -> Result<(), String> {
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
        Ok(())
    }
}
