//! A hostile card: a [`CardTransport`] whose answers are the fuzzer's bytes.
//!
//! The host-side card code (`apdu::transceive`'s T=0 loops, `read_binary`, the CPx and Vitale
//! readers) must survive any answer a broken or malicious card sends. [`ScriptedCard`] answers
//! each command APDU with the next record of its script, and reports the card removed once the
//! script is exhausted, so every run ends. [`record`] writes such a script from a real dialogue
//! (an emulated card), which is how the `card_host` and `vpcd_framing` seeds are made.

use apdu::{CardTransport, TransportError};

/// Answers commands with the records of a script: each record is one length byte `n` then `n`
/// bytes (data ‖ SW1 SW2; fewer than 2 bytes is a malformed answer, as a broken reader gives).
#[derive(Debug)]
pub struct ScriptedCard<'a> {
    atr: Vec<u8>,
    script: &'a [u8],
    /// Commands received, to bound a host that would loop on a patient card.
    pub commands: usize,
}

/// More commands than any host operation sends (the CPx `info` walk sends a few dozen).
pub const MAX_COMMANDS: usize = 4096;

impl<'a> ScriptedCard<'a> {
    pub fn new(atr: &[u8], script: &'a [u8]) -> Self {
        Self {
            atr: atr.to_vec(),
            script,
            commands: 0,
        }
    }
}

impl CardTransport for ScriptedCard<'_> {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn transmit(&mut self, _apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.commands += 1;
        assert!(
            self.commands <= MAX_COMMANDS,
            "the host sent more than {MAX_COMMANDS} commands: it loops on this card's answers"
        );
        let Some((&n, rest)) = self.script.split_first() else {
            return Err(TransportError::CardRemoved);
        };
        let n = usize::from(n).min(rest.len());
        let (answer, rest) = rest.split_at(n);
        self.script = rest;
        Ok(answer.to_vec())
    }
}

/// A transport that records the answers of another in [`ScriptedCard`]'s format (answers
/// longer than 255 bytes are cut, which the T=0 chunking of the hosts never produces), and the
/// commands it carried.
#[derive(Debug)]
pub struct Recorder<T: CardTransport> {
    pub inner: T,
    pub script: Vec<u8>,
    pub commands: Vec<Vec<u8>>,
}

impl<T: CardTransport> CardTransport for Recorder<T> {
    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.commands.push(apdu.to_vec());
        let answer = self.inner.transmit(apdu)?;
        let n = answer.len().min(255);
        self.script.push(n as u8);
        self.script.extend_from_slice(&answer[..n]);
        Ok(answer)
    }
}

/// Records the dialogue `dialogue` has with `inner`: the answers as a script, and the commands.
pub fn record<T: CardTransport>(
    inner: T,
    dialogue: impl FnOnce(&mut Recorder<T>),
) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut r = Recorder {
        inner,
        script: Vec::new(),
        commands: Vec::new(),
    };
    dialogue(&mut r);
    (r.script, r.commands)
}
