//! [`CardTransport`] over PC/SC (the `pcsc` crate, libpcsclite, pcscd).
//!
//! Waiting is done with `SCardGetStatusChange`, never with sleeps (CARDS.md §4.6 pitfall 3).
//! Connections are shared and accept T=0 or T=1; pcscd picks the protocol from the ATR.

use std::ffi::CString;
use std::time::{Duration, Instant};

use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use thiserror::Error;

use crate::{CardTransport, TransportError};

/// Why a PC/SC operation failed, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PcscError {
    #[error(
        "the PC/SC service (pcscd) is not running or not reachable: start it (`systemctl start \
         pcscd.socket`, or `pcscd -f`), or point PCSCLITE_CSOCK_NAME at the right socket"
    )]
    NoService,
    #[error("no smart-card reader is connected: plug one in (or start a virtual reader)")]
    NoReaders,
    #[error("reader {reader:?} not found; connected readers: {known}")]
    UnknownReader { reader: String, known: String },
    #[error("no card in reader {reader:?}: insert a card")]
    NoCard { reader: String },
    #[error("no card was inserted in reader {reader:?} within {secs} s")]
    WaitTimeout { reader: String, secs: u64 },
    #[error(
        "the card in reader {reader:?} is used exclusively by another application: close it and retry"
    )]
    Sharing { reader: String },
    #[error(
        "the card in reader {reader:?} does not answer (mute or unpowered): re-insert it, or it is not a smart card"
    )]
    Mute { reader: String },
    #[error("the card was removed from reader {reader:?}: insert it again")]
    Removed { reader: String },
    #[error(
        "the card in reader {reader:?} was reset by another application: its state (verified \
         PIN) is lost; start the operation again"
    )]
    Reset { reader: String },
    #[error(
        "reader {reader:?} is not available (unplugged, or its driver failed): plug it back in, \
         insert the card and start again (`insi-bench card list` shows the readers)"
    )]
    ReaderUnavailable { reader: String },
    #[error("reader name {0:?} contains a NUL byte")]
    BadReaderName(String),
    #[error("PC/SC {what} failed: {source}")]
    Other {
        what: &'static str,
        #[source]
        source: pcsc::Error,
    },
}

impl PcscError {
    fn from_pcsc(what: &'static str, reader: &str, e: pcsc::Error) -> Self {
        let reader = reader.to_owned();
        match e {
            pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::CommError => {
                Self::NoService
            }
            pcsc::Error::NoReadersAvailable => Self::NoReaders,
            pcsc::Error::NoSmartcard => Self::NoCard { reader },
            pcsc::Error::SharingViolation => Self::Sharing { reader },
            pcsc::Error::UnresponsiveCard
            | pcsc::Error::UnpoweredCard
            | pcsc::Error::UnsupportedCard => Self::Mute { reader },
            pcsc::Error::RemovedCard => Self::Removed { reader },
            pcsc::Error::ResetCard => Self::Reset { reader },
            // A reader being removed, in error, or gone since it was listed.
            pcsc::Error::ReaderUnavailable | pcsc::Error::UnknownReader => {
                Self::ReaderUnavailable { reader }
            }
            source => Self::Other { what, source },
        }
    }
}

/// A reader and what is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderInfo {
    pub name: String,
    /// The ATR when a card is present.
    pub atr: Option<Vec<u8>>,
    /// Another application holds the card exclusively.
    pub exclusive: bool,
}

/// A PC/SC context: lists readers, waits for cards, connects.
pub struct PcscContext {
    ctx: Context,
}

impl std::fmt::Debug for PcscContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscContext").finish_non_exhaustive()
    }
}

fn cname(reader: &str) -> Result<CString, PcscError> {
    CString::new(reader).map_err(|_| PcscError::BadReaderName(reader.to_owned()))
}

impl PcscContext {
    /// Connects to pcscd (user scope).
    pub fn establish() -> Result<Self, PcscError> {
        let ctx = Context::establish(Scope::User)
            .map_err(|e| PcscError::from_pcsc("establish", "", e))?;
        Ok(Self { ctx })
    }

    /// Reader names; empty when none is connected.
    pub fn reader_names(&self) -> Result<Vec<String>, PcscError> {
        match self.ctx.list_readers_owned() {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(PcscError::from_pcsc("list readers", "", e)),
        }
    }

