//! The Vitale 2-like profile (CARDS.md §3.2, public reverse engineering only).
//!
//! MF: an EF read by SFI 2 holding one `65 {80 nom, 81 prénom, 82 YYYYMMDD}` per beneficiary.
//! Application `D2 50 00 00 02 "VITALE"`: directory EF `2001` and an EF read by SFI 2 holding
//! `65 {93 NIR}` in the same order. Names are Latin-1; files end with `00` padding.
//! No *qualité*, *rang*, régime or rights: public sources do not show where the card keeps them
//! (they come from the SESAM-Vitale software), so the emulator does not invent them.

use apdu::tlv::{Tag, encode, encode_constructed};

use crate::card::Card;
use crate::fs::{FileSystem, MF, ReadAccess};

/// A Vitale 2 ATR (`3B 75 13 00 00 4x 09 EA 90 00`, x = 5 here; CARDS.md §3.1).
pub const VITALE2_ATR: [u8; 10] = [0x3B, 0x75, 0x13, 0x00, 0x00, 0x45, 0x09, 0xEA, 0x90, 0x00];
/// A Vitale 1 ATR (inverse convention, CARDS.md §3.1): detection tests only.
pub const VITALE1_ATR: [u8; 9] = [0x3F, 0x65, 0x25, 0x00, 0x52, 0x09, 0x6A, 0x90, 0x00];
/// `D2 50 00 00 02` + "VITALE".
pub const VITALE_AID: [u8; 11] = [
    0xD2, 0x50, 0x00, 0x00, 0x02, b'V', b'I', b'T', b'A', b'L', b'E',
];

/// Our FIDs (docs/cards.md); only the SFIs and `2001` are public facts.
pub mod fid {
    pub const MF_IDENTITY: u16 = 0x2002;
    pub const VITALE_DF: u16 = 0x1000;
    pub const DIRECTORY: u16 = 0x2001;
    pub const NIR: u16 = 0x2004;
}

/// One person on the card, already encoded in Latin-1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beneficiary {
    pub nom: Vec<u8>,
    pub prenom: Vec<u8>,
    /// `YYYYMMDD`.
    pub date_naissance: String,
    /// 13 digits + 2-digit key.
    pub nir: String,
}

/// Pads a file with `00` to a multiple of `unit` bytes, like the real files (CARDS.md §3.2).
fn padded(mut v: Vec<u8>, unit: usize) -> Vec<u8> {
    let len = v.len().div_ceil(unit).max(1) * unit;
    v.resize(len, 0);
    v
}

/// Builds the Vitale 2-like card.
pub fn build(people: &[Beneficiary], t0_chunk: Option<usize>) -> Card {
    let mut fs = FileSystem::new();
    let ident: Vec<u8> = people
        .iter()
        .map(|p| {
            encode_constructed(
                Tag(0x65),
                &[
                    encode(Tag(0x80), &p.nom),
                    encode(Tag(0x81), &p.prenom),
                    encode(Tag(0x82), p.date_naissance.as_bytes()),
                ],
            )
        })
        .collect::<Vec<_>>()
        .concat();
    fs.add_ef(
        MF,
        fid::MF_IDENTITY,
        Some(2),
        ReadAccess::Always,
        padded(ident, 128),
    );

    let app = fs.add_df(MF, fid::VITALE_DF, Some(&VITALE_AID));
    // 2001: E0 { A0 { 82 entry ‖ 00 00 ‖ AID } 80 name(8) ‖ entry ‖ FID } (cardpeek's format).
    let entry = [0x00, 0x01];
    let dir = encode_constructed(
        Tag(0xE0),
        &[
            encode(
                Tag(0xA0),
                &encode(Tag(0x82), &[&entry[..], &[0, 0], &VITALE_AID].concat()),
            ),
            encode(
                Tag(0x80),
                &[&b"IDENTNIR"[..], &entry, &fid::NIR.to_be_bytes()].concat(),
            ),
        ],
    );
    fs.add_ef(app, fid::DIRECTORY, None, ReadAccess::Always, dir);
    let nirs: Vec<u8> = people
        .iter()
        .map(|p| encode_constructed(Tag(0x65), &[encode(Tag(0x93), p.nir.as_bytes())]))
        .collect::<Vec<_>>()
        .concat();
    fs.add_ef(
        app,
        fid::NIR,
        Some(2),
        ReadAccess::Always,
        padded(nirs, 128),
    );
    Card::new("vitale2", VITALE2_ATR.to_vec(), fs, t0_chunk)
}
