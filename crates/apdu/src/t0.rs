//! T=0 procedures the reader stack leaves to us, and chunked READ BINARY.
//!
//! pcscd does not fetch `61xx` data nor re-issue on `6Cxx` (CARDS.md §4.4, verified), so every
//! card module goes through [`transceive`]. Chunks are at most [`T0_MAX_CHUNK`] = 0xE7 bytes,
//! the `max_recv_size` of the ANS Cryptolib (CARDS.md §2.5: a 256-byte signature comes back as
//! `61 00` → `C0 .. E7` → 231 bytes + `61 19` → `C0 .. 19` → 25 bytes + `90 00`).

use crate::{ApduError, CardTransport, Command, Response, StatusWord};

/// Largest chunk asked for by GET RESPONSE and READ BINARY.
pub const T0_MAX_CHUNK: usize = 0xE7;
/// Largest response [`transceive`] assembles from GET RESPONSE chunks.
pub const MAX_RESPONSE: usize = 65_536;
/// Largest file [`read_binary`] reads by offset (P1 bit 8 must stay clear: 15-bit offsets).
pub const MAX_OFFSET: usize = 0x7FFF;

const INS_GET_RESPONSE: u8 = 0xC0;
const INS_READ_BINARY: u8 = 0xB0;

fn send<T: CardTransport + ?Sized>(t: &mut T, cmd: &Command) -> Result<Response, ApduError> {
    let raw = t.transmit(&cmd.to_bytes()?)?;
    Response::parse(&raw)
}

/// Sends `cmd` and completes the T=0 dialogue: re-issues once with the exact Le on `6Cxx`, then
/// fetches `61xx` data by GET RESPONSE chunks of at most [`T0_MAX_CHUNK`] bytes.
///
/// The returned status is the card's last one; a non-`90 00` status is not an error here.
pub fn transceive<T: CardTransport + ?Sized>(
    t: &mut T,
    cmd: &Command,
) -> Result<Response, ApduError> {
    transceive_chunked(t, cmd, T0_MAX_CHUNK)
}

/// [`transceive`] with another chunk size (1..=256).
pub fn transceive_chunked<T: CardTransport + ?Sized>(
    t: &mut T,
    cmd: &Command,
    chunk: usize,
) -> Result<Response, ApduError> {
    let chunk = chunk.clamp(1, 256);
    let mut resp = send(t, cmd)?;
    if let Some(le) = resp.sw.exact_length() {
        let mut again = cmd.clone();
        again.le = Some(le);
        resp = send(t, &again)?;
    }
    let Response { mut data, mut sw } = resp;
    // Every round must bring data, so MAX_RESPONSE bounds the number of rounds too.
    while let Some(available) = sw.bytes_available() {
        // GET RESPONSE keeps the logical channel bits of the command (ISO 7816-4 §5.4.1).
        let get =
            Command::new(cmd.cla & 0x03, INS_GET_RESPONSE, 0, 0).with_le(available.min(chunk));
        let mut part = send(t, &get)?;
        if let Some(le) = part.sw.exact_length() {
            part = send(t, &get.clone().with_le(le))?;
        }
        if part.data.is_empty() && part.sw.bytes_available().is_some() {
            return Err(ApduError::T0Stalled { sw: part.sw });
        }
        if data.len() + part.data.len() > MAX_RESPONSE {
            return Err(ApduError::ResponseTooLong {
                limit: MAX_RESPONSE,
            });
        }
        data.extend_from_slice(&part.data);
        sw = part.sw;
    }
    Ok(Response { data, sw })
}

/// Reads the current EF from offset 0 to its end, in chunks of [`T0_MAX_CHUNK`] bytes.
///
/// The end is a short chunk, `62 82`, or `6B 00` past the end. Fails with
/// [`ApduError::ResponseTooLong`] beyond `limit` bytes: card data is untrusted.
pub fn read_binary<T: CardTransport + ?Sized>(
    t: &mut T,
    limit: usize,
) -> Result<Vec<u8>, ApduError> {
    read_binary_from(t, None, limit)
}

/// Reads the EF with short file identifier `sfi` (1..=30) to its end; the card makes it current.
pub fn read_binary_sfi<T: CardTransport + ?Sized>(
    t: &mut T,
    sfi: u8,
    limit: usize,
) -> Result<Vec<u8>, ApduError> {
    if !(1..=30).contains(&sfi) {
        return Err(ApduError::BadSfi { sfi });
    }
    read_binary_from(t, Some(sfi), limit)
}

fn read_binary_from<T: CardTransport + ?Sized>(
    t: &mut T,
    sfi: Option<u8>,
    limit: usize,
) -> Result<Vec<u8>, ApduError> {
    let mut out = Vec::new();
    loop {
        let offset = out.len();
        let (p1, p2) = match sfi {
            // First read by SFI (offset 0 on one byte), then by offset in the now current EF.
            Some(s) if offset == 0 => (0x80 | s, 0),
            _ if offset > MAX_OFFSET => {
                return Err(ApduError::ResponseTooLong { limit: MAX_OFFSET });
            }
            _ => ((offset >> 8) as u8, offset as u8),
        };
        let cmd = Command::new(0x00, INS_READ_BINARY, p1, p2).with_le(T0_MAX_CHUNK);
        let r = transceive(t, &cmd)?;
        let got = r.data.len();
        match r.sw {
            StatusWord::OK | StatusWord::END_OF_FILE => {}
            StatusWord::WRONG_P1P2 if offset > 0 => return Ok(out),
            sw => {
                return Err(ApduError::Status {
                    what: "READ BINARY",
                    sw,
                });
            }
        }
        out.extend_from_slice(&r.data);
        if out.len() > limit {
            return Err(ApduError::ResponseTooLong { limit });
        }
        if r.sw == StatusWord::END_OF_FILE || got < T0_MAX_CHUNK {
            return Ok(out);
        }
    }
}
