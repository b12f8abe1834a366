//! CPx mode: the PS assertion that goes into `wsse:Security` (INSI-PROTOCOL.md §2.5.2).
//!
//! The client asks an [`AssertionProvider`] for a signed assertion per request.
//! [`SignedAssertions`] is the provider for anything that implements `xmldsig::Signer`: the CPx
//! card (module `cpx`) or a software RSA key (`xmldsig::RsaSoftwareSigner`, for tests and
//! demos). It builds the assertion with the codec (`insi_soap::PsAssertion`) from the signature
//! certificate and caches it for a validity window, so that a card signs once per window, not
//! once per call.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use insi_soap::{PsAssertion, PsAttributes, RawAssertion};

/// Supplies signed PS assertions for `wsse:Security`.
///
/// `assertion` is synchronous: card signatures are blocking operations, and the PIN must have
/// been presented once, beforehand, by the card module — never here, never retried (a CPx card
/// blocks after three wrong PINs).
pub trait AssertionProvider: Send + Sync + fmt::Debug {
    fn assertion(&self) -> Result<RawAssertion, AssertionError>;
}

/// Why no assertion could be produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AssertionError(pub String);

/// How long a signed assertion is reused. The 2016 GIE kit regenerated after 20 s; a captured
/// assertion was said to expire after 1 h; the service's tolerance is not public (§2.5.2), so
/// we stay with the conservative 20 s.
pub const DEFAULT_ASSERTION_VALIDITY: Duration = Duration::from_secs(20);

/// Signs PS assertions with an `xmldsig::Signer` and reuses each for `validity`.
pub struct SignedAssertions<S> {
    signer: S,
    attributes: PsAttributes,
    validity: Duration,
    cache: Mutex<Option<(Instant, RawAssertion)>>,
}

impl<S> fmt::Debug for SignedAssertions<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedAssertions")
            .field("validity", &self.validity)
            .finish_non_exhaustive()
    }
}

impl<S: xmldsig::Signer> SignedAssertions<S> {
    pub fn new(signer: S, attributes: PsAttributes) -> SignedAssertions<S> {
        SignedAssertions {
            signer,
            attributes,
            validity: DEFAULT_ASSERTION_VALIDITY,
            cache: Mutex::new(None),
        }
    }

    /// Reuse window of a signed assertion (`Duration::ZERO`: sign every request).
    pub fn with_validity(mut self, validity: Duration) -> Self {
        self.validity = validity;
        self
    }

    fn sign_fresh(&self) -> Result<RawAssertion, AssertionError> {
        let assertion = PsAssertion::from_certificate(
            self.signer.certificate_der(),
            self.attributes.clone(),
            uuid::Uuid::new_v4(),
            jiff::Timestamp::now(),
        )
        .map_err(|e| AssertionError(format!("cannot build the PS assertion: {e}")))?;
        assertion
            .sign(&self.signer)
            .map_err(|e| AssertionError(format!("cannot sign the PS assertion: {e}")))
    }
}

impl<S: xmldsig::Signer + Send + Sync> AssertionProvider for SignedAssertions<S> {
    fn assertion(&self) -> Result<RawAssertion, AssertionError> {
        // A poisoned lock only means another thread panicked while holding a cached value:
        // the cache is still a plain Option, safe to reuse.
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((signed_at, raw)) = cache.as_ref()
            && signed_at.elapsed() < self.validity
        {
            return Ok(raw.clone());
        }
        let raw = self.sign_fresh()?;
        *cache = Some((Instant::now(), raw.clone()));
        Ok(raw)
    }
}
