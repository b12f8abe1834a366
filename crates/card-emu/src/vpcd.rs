//! A vpcd client: plugs an emulated card into the `vsmartcard-vpcd` virtual reader of a pcscd.
//!
//! Protocol (CARDS.md §4.4): TCP to the vpcd port, frames = `u16` big-endian length + payload;
//! a 1-byte payload is a control byte (`00` off, `01` on, `02` reset: no reply; `04`: reply
//! with the ATR); anything longer is a command APDU answered by one frame. A zero-length frame
//! means "card removed" to vpcd, so we never send one. Connecting inserts the card, closing the
//! connection removes it.
//!
//! The framing ([`read_frame`], [`encode_frame`]) and the dispatch of a frame to the card
//! ([`answer`]) are sans-IO; [`serve_with`] only adds the socket.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::card::{Card, Outcome, Power};

/// A card inserted in a vpcd slot, served by a background thread.
#[derive(Debug)]
pub struct VirtualCard {
    stream: TcpStream,
    card: Arc<Mutex<Card>>,
    thread: Option<JoinHandle<()>>,
    pulled: Arc<AtomicBool>,
}

/// Connects to vpcd at `127.0.0.1:port`, retrying until `timeout` (vpcd may not listen yet).
pub fn connect(port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let mut wait = Duration::from_millis(5);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) if Instant::now() + wait >= deadline => {
                return Err(io::Error::new(
                    e.kind(),
                    format!(
                        "cannot reach vpcd on 127.0.0.1:{port} ({e}): is pcscd running with the vpcd driver on that port?"
                    ),
                ));
            }
            // Bounded back-off while pcscd opens its ports: there is no event to wait on.
            Err(_) => std::thread::sleep(wait),
        }
        wait = (wait * 2).min(Duration::from_millis(100));
    }
}

/// Reads one frame from a socket. vpcd writes the length and the payload in two send() calls
/// with Nagle on: the payload waits for our ACK of the length, which Linux delays ~40 ms. Quick
/// ACKs remove that wait from every APDU (measured: ~44 ms per APDU without). Linux resets the
/// flag, so set it before each read; failure only costs time.
fn read_socket_frame(s: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    #[cfg(target_os = "linux")]
    let _ = rustix::net::sockopt::set_tcp_quickack(&*s, true);
    read_frame(s)
}

/// Reads one frame (`u16` big-endian length, payload) from any byte stream: `Ok(None)` at a
/// clean end (no length byte, or only one, left), an error when the payload is cut short.
/// Sans-IO apart from `Read`, so the framing is tested and fuzzed without a socket.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    r.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// The bytes of one frame carrying `payload`; refuses what vpcd cannot take (an empty frame
/// means card removal to vpcd, and the length is a `u16`).
pub fn encode_frame(payload: &[u8]) -> io::Result<Vec<u8>> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "vpcd frame over 65 535 bytes"))?;
    if len == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "vpcd reads an empty frame as card removal",
        ));
    }
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    Ok(frame)
}

fn write_frame(s: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    s.write_all(&encode_frame(payload)?)
}

/// What the card does with one frame's payload (CARDS.md §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A control byte that vpcd expects no answer to (power off/on/reset, or unknown).
    Silent,
    /// `04`: the ATR, sent back as one frame.
    Atr(Vec<u8>),
    /// A command APDU (anything but one byte): the card's [`Outcome`].
    Apdu(Outcome),
}

/// Dispatches one frame's payload to `card`: the whole vpcd protocol of the card side, without
/// the socket (so the fuzz target `vpcd_framing` drives it with a byte stream).
pub fn answer(card: &mut Card, payload: &[u8]) -> Answer {
    match payload {
        [0x00] => card.power(Power::Off),
        [0x01] => card.power(Power::On),
        [0x02] => card.power(Power::Reset),
        [0x04] => return Answer::Atr(card.atr().to_vec()),
        [_] => {} // unknown control byte: vpcd expects no answer
        apdu => return Answer::Apdu(card.process(apdu)),
    }
    Answer::Silent
}

/// Serves one connection until vpcd closes it, the card is pulled, or the stream is shut down.
/// Returns `true` when the card was pulled by a fault.
pub fn serve(stream: &mut TcpStream, card: &Mutex<Card>) -> io::Result<bool> {
    serve_with(stream, card, || {})
}

/// [`serve`], calling `on_pull` when a fault pulls the card, before the connection closes.
pub fn serve_with(
    stream: &mut TcpStream,
    card: &Mutex<Card>,
    on_pull: impl FnOnce(),
) -> io::Result<bool> {
    let mut on_pull = Some(on_pull);
    let mut on_pull = move || {
        if let Some(f) = on_pull.take() {
            f();
        }
    };
    while let Some(frame) = read_socket_frame(stream)? {
        // The lock is held for the card's work only, never while sleeping or writing.
        let (answer, slow) = {
            let mut c = card.lock().unwrap_or_else(|p| p.into_inner());
            let slow = c.faults.slow;
            (answer(&mut c, &frame), slow)
        };
        match answer {
            Answer::Silent => {}
            Answer::Atr(atr) => write_frame(stream, &atr)?,
            Answer::Apdu(outcome) => {
                if let Some(d) = slow {
                    std::thread::sleep(d);
                }
                match outcome {
                    Outcome::Reply(r) => write_frame(stream, &r)?,
                    Outcome::Pulled => {
                        // Record the pull before the reader can see it: whoever observes the
                        // removal must also observe that a fault caused it.
                        on_pull();
                        let _ = stream.shutdown(Shutdown::Both);
                        return Ok(true);
                    }
                }
            }
        }
    }
    Ok(false)
}

impl VirtualCard {
    /// Inserts `card` into the vpcd slot listening on `port`.
    pub fn insert(card: Card, port: u16, timeout: Duration) -> io::Result<Self> {
        Self::insert_shared(Arc::new(Mutex::new(card)), port, timeout)
    }

    /// Inserts a card kept by the caller too (to inspect its state, e.g. the PIN counter).
    pub fn insert_shared(card: Arc<Mutex<Card>>, port: u16, timeout: Duration) -> io::Result<Self> {
        let stream = connect(port, timeout)?;
        let mut served = stream.try_clone()?;
        let pulled = Arc::new(AtomicBool::new(false));
        let (c, p) = (Arc::clone(&card), Arc::clone(&pulled));
        let thread = std::thread::Builder::new()
            .name(format!("vpcd-card-{port}"))
            .spawn(move || {
                let _ = serve_with(&mut served, &c, || p.store(true, Ordering::SeqCst));
            })?;
        Ok(Self {
            stream,
            card,
            thread: Some(thread),
            pulled,
        })
    }

    /// The card, shared with the serving thread.
    pub fn card(&self) -> &Arc<Mutex<Card>> {
        &self.card
    }

    /// Whether a fault pulled the card.
    pub fn was_pulled(&self) -> bool {
        self.pulled.load(Ordering::SeqCst)
    }

    /// Removes the card (closes the connection) and waits for the serving thread.
    pub fn eject(mut self) -> Arc<Mutex<Card>> {
        self.stop();
        Arc::clone(&self.card)
    }

    fn stop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        self.stop();
    }
}