    /// Every reader with the ATR of its card, read from the reader state (no connection made).
    pub fn readers(&self) -> Result<Vec<ReaderInfo>, PcscError> {
        let names = self.reader_names()?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut states = names
            .iter()
            .map(|n| cname(n).map(|c| ReaderState::new(c, State::UNAWARE)))
            .collect::<Result<Vec<_>, _>>()?;
        self.ctx
            .get_status_change(Duration::ZERO, &mut states)
            .map_err(|e| PcscError::from_pcsc("get status", "", e))?;
        Ok(names
            .into_iter()
            .zip(states)
            .map(|(name, s)| {
                let ev = s.event_state();
                let present = ev.contains(State::PRESENT) && !ev.contains(State::MUTE);
                ReaderInfo {
                    name,
                    atr: present.then(|| s.atr().to_vec()),
                    exclusive: ev.contains(State::EXCLUSIVE),
                }
            })
            .collect())
    }

    /// The reader to use: `wanted`, or the only/first reader with a card when `None`.
    pub fn pick_reader(&self, wanted: Option<&str>) -> Result<String, PcscError> {
        let readers = self.readers()?;
        if readers.is_empty() {
            return Err(PcscError::NoReaders);
        }
        match wanted {
            Some(w) => readers
                .iter()
                .find(|r| r.name == w)
                .map(|r| r.name.clone())
                .ok_or_else(|| PcscError::UnknownReader {
                    reader: w.to_owned(),
                    known: readers
                        .iter()
                        .map(|r| format!("{:?}", r.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            None => readers
                .iter()
                .find(|r| r.atr.is_some())
                .map(|r| r.name.clone())
                .ok_or_else(|| PcscError::NoCard {
                    reader: readers[0].name.clone(),
                }),
        }
    }

    /// Waits until `reader` holds a card, and returns its ATR.
    pub fn wait_for_card(&self, reader: &str, timeout: Duration) -> Result<Vec<u8>, PcscError> {
        self.wait_for(reader, timeout, |present, _| present)
            .map(|(atr, _)| atr)
    }

    /// [`PcscContext::wait_for_card`], also returning the reader's event count: how many card
    /// insertions and removals pcscd's event thread has announced (16 bits, wrapping).
    pub fn wait_for_card_counted(
        &self,
        reader: &str,
        timeout: Duration,
    ) -> Result<(Vec<u8>, u32), PcscError> {
        self.wait_for(reader, timeout, |present, _| present)
    }

    /// The reader's event count now, and whether it holds a card (one status query, no wait).
    pub fn event_count(&self, reader: &str) -> Result<(bool, u32), PcscError> {
        // From the UNAWARE state pcscd answers at once with the reader's current state.
        self.wait_for(reader, Duration::from_secs(1), |_, _| true)
            .map(|(atr, count)| (!atr.is_empty(), count))
    }

    /// Waits until `reader` is empty.
    pub fn wait_for_removal(&self, reader: &str, timeout: Duration) -> Result<(), PcscError> {
        self.wait_for(reader, timeout, |present, _| !present)
            .map(|_| ())
    }

    /// Waits until `reader` is empty *and* pcscd's event thread has announced an event since it
    /// counted `count`. The reader state alone may say "empty" first: pcsc-lite 1.9.9's
    /// `SCardDisconnect` of a card that was pulled sets it before the event thread has polled,
    /// and a card inserted in that window is never announced (docs/cards.md §6).
    pub fn wait_for_removal_since(
        &self,
        reader: &str,
        count: u32,
        timeout: Duration,
    ) -> Result<(), PcscError> {
        self.wait_for(reader, timeout, |present, now| !present && now != count)
            .map(|_| ())
    }

    /// Waits until `done(card present, event count)`; returns the ATR (empty without a card)
    /// and the event count.
    fn wait_for(
        &self,
        reader: &str,
        timeout: Duration,
        done: impl Fn(bool, u32) -> bool,
    ) -> Result<(Vec<u8>, u32), PcscError> {
        let deadline = Instant::now() + timeout;
        let mut states = [ReaderState::new(cname(reader)?, State::UNAWARE)];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.ctx.get_status_change(left, &mut states) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) => {
                    return Err(PcscError::WaitTimeout {
                        reader: reader.to_owned(),
                        secs: timeout.as_secs(),
                    });
                }
                Err(e) => return Err(PcscError::from_pcsc("wait for card", reader, e)),
            }
            let ev = states[0].event_state();
            if ev.contains(State::UNKNOWN) {
                return Err(PcscError::UnknownReader {
                    reader: reader.to_owned(),
                    known: String::new(),
                });
            }
            let is_present = ev.contains(State::PRESENT) && !ev.contains(State::MUTE);
            let count = states[0].event_count();
            if done(is_present, count) {
                let atr = if is_present {
                    states[0].atr().to_vec()
                } else {
                    Vec::new()
                };
                return Ok((atr, count));
            }
            states[0].sync_current_state();
        }
    }

    /// Waits until at least `count` readers are connected (pcscd's PnP notification, no polling).
    pub fn wait_for_readers(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<String>, PcscError> {
        let deadline = Instant::now() + timeout;
        let mut pnp = [ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)];
        loop {
            let names = self.reader_names()?;
            if names.len() >= count {
                return Ok(names);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.ctx.get_status_change(left, &mut pnp) {
                Ok(()) => pnp[0].sync_current_state(),
                Err(pcsc::Error::Timeout) => {
                    return Err(PcscError::WaitTimeout {
                        reader: format!("{count} readers (have {})", names.len()),
                        secs: timeout.as_secs(),
                    });
                }
                Err(e) => return Err(PcscError::from_pcsc("wait for readers", "", e)),
            }
        }
    }

    /// Connects to the card in `reader` (shared, T=0 or T=1).
    pub fn connect(&self, reader: &str) -> Result<PcscCard, PcscError> {
        let name = cname(reader)?;
        let card = self
            .ctx
            .connect(&name, ShareMode::Shared, Protocols::T0 | Protocols::T1)
            .map_err(|e| PcscError::from_pcsc("connect", reader, e))?;
        let mut c = PcscCard {
            card,
            reader: reader.to_owned(),
            atr: Vec::new(),
        };
        c.refresh_atr()?;
        Ok(c)
    }
}

/// A connected card; implements [`CardTransport`].
pub struct PcscCard {
    card: pcsc::Card,
    reader: String,
    atr: Vec<u8>,
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscCard")
            .field("reader", &self.reader)
            .field("atr", &self.atr)
            .finish()
    }
}

impl PcscCard {
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// "T=0" or "T=1", as negotiated by pcscd.
    pub fn protocol(&self) -> Option<&'static str> {
        match self.card.status2_owned().ok()?.protocol2()? {
            pcsc::Protocol::T0 => Some("T=0"),
            pcsc::Protocol::T1 => Some("T=1"),
            pcsc::Protocol::RAW => Some("raw"),
        }
    }

