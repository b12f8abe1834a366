//! What the fault tests share: the demo card, the signature flow of `search --card`, an APDU
//! hook on a real transport, and a watchdog that fails a test instead of letting it hang.

#![allow(dead_code)] // each test binary uses its own part

use std::sync::mpsc;
use std::time::Duration;

use apdu::{CardTransport, TransportError};
use card_emu::{Card, Profile};
use cpx::{Cpx, CpxError, CpxSigner, Pin};

/// The demo card's PIN (`testdata/cards/cps3-demo.toml`).
pub const PIN: &str = "1234";
/// Longer than one SHA-256 block, so that PSO HASH carries a host midstate.
pub const MESSAGE: &[u8] = b"<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\
    <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
    </ds:SignedInfo>";
/// How long any one faulty operation may take before the test calls it a hang. Generous: it
/// only has to end a hung test, it never judges speed.
pub const HANG: Duration = Duration::from_secs(20);

pub fn demo_card() -> Card {
    let path = format!(
        "{}/../../testdata/cards/cps3-demo.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    Profile::load(path).unwrap().build().unwrap()
}

/// Runs `f` on its own thread and returns its result, or fails the test when it has not
/// finished within [`HANG`] (the thread is left behind: the process ends with the test).
pub fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    match rx.recv_timeout(HANG) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: no answer within {} s: it hangs", HANG.as_secs())
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the operation panicked"),
    }
}

/// Where one signature flow stopped.
pub enum Flow<T: CardTransport> {
    /// Before the signer existed: opening the card, reading its certificate, or VERIFY.
    Locked(CpxError),
    /// The PIN was accepted; then the signature gave this.
    Unlocked(Box<CpxSigner<T>>, Result<Vec<u8>, CpxError>),
}

impl<T: CardTransport> Flow<T> {
    pub fn error(&self) -> Option<&CpxError> {
        match self {
            Flow::Locked(e) | Flow::Unlocked(_, Err(e)) => Some(e),
            Flow::Unlocked(_, Ok(_)) => None,
        }
    }

    pub fn transport_error(&self) -> Option<&TransportError> {
        self.error().and_then(CpxError::transport)
    }
}

/// One signature as `search --card` makes it: open the card, read the signature certificate
/// and present the PIN once ([`CpxSigner::unlock`]), sign.
pub fn signature_flow<T: CardTransport>(t: T) -> Flow<T> {
    let card = match Cpx::open(t) {
        Ok(c) => c,
        Err(e) => return Flow::Locked(e),
    };
    match CpxSigner::unlock(card, Pin::new(PIN).unwrap()) {
        Ok(signer) => {
            let signed = signer.signature(MESSAGE);
            Flow::Unlocked(Box::new(signer), signed)
        }
        Err(locked) => Flow::Locked(locked.error),
    }
}

/// A real transport with a hook run just before the APDU of index `at` (0-based) is sent,
/// and the header (CLA INS P1 P2) of every APDU sent, in order.
pub struct Hooked<T> {
    pub t: T,
    pub headers: Vec<[u8; 4]>,
    at: usize,
    hook: Option<Box<dyn FnOnce() + Send>>,
}

impl<T: CardTransport> Hooked<T> {
    pub fn new(t: T) -> Self {
        Self {
            t,
            headers: Vec::new(),
            at: usize::MAX,
            hook: None,
        }
    }

    pub fn before(mut self, at: usize, hook: impl FnOnce() + Send + 'static) -> Self {
        self.at = at;
        self.hook = Some(Box::new(hook));
        self
    }
}

impl<T: CardTransport> CardTransport for Hooked<T> {
    fn atr(&self) -> &[u8] {
        self.t.atr()
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.headers.len() == self.at
            && let Some(hook) = self.hook.take()
        {
            hook();
        }
        let mut header = [0u8; 4];
        for (h, b) in header.iter_mut().zip(apdu) {
            *h = *b;
        }
        self.headers.push(header);
        self.t.transmit(apdu)
    }
}

/// The APDUs of one full signature flow, by name, learnt from the in-memory card: the fault
/// matrices walk them one by one.
pub struct Plan {
    pub headers: Vec<[u8; 4]>,
    /// Index of the VERIFY that carries the PIN.
    pub verify_at: usize,
}

impl Plan {
    pub fn learn() -> Self {
        let mut t = Hooked::new(card_emu::MemoryTransport::new(demo_card()));
        let flow = signature_flow(&mut t);
        assert!(flow.error().is_none(), "the clean flow fails");
        drop(flow);
        let headers = t.headers;
        let verifies: Vec<usize> = (0..headers.len())
            .filter(|&i| headers[i][1] == 0x20)
            .collect();
        assert_eq!(verifies.len(), 1, "one VERIFY per flow: {verifies:?}");
        Self {
            verify_at: verifies[0],
            headers,
        }
    }

    pub fn len(&self) -> usize {
        self.headers.len()
    }

    /// `"#12 00 B0 00 E7 (READ BINARY)"`, for failure messages.
    pub fn name(&self, i: usize) -> String {
        let h = self.headers[i];
        let what = match (h[1], h[2]) {
            (0xA4, _) => "SELECT",
            (0xB0, _) => "READ BINARY",
            (0xC0, _) => "GET RESPONSE",
            (0x20, _) => "VERIFY",
            (0x22, _) => "MSE SET",
            (0x2A, 0x90) => "PSO HASH",
            (0x2A, 0x9E) => "PSO CDS",
            _ => "?",
        };
        format!(
            "#{i} {:02X} {:02X} {:02X} {:02X} ({what})",
            h[0], h[1], h[2], h[3]
        )
    }
}
