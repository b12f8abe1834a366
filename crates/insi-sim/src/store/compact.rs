//! The synthetic population's rows, packed: what makes 10 M identities fit in well under 1 GB.
//!
//! A generated identity is mostly text that follows from a few numbers: the key from the
//! matricule, the OID from a flag, the one INSHISTO entry from the matricule and the birth date
//! (`population.rs`), the ouvrant droit from the matricule for adults. A row keeps the text that
//! carries information (`nom`, `prenoms`, `cog`) and packs the rest into integers that SQLite
//! stores in 0 to 6 bytes; [`decode`] rebuilds exactly the `Identity` the generator produced
//! (the store tests check it over a whole population). Personas never come here: they stay as
//! loaded, in memory.

use crate::identity::{Identity, Ins};
use crate::population;

/// `flags` bits.
const NIA: i64 = 1;
const HISTO: i64 = 2;
const RANG_2: i64 = 4;

/// `DateFin` of the generated INSHISTO entry (`population.rs`).
const HISTO_DATE_FIN: &str = "2019-02-28";

/// A population identity as stored (columns of the `population` table).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Row<'a> {
    pub nom: &'a str,
    pub prenoms: &'a str,
    /// Birth date and sexe, [`birth_key`].
    pub birth: i64,
    pub cog: &'a str,
    /// The matricule, [`matricule_key`].
    pub mat: i64,
    /// The ouvrant droit when it is not the identity's own matricule.
    pub od: Option<i64>,
    pub flags: i64,
}

/// A [`Row`] that owns its text, to cross from the generating thread to the inserting one.
#[derive(Debug)]
pub(super) struct OwnedRow {
    pub nom: String,
    pub prenoms: String,
    pub birth: i64,
    pub cog: String,
    pub mat: i64,
    pub od: Option<i64>,
    pub flags: i64,
}

impl Row<'_> {
    pub(super) fn to_owned_row(&self) -> OwnedRow {
        OwnedRow {
            nom: self.nom.to_owned(),
            prenoms: self.prenoms.to_owned(),
            birth: self.birth,
            cog: self.cog.to_owned(),
            mat: self.mat,
            od: self.od,
            flags: self.flags,
        }
    }
}

/// Packs a population identity; says why when it does not have the generator's shape (then the
/// generator changed and this module must follow).
pub(super) fn encode(id: &Identity) -> Result<Row<'_>, String> {
    let male = match id.sexe.as_str() {
        "M" => true,
        "F" => false,
        other => return Err(format!("sexe {other:?}")),
    };
    let birth = birth_key(&id.date_naissance, male)
        .ok_or_else(|| format!("birth date {:?}", id.date_naissance))?;
    let cog = id.lieu_naissance.as_deref().ok_or("no birthplace")?;
    let mat = matricule_key(&id.ins.matricule)
        .ok_or_else(|| format!("matricule {:?}", id.ins.matricule))?;
    // The key is not stored: [`decode`] computes it as the generator does (`population::key`);
    // checking it here again would double the generation's key work (the round-trip test
    // below proves the two agree).
    if id.ins.date_deb.is_some() || id.ins.date_fin.is_some() {
        return Err("dates on the active INS".into());
    }
    let mut flags = match id.ins.oid.as_str() {
        ins::Oid::INS_NIR => 0,
        ins::Oid::INS_NIA => NIA,
        other => return Err(format!("OID {other}")),
    };
    match id.histo.as_slice() {
        [] => {}
        [h] if *h == histo_entry(&id.ins.matricule, &id.date_naissance) => flags |= HISTO,
        _ => return Err("INSHISTO not of the generated shape".into()),
    }
    match id.rang_naissance.as_deref() {
        Some("1") => {}
        Some("2") => flags |= RANG_2,
        other => return Err(format!("rang {other:?}")),
    }
    let od = match id.matricule_od.as_deref() {
        Some(od) if od == id.ins.matricule => None,
        Some(od) => Some(matricule_key(od).ok_or_else(|| format!("ouvrant droit {od:?}"))?),
        None => return Err("no ouvrant droit".into()),
    };
    Ok(Row {
        nom: &id.nom_naissance,
        prenoms: &id.prenoms,
        birth,
        cog,
        mat,
        od,
        flags,
    })
}

/// Rebuilds the identity of a row; `None` if the row was not written by [`encode`].
pub(super) fn decode(
    nom: String,
    prenoms: String,
    birth: i64,
    cog: String,
    mat: i64,
    od: Option<i64>,
    flags: i64,
) -> Option<Identity> {
    let (date, male) = birth_text(birth)?;
    let matricule = matricule_text(mat)?;
    let matricule_od = match od {
        Some(od) => matricule_text(od)?,
        None => matricule.clone(),
    };
    let histo = if flags & HISTO != 0 {
        vec![histo_entry(&matricule, &date)]
    } else {
        Vec::new()
    };
    let oid = if flags & NIA != 0 {
        ins::Oid::INS_NIA
    } else {
        ins::Oid::INS_NIR
    };
    Some(Identity {
        nom_naissance: nom,
        prenoms,
        sexe: if male { "M" } else { "F" }.into(),
        date_naissance: date,
        lieu_naissance: Some(cog),
        ins: Ins {
            cle: population::key(&matricule),
            matricule,
            oid: oid.into(),
            date_deb: None,
            date_fin: None,
        },
        histo,
        matricule_od: Some(matricule_od),
        rang_naissance: Some(if flags & RANG_2 != 0 { "2" } else { "1" }.into()),
    })
}

