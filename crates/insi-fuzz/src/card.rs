//! Card targets: bytes from a card or a reader (APDU responses, BER-TLV, PKCS#15 files,
//! certificates, Vitale records) and bytes to an emulated card (command APDUs, vpcd frames).

use std::io::Cursor;
use std::sync::OnceLock;

use apdu::tlv::{self, MAX_DEPTH, Tag, Tlv, TlvIter};
use apdu::{Command, Response, StatusWord};
use card_emu::vpcd::{self, Answer};
use card_emu::{Card, Outcome, Profile};
use cpx::{CardCertificate, CertRole, Cpx, Pin};
use vitale::{Vitale2Card, VitaleSource};

use crate::script::ScriptedCard;

/// `Response::parse` never panics, gives back its bytes, and every status word has a meaning
/// and consistent T=0 readings.
pub fn apdu_response(data: &[u8]) {
    let Ok(r) = Response::parse(data) else {
        assert!(
            data.len() < 2,
            "a response of {} bytes was refused",
            data.len()
        );
        return;
    };
    assert_eq!(
        r.to_bytes(),
        data,
        "Response::to_bytes is not the parsed bytes"
    );
    let sw = r.sw;
    assert_eq!(StatusWord::new(sw.sw1(), sw.sw2()), sw);
    assert!(!sw.meaning().is_empty(), "status word {sw} has no meaning");
    let _ = sw.to_string();
    if let Some(n) = sw.bytes_available().or(sw.exact_length()) {
        assert!(
            (1..=256).contains(&n),
            "{sw}: {n} bytes is not a T=0 length"
        );
    }
    if let Some(t) = sw.tries_left() {
        assert!(t <= 15, "{sw}: {t} tries left");
    }
    let _ = r.into_ok("fuzz");
}

/// `Command::parse` (the emulated card's decoder, fed by vpcd) never panics, and a parsed
/// command re-encoded parses to the same command.
pub fn apdu_command(data: &[u8]) {
    let Ok(cmd) = Command::parse(data) else {
        return;
    };
    let bytes = match cmd.to_bytes() {
        Ok(b) => b,
        Err(e) => panic!("a parsed command does not encode: {e} ({cmd:?})"),
    };
    match Command::parse(&bytes) {
        Ok(again) => assert_eq!(again, cmd, "command re-encoded as {bytes:02X?}"),
        Err(e) => panic!("a re-encoded command does not parse: {e} ({bytes:02X?})"),
    }
    let _ = cmd.case();
}

/// A parsed BER-TLV object with its constructed children expanded (when they parse).
#[derive(Debug, PartialEq, Eq)]
struct Node {
    tag: Tag,
    /// The value when it is not expanded.
    value: Vec<u8>,
    children: Option<Vec<Node>>,
}

/// How deep the target expands trees (deeper ones stay opaque values).
const TREE_DEPTH: usize = 64;

fn tree(data: &[u8], depth: usize) -> Result<Vec<Node>, tlv::TlvError> {
    tlv::parse_all(data)?
        .into_iter()
        .map(|t| Ok(node(t, depth)))
        .collect()
}

fn node(t: Tlv<'_>, depth: usize) -> Node {
    let children = (t.tag.is_constructed() && depth < TREE_DEPTH)
        .then(|| tree(t.value, depth + 1).ok())
        .flatten();
    Node {
        tag: t.tag,
        value: if children.is_some() {
            Vec::new()
        } else {
            t.value.to_vec()
        },
        children,
    }
}

fn encode(nodes: &[Node]) -> Vec<u8> {
    nodes
        .iter()
        .flat_map(|n| match &n.children {
            Some(c) => tlv::encode(n.tag, &encode(c)),
            None => tlv::encode(n.tag, &n.value),
        })
        .collect()
}

/// The BER-TLV codec never panics on card bytes; a parsed tree re-encoded (shortest lengths,
/// padding dropped) parses to the same tree; `child`/`find_path` follow any path of tags taken
/// from the input without panicking, and refuse paths deeper than [`MAX_DEPTH`].
pub fn ber_tlv(data: &[u8]) {
    if let Ok(nodes) = tree(data, 0) {
        let again = encode(&nodes);
        match tree(&again, 0) {
            Ok(reparsed) => assert_eq!(reparsed, nodes, "re-encoded as {again:02X?}"),
            Err(e) => panic!("a re-encoded BER-TLV tree does not parse: {e} ({again:02X?})"),
        }
    }
    // Paths of 1..=MAX_DEPTH+1 tags, each the tag of some object of the input or a fixed one.
    let tags: Vec<Tag> = TlvIter::new(data)
        .map_while(Result::ok)
        .map(|t| t.tag)
        .chain([Tag(0x70), Tag(0xA0), Tag(0x30), Tag(0x04)])
        .collect();
    let len = data
        .first()
        .map_or(1, |b| usize::from(*b) % (MAX_DEPTH + 1) + 1);
    let path: Vec<Tag> = tags.iter().cycle().take(len).copied().collect();
    for t in TlvIter::new(data).map_while(Result::ok) {
        let found = t.find_path(&path);
        if path.len() > MAX_DEPTH {
            assert!(found.is_err(), "a path of {} tags was followed", path.len());
        }
        let _ = t.child(path[0]);
        let _ = tlv::find(t.value, path[0]);
    }
}

