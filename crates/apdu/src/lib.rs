//! APDUs and the card transport, the bottom of the card stack.
//!
//! A card module builds a [`Command`], hands it to [`transceive`] with any [`CardTransport`], and
//! gets a [`Response`] (data + [`StatusWord`]) back with the T=0 procedures already done:
//! `6Cxx` re-issued with the right Le, `61xx` data fetched by GET RESPONSE in chunks of at most
//! [`T0_MAX_CHUNK`] bytes. [`read_binary`] / [`read_binary_sfi`] read whole transparent files.
//! Card data is decoded with the bounded BER-TLV codec in [`tlv`]; ATRs are recognised with
//! [`AtrPattern`] (value + mask).
//!
//! Transports: [`pcsc::PcscCard`] talks to a reader through pcscd ([`pcsc::PcscContext`] lists
//! readers and waits for cards with `SCardGetStatusChange`); the `card-emu` crate provides an
//! in-memory emulated card. The same card code runs on both.
//!
//! ```
//! use apdu::{CardTransport, Command, StatusWord, TransportError, transceive};
//!
//! /// A card that answers everything in two T=0 steps: `61 03`, then 3 bytes + `90 00`.
//! struct Lazy(u8);
//! impl CardTransport for Lazy {
//!     fn atr(&self) -> &[u8] { &[0x3B, 0x00] }
//!     fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
//!         self.0 += 1;
//!         Ok(if apdu[1] == 0xC0 { vec![1, 2, 3, 0x90, 0] } else { vec![0x61, 3] })
//!     }
//! }
//!
//! let mut card = Lazy(0);
//! let r = transceive(&mut card, &Command::new(0, 0xCA, 0, 0).with_le(256)).unwrap();
//! assert_eq!((r.data.as_slice(), r.sw), (&[1, 2, 3][..], StatusWord::OK));
//! assert_eq!(card.0, 2); // the command, then one GET RESPONSE
//! ```
//!
//! Facts (T=0 behaviour of pcscd, chunk size, status words) come from
//! `shared/reference/CARDS.md` §2.5 and §4.4.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod atr;
mod command;
pub mod hex;
pub mod pcsc;
mod response;
mod status;
mod t0;
pub mod tlv;
mod transport;

pub use atr::AtrPattern;
pub use command::{Case, Command, EXTENDED_MAX, SHORT_MAX_DATA, SHORT_MAX_LE};
pub use response::Response;
pub use status::StatusWord;
pub use t0::{
    MAX_OFFSET, MAX_RESPONSE, T0_MAX_CHUNK, read_binary, read_binary_sfi, transceive,
    transceive_chunked,
};
pub use transport::{CardTransport, TransportError};

use thiserror::Error;

/// Errors of the APDU layer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApduError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("the card sent {len} bytes, which is not a response APDU (SW1 SW2 missing)")]
    MalformedResponse { len: usize },
    #[error("malformed command APDU ({len} bytes): {why}")]
    MalformedCommand { why: &'static str, len: usize },
    #[error("command data field of {len} bytes exceeds the 65 535 bytes of an extended APDU")]
    CommandTooLong { len: usize },
    #[error("Le {le} is out of range (1..=65536)")]
    BadLe { le: usize },
    #[error("short file identifier {sfi} is out of range (1..=30)")]
    BadSfi { sfi: u8 },
    #[error("{what} failed: card answered {sw}")]
    Status { what: &'static str, sw: StatusWord },
    #[error(
        "the card's answer exceeds {limit} bytes; refusing to read further (corrupt card or wrong file?)"
    )]
    ResponseTooLong { limit: usize },
    #[error("the card keeps answering {sw} to GET RESPONSE without sending data")]
    T0Stalled { sw: StatusWord },
}