    fn refresh_atr(&mut self) -> Result<(), PcscError> {
        let st = self
            .card
            .status2_owned()
            .map_err(|e| PcscError::from_pcsc("status", &self.reader, e))?;
        self.atr = st.atr().to_vec();
        Ok(())
    }

    /// Reconnects after a reset (or to reset the card when `reset` is true).
    pub fn reconnect(&mut self, reset: bool) -> Result<(), PcscError> {
        let how = if reset {
            Disposition::ResetCard
        } else {
            Disposition::LeaveCard
        };
        self.card
            .reconnect(ShareMode::Shared, Protocols::T0 | Protocols::T1, how)
            .map_err(|e| PcscError::from_pcsc("reconnect", &self.reader, e))?;
        self.refresh_atr()
    }

    /// Disconnects, leaving the card powered for the next application.
    pub fn disconnect(self) {
        // A failed disconnect leaves nothing for us to do: pcscd releases the handle when the
        // context goes away.
        let _ = self.card.disconnect(Disposition::LeaveCard);
    }
}

impl CardTransport for PcscCard {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        match self.card.transmit(apdu, &mut buf) {
            Ok(r) if r.len() >= 2 => Ok(r.to_vec()),
            // pcscd hands back an empty answer when the card went away mid-APDU (vpcd connection
            // closed before the reply) and notices the removal only at its next poll: treat
            // "no bytes at all" as removal, which is what the user has to act on.
            Ok([]) => Err(TransportError::CardRemoved),
            Ok(r) => Err(TransportError::Malformed { len: r.len() }),
            Err(pcsc::Error::ResetCard) => {
                // Another application (or a power glitch) reset the card: reconnect so the next
                // operation can run, but never replay this one (the PIN state is gone).
                match self.reconnect(false) {
                    Ok(()) => Err(TransportError::CardReset),
                    Err(e) => Err(reconnect_error(e)),
                }
            }
            Err(e) => Err(transmit_error(e)),
        }
    }
}

