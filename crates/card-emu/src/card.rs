//! The ISO 7816-4 core of an emulated card: SELECT, READ BINARY, GET RESPONSE, T=0 delivery.
//!
//! Profile-specific commands (PIN, MSE, PSO, INTERNAL AUTHENTICATE) go to the [`Cps3Security`]
//! when the card has one. Volatile state (current DF/EF, verified PIN, security environment,
//! hash) is reset on power on/off and reset, as a real card does (CARDS.md §4.4).

use std::time::Duration;

use apdu::{Command, StatusWord};

use crate::cps3::Cps3Security;
use crate::fs::{FileSystem, MF, NodeId, NodeKind, ReadAccess};

/// One answer before T=0/T=1 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl Reply {
    pub fn sw(sw: StatusWord) -> Self {
        Self {
            data: Vec::new(),
            sw,
        }
    }
    pub fn ok(data: Vec<u8>) -> Self {
        Self {
            data,
            sw: StatusWord::OK,
        }
    }
}

/// Faults to inject, for tests of the host side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// The card is pulled out when this many APDUs have been received (the last one is never
    /// answered). `Some(0)`: pulled at the first APDU.
    pub pull_after_apdus: Option<u32>,
    /// Delay before each answer.
    pub slow: Option<Duration>,
    /// Answers `6C xx` with a wrong `xx` to every case-2 command (a broken card).
    pub wrong_le: bool,
}

/// What the card does with an APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The response APDU to send back.
    Reply(Vec<u8>),
    /// The card was pulled out mid-APDU: the transport must drop the connection unanswered.
    Pulled,
}

/// Power events a reader sends (vpcd control bytes 00/01/02).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Off,
    On,
    Reset,
}

/// An emulated card: ATR, file system, optional CPS3 security, T=0 or T=1 delivery.
#[derive(Debug, Clone)]
pub struct Card {
    atr: Vec<u8>,
    pub(crate) fs: FileSystem,
    /// `Some(n)`: T=0, data announced by `61 xx` at most `n` (1..=256) bytes at a time.
    t0_chunk: Option<usize>,
    pub(crate) security: Option<Cps3Security>,
    pub faults: Faults,
    kind: &'static str,
    current_df: NodeId,
    current_ef: Option<NodeId>,
    pending: Vec<u8>,
    apdus_seen: u32,
}

const INS_SELECT: u8 = 0xA4;
const INS_READ_BINARY: u8 = 0xB0;
const INS_GET_RESPONSE: u8 = 0xC0;

fn short_len(n: usize) -> u8 {
    // In 61xx/6Cxx, 00 stands for 256.
    (n.min(256) % 256) as u8
}

impl Card {
    pub(crate) fn new(
        kind: &'static str,
        atr: Vec<u8>,
        fs: FileSystem,
        t0_chunk: Option<usize>,
    ) -> Self {
        Self {
            atr,
            fs,
            t0_chunk: t0_chunk.map(|c| c.clamp(1, 256)),
            security: None,
            faults: Faults::default(),
            kind,
            current_df: MF,
            current_ef: None,
            pending: Vec::new(),
            apdus_seen: 0,
        }
    }

    /// A card with only an ATR and an empty MF (unknown cards, Vitale 1: detection tests).
    pub fn bare(kind: &'static str, atr: Vec<u8>) -> Self {
        Self::new(kind, atr, FileSystem::new(), Some(256))
    }

    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// The same card answering with another ATR (the other CPS3 version, detection tests).
    #[must_use]
    pub fn with_atr(mut self, atr: Vec<u8>) -> Self {
        self.atr = atr;
        self
    }

    /// `"cps3"`, `"vitale2"`, `"unknown"`, …
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Switches T=0 delivery on with `chunk` bytes per `61 xx`, or off (`None`, T=1 style).
    pub fn set_t0_chunk(&mut self, chunk: Option<usize>) {
        self.t0_chunk = chunk.map(|c| c.clamp(1, 256));
    }

    /// PIN tries left (CPS3 profile only).
    pub fn pin_tries_left(&self) -> Option<u8> {
        self.security.as_ref().map(Cps3Security::tries_left)
    }

    /// VERIFY commands carrying a PIN this card received (CPS3 profile only), over its whole
    /// life: power events do not reset it, and a [`Card::clone`] carries it on.
    pub fn pin_presentations(&self) -> Option<u32> {
        self.security.as_ref().map(Cps3Security::pin_presentations)
    }

