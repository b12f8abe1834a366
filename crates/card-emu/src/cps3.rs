//! The CPS3-like profile: file layout and the IAS-ECC security commands (CARDS.md §2).
//!
//! Commands: GET DATA on the CHV SDO `BF8101` (tries), VERIFY (`63 Cx`, `69 83` once blocked),
//! MSE SET (AT `A4`, DST `B6`, HT `AA`, CT `B8`), INTERNAL AUTHENTICATE (PKCS#1 v1.5 type 1 on
//! key 0x82, PIN required, input ≤ 40 % of the modulus), PSO HASH (SHA-256 finished from a
//! host-provided intermediate state) + PSO CDS (key 0x81), PSO DECIPHER (padding byte `81`,
//! command chaining with CLA `10`).

use std::fmt;

use apdu::tlv::{Tag, TlvIter, encode, encode_constructed};
use apdu::{Command, StatusWord};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, Pkcs1v15Sign, PrivateKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::card::{Card, Reply};
use crate::fs::{FileSystem, MF, ReadAccess};
use crate::pkcs15::{self, KeyEntry};

/// PKCS#15 application AID, contact interface (CARDS.md §2.2).
pub const CPS3_AID: [u8; 13] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10,
];
/// CPS3 contact ATR (CARDS.md §2.1).
pub const CPS3_ATR: [u8; 17] = [
    0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90,
    0x00,
];
/// ANS issuer prefix of EF.SN.ICC (CARDS.md §2.3).
pub const ANS_ISSUER: [u8; 5] = [0x80, 0x25, 0x00, 0x00, 0x01];

/// Our FIDs (docs/cards.md): the PKCS#15 DF and its files.
pub mod fid {
    pub const PKCS15_DF: u16 = 0x5015;
    pub const ODF: u16 = 0x5031;
    pub const TOKEN_INFO: u16 = 0x5032;
    pub const AODF: u16 = 0x5034;
    pub const PRKDF: u16 = 0x5035;
    pub const CDF: u16 = 0x5036;
    pub const CERT_AUTH: u16 = 0xC001;
    pub const CERT_SIGN: u16 = 0xC002;
    pub const EF_DIR: u16 = 0x2F00;
    pub const EF_ATR: u16 = 0x2F01;
    pub const EF_SN_ICC: u16 = 0xD003;
    pub const EF_ACTUA: u16 = 0xD010;
    pub const DF_KEYS: u16 = 0x0001;
    pub const CONTACT_ONLY: u16 = 0x7001;
    pub const ACTIVITY_01: u16 = 0xD120;
}

/// Key references (CARDS.md §2.4).
pub const KEY_SIGN: u8 = 0x81;
pub const KEY_AUTH: u8 = 0x82;
/// Key IDs as listed by pkcs15-tool on a real CPx (CARDS.md §2.4).
pub const ID_SIGN: [u8; 14] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10, 0x01,
];
pub const ID_AUTH: [u8; 14] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10, 0x02,
];

const PIN_STORED_LEN: usize = 8;
const PIN_PAD: u8 = 0xFF;
const MAX_TRIES: u8 = 3;
const MAX_CHAIN: usize = 1024;

/// Algorithm identifiers (IAS-ECC, CARDS.md §2.5).
const ALG_RSA_PKCS1: u8 = 0x02;
const ALG_RSA_DECRYPT: u8 = 0x0A;
const ALG_SHA256: u8 = 0x40;
const ALG_RSA_PKCS1_SHA256: u8 = 0x42;

/// What a CPS3 profile is made of, once its files are loaded.
pub struct Cps3Material {
    /// 10 decimal digits (ANS card numbers are 10 digits, CARDS.md §2.6).
    pub serial: String,
    pub pin: Zeroizing<String>,
    pub tries_left: u8,
    pub auth_key: PrivateKey,
    pub auth_cert_der: Vec<u8>,
    pub sign_key: PrivateKey,
    pub sign_cert_der: Vec<u8>,
    /// EF_ACTUA dates, `YYYYMMDDhhmmss`.
    pub actua: Option<(String, String)>,
    pub label: String,
}

