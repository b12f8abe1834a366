//! Emulated smart cards for tests and demos: a CPS3-like CPx card and a Vitale 2-like card.
//!
//! A [`Card`] is an ISO 7816-4 core (file tree with FIDs, SFIs and AIDs; SELECT; READ BINARY;
//! GET RESPONSE; T=0 `61xx`/`6Cxx` behaviour) plus, for the CPS3 profile, the IAS-ECC security
//! commands (PIN, MSE, INTERNAL AUTHENTICATE, PSO HASH/CDS/DECIPHER). Cards come from TOML
//! [`Profile`]s in `testdata/cards/`, or from [`cps3::build`] / [`vitale::build`].
//!
//! A card is reached three ways, all through the same APDU bytes:
//! - [`MemoryTransport`]: in-process, implements `apdu::CardTransport` (no pcscd);
//! - [`vpcd::VirtualCard`]: plugged into the vsmartcard vpcd reader of a real pcscd;
//! - [`harness`]: a private, socket-activated pcscd per test process, with reader slots to lease.
//!
//! [`Faults`] inject a card pulled mid-APDU, slow answers, and wrong lengths; a card counts the
//! APDUs and the PIN presentations it received ([`Card::apdus_seen`],
//! [`Card::pin_presentations`]), so that tests can prove a host never re-presents a PIN.
//!
//! ```
//! use apdu::{CardTransport, Command, transceive};
//! use card_emu::{MemoryTransport, vitale};
//!
//! let person = vitale::Beneficiary {
//!     nom: b"MARTIN".to_vec(),
//!     prenom: b"CL\xC9MENCE".to_vec(), // Latin-1
//!     date_naissance: "19850412".into(),
//!     nir: "285047512301263".into(),
//! };
//! let mut card = MemoryTransport::new(vitale::build(&[person], Some(256)));
//! // READ BINARY by SFI 2 at the MF: the identity templates.
//! let ident = apdu::read_binary_sfi(&mut card, 2, 4096).unwrap();
//! assert_eq!(&ident[..4], &[0x65, 0x1C, 0x80, 0x06]);
//! ```
//!
//! The file layouts and which parts are facts or our choices: `docs/cards.md`. Facts come from
//! `shared/reference/CARDS.md` §2–§5. Everything here is TEST material, NOT FOR PRODUCTION.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod card;
pub mod cps3;
pub mod fs;
pub mod harness;
mod memory;
mod pkcs15;
pub mod profile;
pub mod vitale;
pub mod vpcd;

pub use card::{Card, Faults, Outcome, Power};
pub use memory::MemoryTransport;
pub use profile::{Profile, ProfileError};