    /// Command APDUs received (answered or pulled) over the card's life; the counter
    /// [`Faults::pull_after_apdus`] compares with.
    pub fn apdus_seen(&self) -> u32 {
        self.apdus_seen
    }

    /// A power event: volatile state is lost.
    pub fn power(&mut self, _event: Power) {
        self.current_df = MF;
        self.current_ef = None;
        self.pending.clear();
        if let Some(s) = &mut self.security {
            s.reset();
        }
    }

    /// Processes one raw command APDU.
    pub fn process(&mut self, raw: &[u8]) -> Outcome {
        self.apdus_seen = self.apdus_seen.saturating_add(1);
        if let Some(n) = self.faults.pull_after_apdus
            && self.apdus_seen > n
        {
            return Outcome::Pulled;
        }
        let cmd = match Command::parse(raw) {
            Ok(c) => c,
            Err(_) => return Outcome::Reply(StatusWord::WRONG_LENGTH.to_bytes().to_vec()),
        };
        if self.faults.wrong_le && cmd.data.is_empty() && cmd.le.is_some() {
            let bogus = cmd.le.unwrap_or(1) % 256 + 1;
            return Outcome::Reply(vec![0x6C, short_len(bogus)]);
        }
        if cmd.ins == INS_GET_RESPONSE && cmd.cla & 0xFC == 0 {
            return Outcome::Reply(self.get_response(&cmd));
        }
        self.pending.clear();
        let reply = self.dispatch(&cmd);
        Outcome::Reply(self.deliver(&cmd, reply))
    }

    fn dispatch(&mut self, cmd: &Command) -> Reply {
        if cmd.cla & 0x80 != 0 {
            return Reply::sw(StatusWord::CLA_NOT_SUPPORTED);
        }
        match cmd.ins {
            INS_SELECT => self.select(cmd),
            INS_READ_BINARY => self.read_binary(cmd),
            _ => match &mut self.security {
                Some(sec) => sec.process(cmd),
                None => Reply::sw(StatusWord::INS_NOT_SUPPORTED),
            },
        }
    }

    /// T=0: a case-2 command gets its data at once when Le matches, `6C xx` otherwise; data for
    /// a case-3/4 command waits behind `61 xx`. T=1 style: data up to Le, the rest behind `61 xx`.
    fn deliver(&mut self, cmd: &Command, reply: Reply) -> Vec<u8> {
        let Reply { data, sw } = reply;
        if data.is_empty() {
            return sw.to_bytes().to_vec();
        }
        match (self.t0_chunk, cmd.data.is_empty(), cmd.le) {
            (Some(_), true, Some(le)) => {
                if le != data.len() && !(le == 256 && data.len() > 256) {
                    return vec![0x6C, short_len(data.len())];
                }
                if data.len() > 256 {
                    self.pending = data;
                    return self.announce();
                }
                [data, sw.to_bytes().to_vec()].concat()
            }
            (Some(_), _, _) => {
                self.pending = data;
                self.announce()
            }
            (None, _, None) => sw.to_bytes().to_vec(),
            (None, _, Some(le)) => {
                if data.len() > le {
                    let mut data = data;
                    self.pending = data.split_off(le);
                    [data, self.announce()].concat()
                } else {
                    [data, sw.to_bytes().to_vec()].concat()
                }
            }
        }
    }

    fn announce(&self) -> Vec<u8> {
        let chunk = self.t0_chunk.unwrap_or(256);
        vec![0x61, short_len(self.pending.len().min(chunk))]
    }

    fn get_response(&mut self, cmd: &Command) -> Vec<u8> {
        if self.pending.is_empty() {
            return StatusWord::CONDITIONS_NOT_SATISFIED.to_bytes().to_vec();
        }
        let le = cmd.le.unwrap_or(256);
        let chunk = self.t0_chunk.unwrap_or(256);
        let can = self.pending.len().min(chunk);
        if le > can {
            return vec![0x6C, short_len(can)];
        }
        let mut out: Vec<u8> = self.pending.drain(..le).collect();
        if self.pending.is_empty() {
            out.extend_from_slice(&StatusWord::OK.to_bytes());
        } else {
            out.extend_from_slice(&self.announce());
        }
        out
    }