/// What a failed `SCardTransmit` means for the caller, one typed error per thing to do.
/// `ResetCard` is handled by the caller (it reconnects first).
fn transmit_error(e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard => TransportError::CardRemoved,
        pcsc::Error::ResetCard => TransportError::CardReset,
        pcsc::Error::Timeout => TransportError::Timeout,
        // libpcsclite answers COMM_ERROR when pcscd's socket closes mid-call (winscard_msg.c:
        // "peer closed the socket"), NO_SERVICE when it cannot reach pcscd at all.
        pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::CommError => {
            TransportError::ServiceStopped
        }
        // pcscd's answers for a handle whose reader is gone or in error (readerfactory.c).
        pcsc::Error::ReaderUnavailable | pcsc::Error::UnknownReader => {
            TransportError::ReaderUnavailable
        }
        // The driver failed the exchange (ifdwrapper.c maps IFD errors to it); with vpcd, an
        // APDU sent after the emulator dropped the connection but before pcscd's next poll.
        pcsc::Error::NotTransacted => TransportError::NotTransacted,
        e => TransportError::Other {
            what: "PC/SC transmit",
            detail: e.to_string(),
        },
    }
}

/// Why the reconnection after a reset failed, as a transport error.
fn reconnect_error(e: PcscError) -> TransportError {
    match e {
        PcscError::NoCard { .. } | PcscError::Removed { .. } => TransportError::CardRemoved,
        PcscError::NoService => TransportError::ServiceStopped,
        PcscError::ReaderUnavailable { .. } => TransportError::ReaderUnavailable,
        e => TransportError::Other {
            what: "PC/SC reconnect after reset",
            detail: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every PC/SC status a session can end with has its own error (and advice).
    #[test]
    fn pcsc_statuses_map_to_distinct_transport_errors() {
        use TransportError as T;
        let cases = [
            (pcsc::Error::RemovedCard, T::CardRemoved),
            (pcsc::Error::NoSmartcard, T::CardRemoved),
            (pcsc::Error::ResetCard, T::CardReset),
            (pcsc::Error::Timeout, T::Timeout),
            (pcsc::Error::NoService, T::ServiceStopped),
            (pcsc::Error::ServiceStopped, T::ServiceStopped),
            (pcsc::Error::CommError, T::ServiceStopped),
            (pcsc::Error::ReaderUnavailable, T::ReaderUnavailable),
            (pcsc::Error::UnknownReader, T::ReaderUnavailable),
            (pcsc::Error::NotTransacted, T::NotTransacted),
        ];
        for (status, want) in cases {
            assert_eq!(transmit_error(status), want, "{status:?}");
        }
        assert!(matches!(
            transmit_error(pcsc::Error::InvalidHandle),
            T::Other { .. }
        ));
        let reader = || "Virtual PCD 00 00".to_owned();
        assert_eq!(
            reconnect_error(PcscError::NoCard { reader: reader() }),
            T::CardRemoved
        );
        assert_eq!(reconnect_error(PcscError::NoService), T::ServiceStopped);
        assert_eq!(
            reconnect_error(PcscError::ReaderUnavailable { reader: reader() }),
            T::ReaderUnavailable
        );
    }

    #[test]
    fn pcsc_statuses_map_to_distinct_pcsc_errors() {
        let r = "R";
        let e = |s| PcscError::from_pcsc("connect", r, s);
        assert_eq!(e(pcsc::Error::ServiceStopped), PcscError::NoService);
        assert_eq!(e(pcsc::Error::CommError), PcscError::NoService);
        assert_eq!(
            e(pcsc::Error::ReaderUnavailable),
            PcscError::ReaderUnavailable { reader: r.into() }
        );
        assert_eq!(
            e(pcsc::Error::UnknownReader),
            PcscError::ReaderUnavailable { reader: r.into() }
        );
        assert_eq!(
            e(pcsc::Error::ResetCard),
            PcscError::Reset { reader: r.into() }
        );
        assert!(
            e(pcsc::Error::ReaderUnavailable)
                .to_string()
                .contains("plug it back in")
        );
    }
}
