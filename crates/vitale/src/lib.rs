//! Carte Vitale 2 identity reading, from public reverse engineering only (CARDS.md §3).
//!
//! [`detect`] tells Vitale 2 from Vitale 1 by ATR. [`Vitale2Card`] implements [`VitaleSource`]:
//! it reads the `65 {80 nom, 81 prénom, 82 date}` templates at the MF (SFI 2), then the
//! `65 {93 NIR}` templates of the `VITALE` application (SFI 2), in the same order, and returns
//! one [`Beneficiaire`] per person. Names are decoded from Latin-1. The decoding of those two
//! files is the pure [`parse_beneficiaires`].
//!
//! Qualité, rang de naissance, régime and rights are **not** read: public sources do not locate
//! them on the card; they come from the SESAM-Vitale software (GIE SESAM-Vitale API), which a
//! future `VitaleSource` backend can wrap. The fields exist and are always `None` here, so nobody
//! mistakes emulator data for card facts.
//!
//! ```
//! use card_emu::{MemoryTransport, vitale as emu};
//! use vitale::{Vitale2Card, VitaleSource};
//!
//! let person = emu::Beneficiary {
//!     nom: b"MARTIN".to_vec(),
//!     prenom: b"CL\xC9MENCE".to_vec(),
//!     date_naissance: "19850412".into(),
//!     nir: "285047512301263".into(),
//! };
//! let mut card = Vitale2Card::open(MemoryTransport::new(emu::build(&[person], Some(256)))).unwrap();
//! let people = card.beneficiaires().unwrap();
//! assert_eq!(people[0].prenom, "CLÉMENCE");
//! assert_eq!(people[0].nir.as_deref(), Some("285047512301263"));
//! ```

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use apdu::tlv::{Tag, TlvIter};
use apdu::{
    ApduError, AtrPattern, CardTransport, Command, StatusWord, read_binary_sfi, transceive,
};
use thiserror::Error;

/// `D2 50 00 00 02` + "VITALE" (CARDS.md §3.2).
pub const VITALE_AID: [u8; 11] = [
    0xD2, 0x50, 0x00, 0x00, 0x02, b'V', b'I', b'T', b'A', b'L', b'E',
];
/// Largest identity file we read (a family card holds a few hundred bytes).
const MAX_FILE: usize = 8 * 1024;
/// Most beneficiaries we accept (Vitale 1 "familiale" held up to 19).
const MAX_PEOPLE: usize = 32;

/// Card generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum VitaleGeneration {
    /// Vitale 2: read here.
    V2,
    /// Vitale 1 (inverse convention, memory-card commands): detected, not supported.
    V1,
}

const PATTERNS: &[(AtrPattern, VitaleGeneration)] = &[
    (
        AtrPattern {
            value: &[0x3B, 0x75, 0x13, 0x00, 0x00, 0x40, 0x09, 0xEA, 0x90, 0x00],
            mask: &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF],
        },
        VitaleGeneration::V2,
    ),
    (
        AtrPattern {
            value: &[0x3B, 0x75, 0x13, 0x00, 0x00, 0x45, 0x09, 0xFA, 0x90, 0x00],
            mask: &[0xFF; 10],
        },
        VitaleGeneration::V2,
    ),
    (
        AtrPattern {
            value: &[0x3F, 0x65, 0x25, 0x00, 0x00, 0x09, 0x00, 0x90, 0x00],
            mask: &[0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0xFF],
        },
        VitaleGeneration::V1,
    ),
];

/// The Vitale generation of a card, `None` when the ATR is not a Vitale one (CARDS.md §3.1).
pub fn detect(atr: &[u8]) -> Option<VitaleGeneration> {
    PATTERNS
        .iter()
        .find(|(p, _)| p.matches(atr))
        .map(|(_, g)| *g)
}

/// One person on the card.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Beneficiaire {
    pub nom: String,
    pub prenom: String,
    /// `YYYYMMDD` as stored (lunar dates like `19850000` exist: not validated here).
    pub date_naissance: String,
    /// 13 characters + 2-digit key; `None` if the card's NIR file has fewer entries.
    pub nir: Option<String>,
    /// Not on the card as far as public sources go: always `None` from this backend.
    pub qualite: Option<String>,
    /// Not on the card as far as public sources go: always `None` from this backend.
    pub rang_naissance: Option<u8>,
}

/// What went wrong reading a Vitale card.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VitaleError {
    #[error(transparent)]
    Apdu(#[from] ApduError),
    #[error("the card is not a Vitale card (ATR {atr}): insert a carte Vitale")]
    NotVitale { atr: String },
    #[error(
        "this is a Vitale 1 card, which is not supported: read it with the SESAM-Vitale software"
    )]
    Vitale1,
    #[error("{what} failed: card answered {sw}")]
    Card { what: &'static str, sw: StatusWord },
    #[error("malformed Vitale data: {0}")]
    Malformed(String),
}

