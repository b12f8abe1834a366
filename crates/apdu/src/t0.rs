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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportError;

    /// Replays canned answers and records the commands, like a card trace.
    struct Script {
        answers: Vec<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl CardTransport for Script {
        fn atr(&self) -> &[u8] {
            &[0x3B, 0x00]
        }
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(apdu.to_vec());
            if self.answers.is_empty() {
                return Err(TransportError::CardRemoved);
            }
            Ok(self.answers.remove(0))
        }
    }

    fn script(answers: Vec<Vec<u8>>) -> Script {
        Script {
            answers,
            sent: Vec::new(),
        }
    }

    #[test]
    fn pso_cds_trace_of_a_real_cps3() {
        // CARDS.md §2.5: 61 00 → C0 E7 → 231 bytes + 61 19 → C0 19 → 25 bytes + 90 00.
        let mut first = vec![0xAB; 231];
        first.extend_from_slice(&[0x61, 0x19]);
        let mut second = vec![0xCD; 25];
        second.extend_from_slice(&[0x90, 0x00]);
        let mut t = script(vec![vec![0x61, 0x00], first, second]);
        let r = transceive(&mut t, &Command::new(0, 0x2A, 0x9E, 0x9A).with_le(256)).unwrap();
        assert_eq!((r.data.len(), r.sw), (256, StatusWord::OK));
        assert_eq!(t.sent[1], [0x00, 0xC0, 0x00, 0x00, 0xE7]);
        assert_eq!(t.sent[2], [0x00, 0xC0, 0x00, 0x00, 0x19]);
    }

    #[test]
    fn wrong_le_is_reissued_once() {
        let mut t = script(vec![
            vec![0x6C, 0x0C],
            [vec![7; 12], vec![0x90, 0]].concat(),
        ]);
        let r = transceive(&mut t, &Command::new(0, 0xB0, 0, 0).with_le(0xE7)).unwrap();
        assert_eq!(r.data, [7; 12]);
        assert_eq!(t.sent[1], [0x00, 0xB0, 0x00, 0x00, 0x0C]);
        // A card that keeps answering 6Cxx gets no third try.
        let mut t = script(vec![vec![0x6C, 0x0C], vec![0x6C, 0x0D]]);
        let r = transceive(&mut t, &Command::new(0, 0xB0, 0, 0).with_le(0xE7)).unwrap();
        assert_eq!(r.sw, StatusWord::new(0x6C, 0x0D));
        assert_eq!(t.sent.len(), 2);
    }

    #[test]
    fn a_stalled_card_is_an_error_not_a_loop() {
        let mut t = script(vec![vec![0x61, 0x10], vec![0x61, 0x10]]);
        let e = transceive(&mut t, &Command::new(0, 0xCA, 0, 0).with_le(256)).unwrap_err();
        assert!(matches!(e, ApduError::T0Stalled { .. }), "{e}");
    }

    #[test]
    fn long_reads_stop_at_the_end_and_at_the_limit() {
        let full = [vec![1; T0_MAX_CHUNK], vec![0x90, 0]].concat();
        let end = [vec![2; 10], vec![0x62, 0x82]].concat();
        let mut t = script(vec![full.clone(), end]);
        let data = read_binary(&mut t, 4096).unwrap();
        assert_eq!(data.len(), T0_MAX_CHUNK + 10);
        assert_eq!(
            t.sent[1],
            [0x00, 0xB0, 0x00, 0xE7, 0xE7],
            "second chunk at offset 0xE7"
        );
        let mut t = script(vec![full.clone(), full.clone()]);
        assert!(matches!(
            read_binary(&mut t, 300),
            Err(ApduError::ResponseTooLong { limit: 300 })
        ));
        let mut t = script(vec![full, vec![0x6B, 0x00]]);
        assert_eq!(
            read_binary_sfi(&mut t, 2, 4096).unwrap().len(),
            T0_MAX_CHUNK
        );
        assert_eq!(t.sent[0], [0x00, 0xB0, 0x82, 0x00, 0xE7]);
        assert!(read_binary_sfi(&mut t, 31, 10).is_err());
    }
}