/// The emulated cards a vpcd stream may be addressed to, built once (RSA keys are slow to load).
fn cards() -> &'static [Card; 3] {
    static CARDS: OnceLock<[Card; 3]> = OnceLock::new();
    CARDS.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/cards/");
        let load = |name: &str| {
            Profile::load(format!("{dir}{name}"))
                .and_then(|p| p.build())
                .unwrap_or_else(|e| panic!("testdata/cards/{name}: {e}"))
        };
        [
            load("cps3-demo.toml"),
            load("vitale2-famille.toml"),
            load("vitale1.toml"),
        ]
    })
}

/// A vpcd byte stream (`u16` length + payload frames, as pcscd's vpcd driver writes them)
/// served to an emulated card by the same code as `vpcd::serve_with`, without a socket. The
/// first byte picks the card (CPS3, Vitale 2, Vitale 1) and its faults (wrong Le, pulled after
/// n APDUs). Every answer must be sendable back to vpcd: non-empty, at most 65 535 bytes, with
/// a status word; a pulled card only when a fault asked for it.
pub fn vpcd_framing(data: &[u8]) {
    let Some((&setup, stream)) = data.split_first() else {
        return;
    };
    let mut card = cards()[usize::from(setup % 3)].clone();
    card.faults.wrong_le = setup & 0x04 != 0;
    if setup & 0x08 != 0 {
        card.faults.pull_after_apdus = Some(u32::from(setup >> 4));
    }
    let pulls = card.faults.pull_after_apdus.is_some();
    let mut reader = Cursor::new(stream);
    while let Ok(Some(frame)) = vpcd::read_frame(&mut reader) {
        match vpcd::answer(&mut card, &frame) {
            Answer::Silent => {
                assert_eq!(frame.len(), 1, "a {}-byte frame got no answer", frame.len())
            }
            Answer::Atr(atr) => {
                assert!(vpcd::encode_frame(&atr).is_ok(), "the ATR cannot be framed");
            }
            Answer::Apdu(Outcome::Reply(r)) => {
                assert!(
                    r.len() >= 2,
                    "answer {r:02X?} to {frame:02X?} has no status word"
                );
                assert!(
                    vpcd::encode_frame(&r).is_ok(),
                    "the {}-byte answer to {frame:02X?} cannot be framed",
                    r.len()
                );
            }
            Answer::Apdu(Outcome::Pulled) => {
                assert!(pulls, "the card was pulled without a fault asking for it");
                return;
            }
        }
    }
}

/// The PKCS#15 walk (ODF → CDF paths → certificate objects), EF.ATR and the X.509 parse of a
/// certificate file never panic on card bytes; what they accept is within their bounds.
pub fn pkcs15(data: &[u8]) {
    if let Ok(paths) = cpx::pkcs15::cdf_paths(data) {
        for p in paths {
            assert!(
                p.len() >= 2 && p.len() % 2 == 0 && p.len() <= 16,
                "CDF path {p:02X?}"
            );
        }
    }
    if let Ok(certs) = cpx::pkcs15::certificates(data) {
        assert!(certs.len() <= 16, "{} certificate objects", certs.len());
    }
    let _ = cpx::parse_ef_atr(data);
    if let Ok(c) = CardCertificate::parse(CertRole::Other, "fuzz", data.to_vec()) {
        let _ = c.common_name();
    }
}

/// `vitale::parse_beneficiaires` never panics on the two identity files: the first two bytes
/// split the input (length of the MF file, big-endian), the rest are the two files. At most
/// 32 people, never none.
pub fn vitale_records(data: &[u8]) {
    let (split, files) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), rest),
        _ => return,
    };
    let (ident, nirs) = files.split_at(split.min(files.len()));
    if let Ok(people) = vitale::parse_beneficiaires(ident, nirs) {
        assert!(
            (1..=32).contains(&people.len()),
            "{} beneficiaries",
            people.len()
        );
    }
}

/// The host side against a hostile card ([`ScriptedCard`]): the first byte picks the
/// operation — the CPx `info` walk then PIN, signature and authentication; the Vitale 2
/// reading; or plain T=0 `transceive` and `read_binary` — and the rest is the card's answers.
/// Every operation ends (no loop on a patient card) with a value or an error.
pub fn card_host(data: &[u8]) {
    let Some((&which, script)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            let card = ScriptedCard::new(&card_emu::cps3::CPS3_ATR, script);
            let Ok(mut cpx) = Cpx::open(card) else { return };
            let _ = cpx.info();
            if let Ok(pin) = Pin::new("1234") {
                let _ = cpx.verify_pin(&pin);
            }
            let _ = cpx.sign_sha256(b"<SignedInfo/>");
            let _ = cpx.authenticate(&[0x30; 51]);
            let _ = cpx.decipher(&[0x42; 256]);
        }
        1 => {
            let card = ScriptedCard::new(&card_emu::vitale::VITALE2_ATR, script);
            if let Ok(mut v) = Vitale2Card::open(card) {
                let _ = v.beneficiaires();
            }
        }
        _ => {
            let mut card = ScriptedCard::new(&[0x3B, 0x00], script);
            let cmd = Command::new(0x00, 0xCA, 0x01, 0x00).with_le(256);
            if let Ok(r) = apdu::transceive(&mut card, &cmd) {
                assert!(r.data.len() <= apdu::MAX_RESPONSE, "{} bytes", r.data.len());
            }
            if let Ok(file) = apdu::read_binary(&mut card, 4096) {
                assert!(file.len() <= 4096, "read_binary gave {} bytes", file.len());
            }
            let _ = apdu::read_binary_sfi(&mut card, 2, 4096);
        }
    }
}