impl fmt::Debug for Cps3Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cps3Material")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// Packs decimal digits two per byte, `F`-padded (EF.SN.ICC, EF_ACTUA).
pub fn bcd(digits: &str) -> Vec<u8> {
    let mut nibbles: Vec<u8> = digits
        .bytes()
        .map(|b| if b.is_ascii_digit() { b - b'0' } else { 0x0F })
        .collect();
    if nibbles.len() % 2 == 1 {
        nibbles.push(0x0F);
    }
    nibbles.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// Builds the CPS3-like card (layout in docs/cards.md).
pub fn build(m: Cps3Material, t0_chunk: Option<usize>) -> Card {
    let mut fs = FileSystem::new();
    let app_path: Vec<u8> = [0x3F00u16, fid::PKCS15_DF]
        .iter()
        .flat_map(|f| f.to_be_bytes())
        .collect();

    // EF.DIR: one application template `61 {4F AID, 50 label, 51 path}` (ISO 7816-15 §8).
    let dir = encode_constructed(
        Tag(0x61),
        &[
            encode(Tag(0x4F), &CPS3_AID),
            encode(Tag(0x50), b"CPS3 PKCS#15"),
            encode(Tag(0x51), &app_path),
        ],
    );
    fs.add_ef(MF, fid::EF_DIR, Some(30), ReadAccess::Always, dir);
    // EF.ATR with the stray leading 80 that OpenSC's ef-atr.c skips on CPx (CARDS.md §2.3).
    let ef_atr = [
        vec![0x80],
        encode(Tag(0x47), &[0x94, 0x01, 0x80]),
        encode(Tag(0x4F), &[0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x01, 0x00]),
    ]
    .concat();
    fs.add_ef(MF, fid::EF_ATR, Some(29), ReadAccess::Always, ef_atr);
    let sn = [vec![0x5A, 0x0A], ANS_ISSUER.to_vec(), bcd(&m.serial)].concat();
    fs.add_ef(MF, fid::EF_SN_ICC, None, ReadAccess::Always, sn);
    if let Some((start, end)) = &m.actua {
        let actua = encode_constructed(
            Tag(0xEC),
            &[encode(Tag(0x81), &bcd(start)), encode(Tag(0x82), &bcd(end))],
        );
        fs.add_ef(MF, fid::EF_ACTUA, None, ReadAccess::Always, actua);
    }
    let keys_df = fs.add_df(MF, fid::DF_KEYS, None);
    fs.add_ef(
        keys_df,
        fid::CONTACT_ONLY,
        None,
        ReadAccess::Always,
        b"CONTACT".to_vec(),
    );
    // Situation d'exercice 01: PIN-protected; its content format is not public (CARDS.md §2.3),
    // so the emulator stores a marker, not an invented structure.
    fs.add_ef(
        keys_df,
        fid::ACTIVITY_01,
        None,
        ReadAccess::Pin,
        b"EMULATED CPS_ACTIVITY_01_PS".to_vec(),
    );

    let app = fs.add_df(MF, fid::PKCS15_DF, Some(&CPS3_AID));
    let cert_path = |f: u16| [app_path.clone(), f.to_be_bytes().to_vec()].concat();
    let (auth_path, sign_path) = (cert_path(fid::CERT_AUTH), cert_path(fid::CERT_SIGN));
    let entries = [
        KeyEntry {
            label: "CPS_PRIV_AUT",
            cert_label: "CPS_CERT_AUT",
            id: &ID_AUTH,
            usage: &[0x07, 0x22, 0x00], // decrypt, sign
            key_ref: KEY_AUTH,
            modulus_bits: (m.auth_key.size() * 8) as u32,
            cert_path: &auth_path,
        },
        KeyEntry {
            label: "CPS_PRIV_SIG",
            cert_label: "CPS_CERT_SIG",
            id: &ID_SIGN,
            usage: &[0x06, 0x00, 0x40], // nonRepudiation
            key_ref: KEY_SIGN,
            modulus_bits: (m.sign_key.size() * 8) as u32,
            cert_path: &sign_path,
        },
    ];
    let file_path = |f: u16| [app_path.clone(), f.to_be_bytes().to_vec()].concat();
    let odf = pkcs15::odf(
        &file_path(fid::PRKDF),
        &file_path(fid::CDF),
        &file_path(fid::AODF),
    );
    fs.add_ef(app, fid::ODF, None, ReadAccess::Always, odf);
    fs.add_ef(
        app,
        fid::TOKEN_INFO,
        None,
        ReadAccess::Always,
        pkcs15::token_info(&m.serial, &m.label),
    );
    fs.add_ef(app, fid::AODF, None, ReadAccess::Always, pkcs15::aodf());
    fs.add_ef(
        app,
        fid::PRKDF,
        None,
        ReadAccess::Always,
        pkcs15::prkdf(&entries),
    );
    fs.add_ef(
        app,
        fid::CDF,
        None,
        ReadAccess::Always,
        pkcs15::cdf(&entries),
    );
    fs.add_ef(
        app,
        fid::CERT_AUTH,
        None,
        ReadAccess::Always,
        m.auth_cert_der,
    );
    fs.add_ef(
        app,
        fid::CERT_SIGN,
        None,
        ReadAccess::Always,
        m.sign_cert_der,
    );

    let mut card = Card::new("cps3", CPS3_ATR.to_vec(), fs, t0_chunk);
    card.security = Some(Cps3Security {
        pin: m.pin,
        tries: m.tries_left.min(MAX_TRIES),
        presented: 0,
        verified: false,
        auth_key: m.auth_key,
        sign_key: m.sign_key,
        se: Se::default(),
        hash: None,
        chain: Vec::new(),
    });
    card
}

#[derive(Debug, Clone, Default)]
struct Se {
    at: Option<u8>,
    dst: Option<u8>,
    ht: Option<u8>,
    ct: Option<u8>,
}

/// PIN and keys of the CPS3-like card. The PIN counter is non-volatile; the rest is not.
#[derive(Clone)]
pub struct Cps3Security {
    pin: Zeroizing<String>,
    tries: u8,
    /// VERIFY commands that carried a PIN, right or wrong, since the card was made: what tests
    /// count to prove a host never re-presents a PIN by itself. Survives power events.
    presented: u32,
    verified: bool,
    auth_key: PrivateKey,
    sign_key: PrivateKey,
    se: Se,
    hash: Option<[u8; 32]>,
    chain: Vec<u8>,
}

impl fmt::Debug for Cps3Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the PIN or the keys.
        f.debug_struct("Cps3Security")
            .field("tries", &self.tries)
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

/// Continues SHA-256 from an intermediate state after `bits_done` bits (a multiple of 512) and
/// finishes it with `last` (≤ 64 bytes): FIPS 180-4 §5.1.1 padding.
fn finish_sha256(mut state: [u32; 8], bits_done: u64, last: &[u8]) -> [u8; 32] {
    let total = bits_done.wrapping_add(last.len() as u64 * 8);
    let mut buf = last.to_vec();
    buf.push(0x80);
    while buf.len() % 64 != 56 {
        buf.push(0);
    }
    buf.extend_from_slice(&total.to_be_bytes());
    let blocks: Vec<[u8; 64]> = buf
        .chunks_exact(64)
        .map(|c| std::array::from_fn(|i| c[i]))
        .collect();
    sha2::block_api::compress256(&mut state, &blocks);
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

impl Cps3Security {
    pub fn tries_left(&self) -> u8 {
        self.tries
    }
    pub fn pin_verified(&self) -> bool {
        self.verified
    }
    pub fn pin_presentations(&self) -> u32 {
        self.presented
    }
    pub(crate) fn reset(&mut self) {
        self.verified = false;
        self.se = Se::default();
        self.hash = None;
        self.chain.clear();
    }

    pub(crate) fn process(&mut self, cmd: &Command) -> Reply {
        match (cmd.ins, cmd.p1, cmd.p2) {
            (0xCB, 0x3F, 0xFF) => self.get_data(cmd),
            (0x20, 0x00, 0x81 | 0x01) => self.verify(cmd),
            (0x20, _, _) => Reply::sw(StatusWord::REF_DATA_NOT_FOUND),
            (0x22, 0x41, _) => self.mse_set(cmd),
            (0x22, 0xF3, _) => {
                self.se = Se::default();
                Reply::sw(StatusWord::OK)
            }
            (0x88, 0x00, 0x00) => self.internal_authenticate(cmd),
            (0x2A, 0x90, 0xA0) => self.pso_hash(cmd),
            (0x2A, 0x9E, 0x9A) => self.pso_cds(cmd),
            (0x2A, 0x80, 0x86) => self.pso_decipher(cmd),
            (0x2A, _, _) => Reply::sw(StatusWord::INCORRECT_P1P2),
            _ => Reply::sw(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    /// `70 {BF8101 {A0 {9A max, 9B left, A1 {8C access rules}}}}` (CARDS.md §2.4 trace).
    fn get_data(&self, cmd: &Command) -> Reply {
        let wants_chv = cmd.data.windows(3).any(|w| w == [0xBF, 0x81, 0x01]);
        if !wants_chv {
            return Reply::sw(StatusWord::REF_DATA_NOT_FOUND);
        }
        let a0 = encode_constructed(
            Tag(0xA0),
            &[
                encode(Tag(0x9A), &[MAX_TRIES]),
                encode(Tag(0x9B), &[self.tries]),
                encode(
                    Tag(0xA1),
                    &encode(Tag(0x8C), &[0xF3, 0x00, 0x00, 0x13, 0xFF, 0x00]),
                ),
            ],
        );
        Reply::ok(encode(Tag(0x70), &encode(Tag(0xBF8101), &a0)))
    }

    fn verify(&mut self, cmd: &Command) -> Reply {
        if !cmd.data.is_empty() {
            self.presented = self.presented.saturating_add(1);
        }
        if self.tries == 0 {
            return Reply::sw(StatusWord::AUTH_METHOD_BLOCKED);
        }
        if cmd.data.is_empty() {
            // Status query (ISO 7816-4 §11.5.6): 90 00 once verified, else 63 Cx.
            return if self.verified {
                Reply::sw(StatusWord::OK)
            } else {
                Reply::sw(StatusWord::new(0x63, 0xC0 | self.tries))
            };
        }
        if cmd.data.len() != PIN_STORED_LEN {
            // The AODF says stored length 8, FF padding: a host that did not pad gets a length
            // error, not a wasted try (our choice, docs/cards.md).
            return Reply::sw(StatusWord::WRONG_LENGTH);
        }
        let entered: Vec<u8> = cmd
            .data
            .iter()
            .copied()
            .take_while(|b| *b != PIN_PAD)
            .collect();
        let entered = Zeroizing::new(entered);
        if entered.as_slice() == self.pin.as_bytes() {
            self.tries = MAX_TRIES;
            self.verified = true;
            Reply::sw(StatusWord::OK)
        } else {
            self.tries -= 1;
            self.verified = false;
            if self.tries == 0 {
                Reply::sw(StatusWord::AUTH_METHOD_BLOCKED)
            } else {
                Reply::sw(StatusWord::new(0x63, 0xC0 | self.tries))
            }
        }
    }

    fn mse_set(&mut self, cmd: &Command) -> Reply {
        let mut key = None;
        let mut alg = None;
        for t in TlvIter::new(&cmd.data) {
            let Ok(t) = t else {
                return Reply::sw(StatusWord::WRONG_DATA);
            };
            match (t.tag, t.value) {
                (Tag(0x84), [k]) => key = Some(*k),
                (Tag(0x80), [a]) => alg = Some(*a),
                (Tag(0x81), _) => {} // file reference: the Cryptolib sends none to a CPS3
                _ => return Reply::sw(StatusWord::WRONG_DATA),
            }
        }
        let ok = |r: &mut Option<u8>, v: u8| {
            *r = Some(v);
            Reply::sw(StatusWord::OK)
        };
        match (cmd.p2, key, alg) {
            (0xA4, Some(KEY_AUTH), Some(ALG_RSA_PKCS1)) => ok(&mut self.se.at, KEY_AUTH),
            (0xB6, Some(KEY_SIGN), Some(ALG_RSA_PKCS1_SHA256)) => ok(&mut self.se.dst, KEY_SIGN),
            (0xAA, None, Some(ALG_SHA256)) => ok(&mut self.se.ht, ALG_SHA256),
            (0xB8, Some(KEY_AUTH), Some(ALG_RSA_DECRYPT | ALG_RSA_PKCS1)) => {
                ok(&mut self.se.ct, KEY_AUTH)
            }
            (0xA4 | 0xB6 | 0xB8, Some(k), _) if k != KEY_AUTH && k != KEY_SIGN => {
                Reply::sw(StatusWord::REF_DATA_NOT_FOUND)
            }
            (0xA4 | 0xB6 | 0xAA | 0xB8, _, _) => Reply::sw(StatusWord::WRONG_DATA),
            _ => Reply::sw(StatusWord::INCORRECT_P1P2),
        }
    }

    fn internal_authenticate(&mut self, cmd: &Command) -> Reply {
        if self.se.at != Some(KEY_AUTH) {
            return Reply::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if !self.verified {
            return Reply::sw(StatusWord::SECURITY_NOT_SATISFIED);
        }
        // At most 40 % of the modulus (CARDS.md §2.5 step 4): 102 bytes for RSA-2048.
        let max = self.auth_key.size() * 2 / 5;
        if cmd.data.is_empty() || cmd.data.len() > max {
            return Reply::sw(StatusWord::WRONG_LENGTH);
        }
        match self
            .auth_key
            .sign(Pkcs1v15Sign::new_unprefixed(), &cmd.data)
        {
            Ok(sig) => Reply::ok(sig),
            Err(_) => Reply::sw(StatusWord::NO_PRECISE_DIAGNOSIS),
        }
    }

    /// `90 <state ‖ bit count, or empty> 80 <last block>` (CARDS.md §2.5 step 5).
    fn pso_hash(&mut self, cmd: &Command) -> Reply {
        if self.se.ht != Some(ALG_SHA256) {
            return Reply::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let (mut inter, mut last) = (None, None);
        for t in TlvIter::new(&cmd.data) {
            let Ok(t) = t else {
                return Reply::sw(StatusWord::WRONG_DATA);
            };
            match t.tag {
                Tag(0x90) => inter = Some(t.value),
                Tag(0x80) => last = Some(t.value),
                _ => return Reply::sw(StatusWord::WRONG_DATA),
            }
        }
        let Some(last) = last.filter(|l| l.len() <= 64) else {
            return Reply::sw(StatusWord::WRONG_DATA);
        };
        let hash = match inter {
            None | Some([]) => Sha256::digest(last).into(),
            Some(s) if s.len() == 40 => {
                let state: [u32; 8] = std::array::from_fn(|i| {
                    u32::from_be_bytes([s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]])
                });
                let bits = u64::from_be_bytes(std::array::from_fn(|i| s[32 + i]));
                if bits % 512 != 0 {
                    return Reply::sw(StatusWord::WRONG_DATA);
                }
                finish_sha256(state, bits, last)
            }
            Some(_) => return Reply::sw(StatusWord::WRONG_DATA),
        };
        self.hash = Some(hash);
        Reply::sw(StatusWord::OK)
    }

    fn pso_cds(&mut self, cmd: &Command) -> Reply {
        if self.se.dst != Some(KEY_SIGN) || !cmd.data.is_empty() {
            return Reply::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if !self.verified {
            return Reply::sw(StatusWord::SECURITY_NOT_SATISFIED);
        }
        let Some(hash) = self.hash.take() else {
            return Reply::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        match self.sign_key.sign(Pkcs1v15Sign::new::<Sha256>(), &hash) {
            Ok(sig) => Reply::ok(sig),
            Err(_) => Reply::sw(StatusWord::NO_PRECISE_DIAGNOSIS),
        }
    }

    fn pso_decipher(&mut self, cmd: &Command) -> Reply {
        if self.chain.len() + cmd.data.len() > MAX_CHAIN {
            self.chain.clear();
            return Reply::sw(StatusWord::WRONG_LENGTH);
        }
        self.chain.extend_from_slice(&cmd.data);
        if cmd.cla & 0x10 != 0 {
            return Reply::sw(StatusWord::OK); // more to come (command chaining)
        }
        let input = std::mem::take(&mut self.chain);
        if self.se.ct != Some(KEY_AUTH) {
            return Reply::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if !self.verified {
            return Reply::sw(StatusWord::SECURITY_NOT_SATISFIED);
        }
        let Some((&0x81, cryptogram)) = input.split_first() else {
            return Reply::sw(StatusWord::WRONG_DATA);
        };
        match self.auth_key.decrypt(Pkcs1v15Encrypt, cryptogram) {
            Ok(plain) => Reply::ok(plain),
            Err(_) => Reply::sw(StatusWord::WRONG_DATA),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcd_packs_digits() {
        assert_eq!(bcd("2900995235"), [0x29, 0x00, 0x99, 0x52, 0x35]);
        assert_eq!(bcd("123"), [0x12, 0x3F]);
    }

    #[test]
    fn sha256_continues_from_a_midstate() {
        let msg: Vec<u8> = (0..200u32).map(|i| i as u8).collect();
        // Intermediate state after the first two blocks, computed with the same primitive.
        let mut state = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let blocks: Vec<[u8; 64]> = msg[..128]
            .chunks_exact(64)
            .map(|c| std::array::from_fn(|i| c[i]))
            .collect();
        sha2::block_api::compress256(&mut state, &blocks);
        let got = finish_sha256(state, 1024, &msg[128..192]);
        assert_ne!(got, <[u8; 32]>::from(Sha256::digest(&msg)));
        assert_eq!(got, <[u8; 32]>::from(Sha256::digest(&msg[..192])));
    }
}
