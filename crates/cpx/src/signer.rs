//! [`CpxSigner`]: the card's non-repudiation key as an `xmldsig::Signer`, so that a PS
//! assertion is signed by the card (DESIGN.md §3 "Trait search, CPx card").
//!
//! The PIN is presented exactly once, in [`CpxSigner::unlock`], with the value the caller asked
//! the user for; it is consumed there (zeroised on drop), never kept, never retried (a CPx blocks
//! after 3 wrong PINs, CARDS.md §2.4). On failure the card is handed back with the error, so the
//! caller can ask the user again — a human decision, not a loop here.

use std::fmt;
use std::sync::Mutex;

use apdu::CardTransport;
use xmldsig::SignError;

use crate::cert::{CardCertificate, CertRole};
use crate::{Cpx, CpxError, Pin};

/// A CPx whose PIN has been verified, signing with key `0x81` (PSO HASH + PSO CDS).
///
/// `xmldsig::Signer::sign` takes `&self`, a card session is `&mut`: the card sits behind a
/// mutex, so one signature runs at a time (a card does one thing at a time anyway).
pub struct CpxSigner<T: CardTransport> {
    card: Mutex<Cpx<T>>,
    certificate: CardCertificate,
}

impl<T: CardTransport> fmt::Debug for CpxSigner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpxSigner")
            .field("card_type", &self.certificate.card_type)
            .finish_non_exhaustive()
    }
}

/// Why a card could not be unlocked, with the card handed back (the session is still open).
pub struct Locked<T: CardTransport> {
    pub error: CpxError,
    pub card: Cpx<T>,
}

impl<T: CardTransport> fmt::Debug for Locked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locked")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T: CardTransport> fmt::Display for Locked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<T: CardTransport> std::error::Error for Locked<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<T: CardTransport> CpxSigner<T> {
    /// Reads the signature certificate (no PIN needed), then presents `pin` once.
    ///
    /// A wrong PIN gives [`CpxError::WrongPin`] with the tries left, a blocked card
    /// [`CpxError::PinBlocked`]; nothing is retried.
    pub fn unlock(mut card: Cpx<T>, pin: Pin) -> Result<CpxSigner<T>, Locked<T>> {
        let certificate = match signature_certificate(&mut card) {
            Ok(c) => c,
            Err(error) => return Err(Locked { error, card }),
        };
        let verified = card.verify_pin(&pin);
        drop(pin);
        if let Err(error) = verified {
            return Err(Locked { error, card });
        }
        Ok(CpxSigner {
            card: Mutex::new(card),
            certificate,
        })
    }

    /// For a card whose PIN the caller has already verified in this session
    /// ([`Cpx::verify_pin`]); refuses with [`CpxError::PinRequired`] otherwise.
    pub fn from_verified(mut card: Cpx<T>) -> Result<CpxSigner<T>, Locked<T>> {
        let certificate = match signature_certificate(&mut card) {
            Ok(c) => c,
            Err(error) => return Err(Locked { error, card }),
        };
        match card.pin_verified() {
            Ok(true) => Ok(CpxSigner {
                card: Mutex::new(card),
                certificate,
            }),
            Ok(false) => Err(Locked {
                error: CpxError::PinRequired,
                card,
            }),
            Err(error) => Err(Locked { error, card }),
        }
    }

    /// The signature certificate, as put in `KeyInfo`.
    pub fn certificate(&self) -> &CardCertificate {
        &self.certificate
    }

    /// Gives the card back (its PIN stays verified until the card is reset or removed).
    pub fn into_card(self) -> Cpx<T> {
        self.card.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

fn signature_certificate<T: CardTransport>(card: &mut Cpx<T>) -> Result<CardCertificate, CpxError> {
    card.certificates()?
        .into_iter()
        .find(|c| c.role == CertRole::Signature)
        .ok_or(CpxError::Malformed {
            what: "certificate directory",
            why: "no signature certificate (key ID ending in 01, CPS_CERT_SIG)",
        })
}

impl<T: CardTransport> CpxSigner<T> {
    /// Signs `data` (RSA PKCS#1 v1.5 over SHA-256, [`Cpx::sign_sha256`]) with the typed error.
    ///
    /// Nothing is retried and the PIN is never presented here: after a removal, a reset or a
    /// pcscd restart the card has lost its PIN state, and the caller must build a new signer
    /// with the PIN the user gives again.
    pub fn signature(&self, data: &[u8]) -> Result<Vec<u8>, CpxError> {
        // A poisoned lock means a signature panicked mid-way: the card state is whatever the
        // card says next, and the APDUs re-select everything they need, so carry on.
        let mut card = self.card.lock().unwrap_or_else(|p| p.into_inner());
        card.sign_sha256(data)
    }
}

impl<T: CardTransport> xmldsig::Signer for CpxSigner<T> {
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        self.signature(data).map_err(|e| {
            // The transport errors say what to do with the card; this adds that the PIN has
            // to be given again, which only the signer knows.
            use apdu::TransportError as T;
            let advice = match e.transport() {
                Some(
                    T::CardRemoved
                    | T::CardReset
                    | T::ServiceStopped
                    | T::ReaderUnavailable
                    | T::NotTransacted,
                ) => " (the card lost its PIN state: the PIN must be given again)",
                Some(_) => "",
                None if e == CpxError::PinRequired => {
                    " (the card lost its PIN state, e.g. after a reset: unlock it again)"
                }
                None => "",
            };
            SignError::Signer(format!("CPx card: {e}{advice}"))
        })
    }

    fn certificate_der(&self) -> &[u8] {
        &self.certificate.der
    }
}