/// The generated INSHISTO entry: a former NIR with the other sex digit, opened at birth and
/// closed on [`HISTO_DATE_FIN`] (`population.rs`, the CNDA 2.08 case).
fn histo_entry(matricule: &str, date_naissance: &str) -> Ins {
    let mut former = matricule.as_bytes().to_vec();
    if let Some(first) = former.first_mut() {
        *first = if *first == b'1' { b'2' } else { b'1' };
    }
    let former = String::from_utf8(former).unwrap_or_default();
    Ins {
        cle: population::key(&former),
        matricule: former,
        oid: ins::Oid::INS_NIR.into(),
        date_deb: Some(date_naissance.to_owned()),
        date_fin: Some(HISTO_DATE_FIN.into()),
    }
}

/// `YYYY-MM-DD` and sexe as one small integer (3 bytes in SQLite): `(day number) * 2 + male`.
/// Both sexes of one date are adjacent, so a trait search reads `[key(F), key(M)]`. `None` for
/// any other text, which no generated identity has.
pub(super) fn birth_key(date: &str, male: bool) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1800..=2299).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some((((y - 1800) * 16 + m) * 32 + d) * 2 + i64::from(male))
}

fn birth_text(key: i64) -> Option<(String, bool)> {
    let male = key & 1 == 1;
    let v = key >> 1;
    let (d, v) = (v % 32, v / 32);
    let (m, y) = (v % 16, v / 16 + 1800);
    (key >= 0 && (1..=12).contains(&m) && d >= 1 && y <= 2299)
        .then(|| (format!("{y:04}-{m:02}-{d:02}"), male))
}

/// A 13-character matricule as an integer below 2^46 (6 bytes in SQLite): its 13 digits, `2A`
/// and `2B` written `20` with the letter in bits 44–45. `None` for any other shape (such a
/// matricule is not in the population). Decoding gives the text back exactly, and the searches
/// compare the text again (`search.rs`).
pub(super) fn matricule_key(m: &str) -> Option<i64> {
    let b = m.as_bytes();
    if b.len() != 13 {
        return None;
    }
    let mut n: i64 = 0;
    let mut letter = 0;
    for (i, &c) in b.iter().enumerate() {
        let digit = match (i, c) {
            (_, b'0'..=b'9') => i64::from(c - b'0'),
            (6, b'A') if b[5] == b'2' => {
                letter = 1;
                0
            }
            (6, b'B') if b[5] == b'2' => {
                letter = 2;
                0
            }
            _ => return None,
        };
        n = n * 10 + digit;
    }
    Some(n | (letter << 44))
}

fn matricule_text(key: i64) -> Option<String> {
    let letter = key >> 44;
    let digits = key & ((1 << 44) - 1);
    if !(0..=2).contains(&letter) || digits >= 10_000_000_000_000 {
        return None;
    }
    let mut s = format!("{digits:013}");
    if letter != 0 {
        s.replace_range(6..7, if letter == 1 { "A" } else { "B" });
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_refuse_other_shapes() {
        for m in [
            "1090763220834",
            "180032B020401",
            "280012A123999",
            "0000000000000",
        ] {
            assert_eq!(matricule_text(matricule_key(m).unwrap()).unwrap(), m);
        }
        for bad in [
            "109076322083",
            "10907632208345",
            "18003AB020401",
            "1800320A20401",
        ] {
            assert_eq!(matricule_key(bad), None, "{bad}");
        }
        assert_ne!(
            matricule_key("180032A020401"),
            matricule_key("1800320020401")
        );
        for (date, male) in [
            ("1925-01-01", true),
            ("2025-12-31", false),
            ("1975-02-29", true),
        ] {
            assert_eq!(
                birth_text(birth_key(date, male).unwrap()).unwrap(),
                (date.to_owned(), male)
            );
        }
        for bad in [
            "1975-2-01",
            "1975-13-01",
            "1975-01-00",
            "19750101",
            "1975-01-0x",
        ] {
            assert_eq!(birth_key(bad, true), None, "{bad}");
        }
        assert_eq!(
            birth_key("1975-01-01", true),
            birth_key("1975-01-01", false).map(|k| k + 1)
        );
    }

    #[test]
    fn every_generated_identity_packs_and_comes_back_exactly() {
        let mut n = 0;
        population::generate(50_000, 7, |id| {
            let row = encode(&id).unwrap_or_else(|why| panic!("{id:?}: {why}"));
            let back = decode(
                row.nom.to_owned(),
                row.prenoms.to_owned(),
                row.birth,
                row.cog.to_owned(),
                row.mat,
                row.od,
                row.flags,
            );
            assert_eq!(back.as_ref(), Some(&id));
            n += 1;
        });
        assert_eq!(n, 50_000);
    }
}