    fn select(&mut self, cmd: &Command) -> Reply {
        let fids: Option<Vec<u16>> = cmd.data.len().is_multiple_of(2).then(|| {
            cmd.data
                .chunks(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect()
        });
        let target = match (cmd.p1, fids) {
            (0x00, Some(f)) if f.is_empty() => Some(MF),
            (0x00, Some(f)) if f.len() == 1 => self
                .fs
                .select_fid(self.current_ef.unwrap_or(self.current_df), f[0]),
            (0x02, Some(f)) if f.len() == 1 => self
                .fs
                .child(self.current_df, f[0])
                .filter(|n| !self.fs.is_df(*n)),
            (0x04, _) if !cmd.data.is_empty() => self.fs.df_by_aid(&cmd.data),
            (0x08 | 0x09, Some(f)) if !f.is_empty() => {
                // A path starting with 3F00 is absolute whatever P1 says: IAS hosts send
                // `A4 09 04 … 3F00 D003` (CARDS.md §2.5).
                match f.split_first() {
                    Some((&0x3F00, rest)) => self.fs.walk(MF, rest),
                    _ if cmd.p1 == 0x08 => self.fs.walk(MF, &f),
                    _ => self.fs.walk(self.current_df, &f),
                }
            }
            (0x00 | 0x02 | 0x04 | 0x08 | 0x09, _) => return Reply::sw(StatusWord::WRONG_DATA),
            _ => return Reply::sw(StatusWord::INCORRECT_P1P2),
        };
        let Some(node) = target else {
            return Reply::sw(StatusWord::FILE_NOT_FOUND);
        };
        if self.fs.is_df(node) {
            self.current_df = node;
            self.current_ef = None;
        } else {
            self.current_df = self.fs.node(node).and_then(|n| n.parent).unwrap_or(MF);
            self.current_ef = Some(node);
        }
        match cmd.p2 & 0x0C {
            0x00 | 0x04 => Reply::ok(self.fs.fcp(node)),
            0x0C => Reply::sw(StatusWord::OK),
            _ => Reply::sw(StatusWord::INCORRECT_P1P2),
        }
    }

    fn read_binary(&mut self, cmd: &Command) -> Reply {
        let (ef, offset) = if cmd.p1 & 0x80 != 0 {
            let sfi = cmd.p1 & 0x1F;
            match self.fs.child_by_sfi(self.current_df, sfi) {
                Some(ef) => {
                    self.current_ef = Some(ef);
                    (ef, usize::from(cmd.p2))
                }
                None => return Reply::sw(StatusWord::FILE_NOT_FOUND),
            }
        } else {
            match self.current_ef {
                Some(ef) => (ef, usize::from(cmd.p1) << 8 | usize::from(cmd.p2)),
                None => return Reply::sw(StatusWord::COMMAND_NOT_ALLOWED),
            }
        };
        let Some(NodeKind::Ef { data, read, .. }) = self.fs.node(ef).map(|n| &n.kind) else {
            return Reply::sw(StatusWord::COMMAND_NOT_ALLOWED);
        };
        if *read == ReadAccess::Pin
            && !self
                .security
                .as_ref()
                .is_some_and(Cps3Security::pin_verified)
        {
            return Reply::sw(StatusWord::SECURITY_NOT_SATISFIED);
        }
        if offset >= data.len() && !data.is_empty() {
            return Reply::sw(StatusWord::WRONG_P1P2);
        }
        let le = cmd.le.unwrap_or(256);
        let end = data.len().min(offset + le);
        let chunk = data.get(offset..end).unwrap_or_default().to_vec();
        let sw = if chunk.len() < le {
            StatusWord::END_OF_FILE
        } else {
            StatusWord::OK
        };
        if chunk.is_empty() {
            return Reply::sw(sw);
        }
        Reply { data: chunk, sw }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(t0: Option<usize>) -> Card {
        let mut fs = FileSystem::new();
        fs.add_ef(
            MF,
            0x2F00,
            Some(2),
            ReadAccess::Always,
            (0..=255u8).cycle().take(600).collect(),
        );
        fs.add_ef(MF, 0xD003, None, ReadAccess::Always, vec![0x5A, 0x01, 0x42]);
        Card::new("test", vec![0x3B, 0], fs, t0)
    }

    fn run(c: &mut Card, apdu: &[u8]) -> Vec<u8> {
        match c.process(apdu) {
            Outcome::Reply(r) => r,
            Outcome::Pulled => panic!("pulled"),
        }
    }

    #[test]
    fn t0_select_then_get_response() {
        let mut c = card(Some(256));
        assert_eq!(
            run(&mut c, &[0, 0xA4, 9, 4, 4, 0x3F, 0, 0xD0, 3]),
            [0x61, 0x10]
        );
        assert_eq!(
            run(&mut c, &[0, 0xC0, 0, 0, 0x20]),
            [0x6C, 0x10],
            "Le too long"
        );
        let r = run(&mut c, &[0, 0xC0, 0, 0, 0x10]);
        assert_eq!(r.len(), 0x10 + 2);
        assert_eq!(&r[..6], &[0x62, 0x0E, 0x80, 2, 0, 3]);
        assert_eq!(
            run(&mut c, &[0, 0xC0, 0, 0, 1]),
            [0x69, 0x85],
            "nothing left"
        );
    }

    #[test]
    fn t0_wrong_le_gets_6cxx() {
        let mut c = card(Some(256));
        run(&mut c, &[0, 0xA4, 2, 0x0C, 2, 0xD0, 3]);
        assert_eq!(run(&mut c, &[0, 0xB0, 0, 0, 0xE7]), [0x6C, 3]);
        assert_eq!(run(&mut c, &[0, 0xB0, 0, 0, 3]), [0x5A, 1, 0x42, 0x90, 0]);
        assert_eq!(run(&mut c, &[0, 0xB0, 0, 3, 1]), [0x6B, 0]);
    }

    #[test]
    fn t1_returns_short_data_with_6282() {
        let mut c = card(None);
        run(&mut c, &[0, 0xA4, 2, 0x0C, 2, 0xD0, 3]);
        assert_eq!(
            run(&mut c, &[0, 0xB0, 0, 0, 0xE7]),
            [0x5A, 1, 0x42, 0x62, 0x82]
        );
    }

    #[test]
    fn read_by_sfi_makes_the_ef_current() {
        let mut c = card(Some(256));
        let r = run(&mut c, &[0, 0xB0, 0x82, 0, 0]);
        assert_eq!(r.len(), 258);
        let r = run(&mut c, &[0, 0xB0, 2, 0x58, 0]);
        assert_eq!(r, [0x6B, 0], "offset 600 is the end of a 600-byte file");
        assert_eq!(run(&mut c, &[0, 0xB0, 2, 0x57, 1]), [87, 0x90, 0]);
    }

    #[test]
    fn select_forms() {
        let mut c = card(None);
        assert_eq!(
            run(&mut c, &[0, 0xA4, 8, 0x0C, 2, 0xD0, 3]),
            [0x90, 0],
            "P1 08: path from MF"
        );
        assert_eq!(
            run(&mut c, &[0, 0xA4, 0, 0x0C]),
            [0x90, 0],
            "P1 00 without data: MF"
        );
        assert_eq!(
            run(&mut c, &[0, 0xA4, 2, 0x0C, 2, 0x12, 0x34]),
            [0x6A, 0x82]
        );
        assert_eq!(
            run(&mut c, &[0, 0xA4, 2, 0x08, 2, 0xD0, 3]),
            [0x6A, 0x86],
            "P2 08 (FMD) unsupported"
        );
        assert_eq!(
            run(&mut c, &[0, 0xA4, 3, 0x0C, 2, 0xD0, 3]),
            [0x6A, 0x86],
            "P1 03 unsupported"
        );
        assert_eq!(
            run(&mut c, &[0, 0xA4, 4, 0x0C, 2, 0xD0, 3]),
            [0x6A, 0x82],
            "no such AID"
        );
        let r = run(&mut c, &[0, 0xA4, 0, 0x00, 2, 0x2F, 0, 0x20]);
        assert_eq!(
            &r[..2],
            &[0x62, 0x11],
            "P2 00 answers the FCP up to Le (T=1 style)"
        );
        assert_eq!(run(&mut c, &[0x80, 0xA4, 0, 0x0C]), [0x6E, 0]);
        assert_eq!(
            run(&mut c, &[0, 0x2A, 0x9E, 0x9A, 0]),
            [0x6D, 0],
            "no security on this card"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut c = card(Some(7));
        for raw in [
            &[][..],
            &[0],
            &[0, 0xA4, 4, 0, 0xFF],
            &[0xFF; 5],
            &[0, 0xB0, 0x9F, 0xFF, 0],
        ] {
            let _ = c.process(raw);
        }
    }
}
