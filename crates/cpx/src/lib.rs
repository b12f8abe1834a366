//! The CPx card (CPS3, CPS4 at power-on) over any `apdu::CardTransport`.
//!
//! [`Cpx::open`] checks the ATR ([`detect()`]) and selects the PKCS#15 application; then
//! [`Cpx::info`] reads what needs no PIN (serial number from EF.SN.ICC, certificates found by
//! the PKCS#15 walk ODF → CDF → files, PIN counter), [`Cpx::verify_pin`] presents a [`Pin`] once
//! (never retried: a CPx blocks after 3 wrong PINs), [`Cpx::sign_sha256`] signs with the
//! non-repudiation key (PSO HASH from a host SHA-256 midstate, then PSO CDS) and
//! [`Cpx::authenticate`] signs a DigestInfo with the authentication key (INTERNAL AUTHENTICATE).
//! [`CpxSigner`] wraps an unlocked card as an `xmldsig::Signer`: PS assertions signed by the
//! card (the PIN presented once, in [`CpxSigner::unlock`]; [`CpxSigner::signature`] gives the
//! typed error, [`CpxError::transport`] the card, reader or pcscd failure behind it).
//! The logic is sans-IO apart from the transport: the same code runs on a reader through pcscd
//! and on the `card-emu` emulator in memory.
//!
//! ```no_run
//! use apdu::pcsc::PcscContext;
//! use cpx::{Cpx, Pin};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ctx = PcscContext::establish()?;
//! let reader = ctx.pick_reader(None)?;
//! let mut card = Cpx::open(ctx.connect(&reader)?)?;
//! let info = card.info()?;
//! println!("{} n° {}: {} PIN tries left", info.model.name(), info.serial, info.pin.tries_left);
//! card.verify_pin(&Pin::new("1234")?)?;
//! let signature = card.sign_sha256(b"<SignedInfo>...</SignedInfo>")?;
//! # Ok(()) }
//! ```
//!
//! Facts: `shared/reference/CARDS.md` §2; choices (PIN encoding, FIDs of the emulated card):
//! `docs/cards.md`.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod card;
pub mod cert;
pub mod detect;
mod pin;
pub mod pkcs15;
pub mod sha256;
mod signer;

pub use card::{ANS_ISSUER, CardInfo, Cpx, PKCS15_AID, parse_ef_atr};
pub use cert::{CardCertificate, CertRole};
pub use detect::{CpxModel, detect};
pub use pin::{Pin, PinStatus};
pub use signer::{CpxSigner, Locked};

use apdu::{ApduError, StatusWord, TransportError, tlv::TlvError};
use thiserror::Error;

/// What went wrong with a CPx, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CpxError {
    #[error(transparent)]
    Apdu(#[from] ApduError),
    #[error("the card is not a CPx (ATR {atr}): insert a CPS, CPE or CPA card")]
    NotCpx { atr: String },
    #[error(
        "the CPx is read through its contactless interface, which has no PIN and no signature: insert it in a contact reader"
    )]
    Contactless,
    #[error(
        "EF.SN.ICC does not carry the ANS issuer number 80 25 00 00 01 (found {found}): not an ANS-issued CPx"
    )]
    NotAnsIssued { found: String },
    #[error(
        "wrong PIN: {tries_left} tries left before the card blocks (the PIN is never retried automatically)"
    )]
    WrongPin { tries_left: u8 },
    #[error(
        "the PIN is blocked after too many wrong entries: have the card unblocked (PUK, ANS tools); nothing was retried"
    )]
    PinBlocked,
    #[error("this operation needs the PIN: verify it first")]
    PinRequired,
    #[error("a PIN is 4 to 8 digits")]
    BadPinFormat,
    #[error("{what} failed: card answered {sw}")]
    Card { what: &'static str, sw: StatusWord },
    #[error("malformed {what} on the card: {why}")]
    Malformed {
        what: &'static str,
        why: &'static str,
    },
    #[error("malformed card data: {0}")]
    Tlv(#[from] TlvError),
    #[error("certificate {label:?} on the card cannot be parsed: {why}")]
    Certificate { label: String, why: String },
    #[error(
        "input of {len} bytes for INTERNAL AUTHENTICATE; the card takes 1 to {max} (40 % of the modulus)"
    )]
    InputTooLong { len: usize, max: usize },
}

impl From<TransportError> for CpxError {
    fn from(e: TransportError) -> Self {
        Self::Apdu(ApduError::Transport(e))
    }
}

impl CpxError {
    /// Whether the card was removed: the caller may ask the user to re-insert it.
    pub fn is_card_removed(&self) -> bool {
        self.transport() == Some(&TransportError::CardRemoved)
    }

    /// The transport failure (card removed or reset, pcscd stopped, reader gone…), if that is
    /// what this is.
    pub fn transport(&self) -> Option<&TransportError> {
        match self {
            Self::Apdu(ApduError::Transport(t)) => Some(t),
            _ => None,
        }
    }
}
