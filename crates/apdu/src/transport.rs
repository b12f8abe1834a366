//! The one trait every card module talks to (DESIGN.md §2: "one transport trait for cards").

use thiserror::Error;

/// Something that carries APDUs to a card and back: a PC/SC reader ([`crate::pcsc::PcscCard`]),
/// or the in-memory emulator of the `card-emu` crate.
///
/// `transmit` sends one raw command APDU and returns the raw response (data ‖ SW1 SW2) unchanged:
/// T=0 procedures (61xx, 6Cxx) are the caller's business, see [`crate::transceive`].
pub trait CardTransport {
    /// The card's Answer To Reset, as last seen.
    fn atr(&self) -> &[u8];
    /// Sends one command APDU, returns the response APDU.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: CardTransport + ?Sized> CardTransport for &mut T {
    fn atr(&self) -> &[u8] {
        (**self).atr()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    fn atr(&self) -> &[u8] {
        (**self).atr()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
}

/// Why an APDU did not make the round trip.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    #[error("the card was removed during the exchange: insert it again and retry the operation")]
    CardRemoved,
    #[error(
        "the card was reset (by another application or a power cycle): the session was reconnected \
         but its state (selected file, verified PIN) is lost; start the operation again"
    )]
    CardReset,
    #[error("the card did not answer in time: check the reader, or remove and re-insert the card")]
    Timeout,
    #[error(
        "the PC/SC service (pcscd) stopped during the exchange: restart it (`systemctl restart \
         pcscd`, or `pcscd -f`), then start the operation again; the card lost its state \
         (verified PIN)"
    )]
    ServiceStopped,
    #[error(
        "the reader is not available any more (unplugged, or its driver failed): plug it back in, \
         insert the card and start the operation again (`insi-bench card list` shows the readers)"
    )]
    ReaderUnavailable,
    #[error(
        "the reader could not exchange the command with the card (card removed or reader fault): \
         check that the card is inserted, re-insert it and start the operation again"
    )]
    NotTransacted,
    #[error(
        "the card answered with {len} bytes, which is not a response APDU (at least SW1 SW2 expected)"
    )]
    Malformed { len: usize },
    #[error("{what}: {detail}")]
    Other { what: &'static str, detail: String },
}