/// Anything that yields the beneficiaries of a Vitale card: this PC/SC reader, or later the
/// SESAM-Vitale API (which also covers apCV).
pub trait VitaleSource {
    fn beneficiaires(&mut self) -> Result<Vec<Beneficiaire>, VitaleError>;
}

/// A Vitale 2 card behind a transport.
#[derive(Debug)]
pub struct Vitale2Card<T: CardTransport> {
    t: T,
}

fn latin1(b: &[u8]) -> String {
    b.iter().map(|c| char::from(*c)).collect()
}

fn templates(data: &[u8]) -> Result<Vec<apdu::tlv::Tlv<'_>>, VitaleError> {
    let mut out = Vec::new();
    for t in TlvIter::new(data) {
        let t = t.map_err(|e| VitaleError::Malformed(e.to_string()))?;
        if t.tag == Tag(0x65) {
            if out.len() == MAX_PEOPLE {
                return Err(VitaleError::Malformed(format!(
                    "more than {MAX_PEOPLE} beneficiaries"
                )));
            }
            out.push(t);
        }
    }
    Ok(out)
}

fn field(t: &apdu::tlv::Tlv<'_>, tag: u32) -> Result<Option<Vec<u8>>, VitaleError> {
    Ok(t.child(Tag(tag))
        .map_err(|e| VitaleError::Malformed(e.to_string()))?
        .map(|c| c.value.to_vec()))
}

impl<T: CardTransport> Vitale2Card<T> {
    /// Checks the ATR: Vitale 2 only.
    pub fn open(t: T) -> Result<Self, VitaleError> {
        match detect(t.atr()) {
            Some(VitaleGeneration::V2) => Ok(Self { t }),
            Some(VitaleGeneration::V1) => Err(VitaleError::Vitale1),
            None => Err(VitaleError::NotVitale {
                atr: apdu::hex::spaced(t.atr()),
            }),
        }
    }

    fn select(&mut self, cmd: Command, what: &'static str) -> Result<(), VitaleError> {
        let r = transceive(&mut self.t, &cmd)?;
        if r.sw.is_ok() {
            Ok(())
        } else {
            Err(VitaleError::Card { what, sw: r.sw })
        }
    }
}

impl<T: CardTransport> VitaleSource for Vitale2Card<T> {
    fn beneficiaires(&mut self) -> Result<Vec<Beneficiaire>, VitaleError> {
        // The sequence of Rufus' lecteurvitale.cpp (CARDS.md §3.2): MF, SFI 2, VITALE, SFI 2.
        self.select(
            Command::new(0x00, 0xA4, 0x00, 0x00).with_data([0x3F, 0x00]),
            "SELECT MF",
        )?;
        let ident = read_binary_sfi(&mut self.t, 2, MAX_FILE)?;
        self.select(
            Command::new(0x00, 0xA4, 0x04, 0x00).with_data(VITALE_AID),
            "SELECT VITALE",
        )?;
        let nirs = read_binary_sfi(&mut self.t, 2, MAX_FILE)?;
        parse_beneficiaires(&ident, &nirs)
    }
}

/// Decodes the two identity files read from the card (sans-IO, the card's bytes are untrusted):
/// `ident` holds the `65 {80 nom, 81 prénom, 82 date}` templates of the MF's SFI 2, `nirs` the
/// `65 {93 NIR}` templates of the `VITALE` application's SFI 2, person `i` of one matching
/// template `i` of the other. At most 32 people; no person at all is an error.
pub fn parse_beneficiaires(ident: &[u8], nirs: &[u8]) -> Result<Vec<Beneficiaire>, VitaleError> {
    let nirs = templates(nirs)?;
    let mut out = Vec::new();
    for (i, p) in templates(ident)?.iter().enumerate() {
        let text = |tag| -> Result<String, VitaleError> {
            Ok(field(p, tag)?.map(|v| latin1(&v)).unwrap_or_default())
        };
        let nir = match nirs.get(i) {
            Some(n) => field(n, 0x93)?.map(|v| latin1(&v)),
            None => None,
        };
        out.push(Beneficiaire {
            nom: text(0x80)?,
            prenom: text(0x81)?,
            date_naissance: text(0x82)?,
            nir,
            qualite: None,
            rang_naissance: None,
        });
    }
    if out.is_empty() {
        return Err(VitaleError::Malformed("no beneficiary on the card".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_generations() {
        let v2 = apdu::hex::parse("3B 75 13 00 00 47 09 EA 90 00").unwrap();
        let v1 = apdu::hex::parse("3F 65 25 00 2B 09 69 90 00").unwrap();
        assert_eq!(detect(&v2), Some(VitaleGeneration::V2));
        assert_eq!(detect(&v1), Some(VitaleGeneration::V1));
        assert_eq!(detect(&[0x3B, 0xAC]), None);
    }
}
