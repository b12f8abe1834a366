//! CPx mode: the PS assertion that goes into `wsse:Security` (INSI-PROTOCOL.md §2.5.2).
//!
//! The client does not build or sign assertions itself: an [`AssertionProvider`] hands it a
//! signed one per request. The card module (`cpx`) implements it with the CPS signature key;
//! providers may cache an assertion for its validity window (the 2016 GIE kit regenerated after
//! 20 s; the service's tolerance is not public).

use std::fmt;

/// Supplies signed PS assertions (the XML of one `saml:Assertion` element).
///
/// `assertion` is synchronous: card signatures are blocking operations, and the PIN must have
/// been presented once, beforehand, by the card module — never here, never retried (a CPx card
/// blocks after three wrong PINs).
pub trait AssertionProvider: Send + Sync + fmt::Debug {
    fn assertion(&self) -> Result<String, AssertionError>;
}

/// Why no assertion could be produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AssertionError(pub String);
