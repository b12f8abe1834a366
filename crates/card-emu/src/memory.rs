//! The in-memory transport: the emulated card in the same process, no pcscd.

use apdu::{CardTransport, TransportError};

use crate::card::{Card, Outcome, Power};

/// An emulated card behind [`CardTransport`]; the fast test tier.
///
/// Faults act as on a reader: once the card is pulled, every APDU fails with
/// [`TransportError::CardRemoved`] until [`MemoryTransport::reinsert`].
#[derive(Debug)]
pub struct MemoryTransport {
    card: Card,
    atr: Vec<u8>,
    removed: bool,
    /// APDUs exchanged, for tests that count round trips.
    pub apdus: usize,
}

impl MemoryTransport {
    /// Inserts `card` (powers it on).
    pub fn new(mut card: Card) -> Self {
        card.power(Power::On);
        let atr = card.atr().to_vec();
        Self {
            card,
            atr,
            removed: false,
            apdus: 0,
        }
    }

    pub fn card(&self) -> &Card {
        &self.card
    }

    pub fn card_mut(&mut self) -> &mut Card {
        &mut self.card
    }

    /// Pulls the card out now.
    pub fn pull(&mut self) {
        self.removed = true;
    }

    /// Puts the card back: a new insertion, volatile state lost, faults cleared.
    pub fn reinsert(&mut self) {
        self.card.faults = Default::default();
        self.card.power(Power::On);
        self.removed = false;
    }

    /// Takes the card back.
    pub fn into_card(self) -> Card {
        self.card
    }
}

impl CardTransport for MemoryTransport {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.removed {
            return Err(TransportError::CardRemoved);
        }
        self.apdus += 1;
        if let Some(d) = self.card.faults.slow {
            std::thread::sleep(d);
        }
        match self.card.process(apdu) {
            Outcome::Reply(r) => Ok(r),
            Outcome::Pulled => {
                self.removed = true;
                Err(TransportError::CardRemoved)
            }
        }
    }
}
