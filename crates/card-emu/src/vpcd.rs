//! A vpcd client: plugs an emulated card into the `vsmartcard-vpcd` virtual reader of a pcscd.
//!
//! Protocol (CARDS.md §4.4): TCP to the vpcd port, frames = `u16` big-endian length + payload;
//! a 1-byte payload is a control byte (`00` off, `01` on, `02` reset: no reply; `04`: reply
//! with the ATR); anything longer is a command APDU answered by one frame. A zero-length frame
//! means "card removed" to vpcd, so we never send one. Connecting inserts the card, closing the
//! connection removes it.

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

fn read_frame(s: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    // vpcd writes the length and the payload in two send() calls with Nagle on: the payload
    // waits for our ACK of the length, which Linux delays ~40 ms. Quick ACKs remove that wait
    // from every APDU (measured: ~44 ms per APDU without). Linux resets the flag, so set it
    // before each read; failure only costs time.
    #[cfg(target_os = "linux")]
    let _ = rustix::net::sockopt::set_tcp_quickack(&*s, true);
    let mut len = [0u8; 2];
    match s.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut buf)?;
    Ok(Some(buf))
}

fn write_frame(s: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
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
    s.write_all(&frame)
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
    while let Some(frame) = read_frame(stream)? {
        let mut c = card.lock().unwrap_or_else(|p| p.into_inner());
        match frame.as_slice() {
            [0x00] => c.power(Power::Off),
            [0x01] => c.power(Power::On),
            [0x02] => c.power(Power::Reset),
            [0x04] => {
                let atr = c.atr().to_vec();
                drop(c);
                write_frame(stream, &atr)?;
            }
            [_] => {} // unknown control byte: vpcd expects no answer
            apdu => {
                let slow = c.faults.slow;
                let outcome = c.process(apdu);
                drop(c);
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
