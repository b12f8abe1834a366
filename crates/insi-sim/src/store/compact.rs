//! The synthetic population's rows: a [`Person`] as SQLite columns, and the keys a query is
//! turned into.
//!
//! A row is the numbers the generator drew (`population.rs`): the birth name as text (the
//! table is ordered by it), the first names as indexes into the generator's lists, birth date
//! and sexe in one integer, matricule and ouvrant droit as integers, flags, the COG as text.
//! SQLite writes each integer in 0 to 6 bytes: a row is about 36 bytes. [`decode`] checks
//! every column and rebuilds exactly the `Identity` the generator produced (the store tests
//! check it over a whole population); a row it did not write gives `None`, never a panic.
//! Personas never come here: they stay as loaded, in memory.

use crate::identity::Identity;
use crate::population::{self, Nom, Person, Prenoms};

/// A row's values as SQLite returns them (`select!` in `store.rs`), borrowed from the statement.
pub(super) struct RowValues<'a> {
    pub nom: &'a str,
    pub prenoms: i64,
    pub birth: i64,
    pub cog: &'a str,
    pub mat: i64,
    pub od: Option<i64>,
    pub flags: i64,
}

/// The values to bind for `person`: `nom, prenoms, birth, cog, mat, od, flags`.
pub(super) fn columns(person: &Person) -> (&str, i64, i64, &str, i64, Option<i64>, i64) {
    (
        person.nom.as_str(),
        i64::from(person.prenoms.0),
        i64::from(person.birth),
        person.cog_str(),
        person.matricule as i64,
        (person.ouvrant_droit != 0).then_some(person.ouvrant_droit as i64),
        i64::from(person.flags),
    )
}

/// The person of a row; `None` if the row was not written by this module.
pub(super) fn person(row: &RowValues<'_>) -> Option<Person> {
    let birth = u32::try_from(row.birth).ok()?;
    let male = birth & 1 == 1;
    let cog: [u8; 5] = row.cog.as_bytes().try_into().ok()?;
    let matricule = u64::try_from(row.mat).ok()?;
    let ouvrant_droit = match row.od {
        None => 0,
        Some(od) => u64::try_from(od).ok().filter(|&od| od != 0)?,
    };
    let person = Person {
        nom: Nom::new(row.nom)?,
        matricule,
        ouvrant_droit,
        birth,
        prenoms: Prenoms::from_code(u32::try_from(row.prenoms).ok()?, male)?,
        cog,
        flags: u8::try_from(row.flags)
            .ok()
            .filter(|f| f & !(population::NIA | population::HISTO | population::RANG_2) == 0)?,
    };
    let (y, m, d) = person.date();
    let valid = population::birth_number(y, m, d, male) == Some(birth)
        && cog.iter().all(u8::is_ascii_alphanumeric)
        && population::matricule_text_checked(matricule).is_some()
        && (ouvrant_droit == 0 || population::matricule_text_checked(ouvrant_droit).is_some());
    valid.then_some(person)
}

/// The identity of a row; `None` if the row was not written by this module.
pub(super) fn decode(row: &RowValues<'_>) -> Option<Identity> {
    person(row).map(|p| p.identity())
}

/// A query's birth date and sexe as the `birth` column holds them; `None` for any text but
/// `YYYY-MM-DD` within the years a row can hold (no generated identity has such a date).
pub(super) fn birth_key(date: &str, male: bool) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        b[r].iter().try_fold(0u16, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (m, d) = (u8::try_from(m).ok()?, u8::try_from(d).ok()?);
    population::birth_number(y, m, d, male).map(i64::from)
}

/// A first first name as the `prenoms` column holds it under the mask `252` (`63 << 2`) of
/// the trait search's SQL: `None` for a name no generated identity of that sexe has.
pub(super) fn first_prenom_key(name: &str, male: bool) -> Option<i64> {
    Prenoms::index_of(name, male).map(|i| i64::from(i << Prenoms::FIRST_SHIFT))
}

/// A query's matricule as the `mat` and `od` columns hold it; `None` for a shape no generated
/// identity has (the searches compare the text again, `search.rs`).
pub(super) fn matricule_key(m: &str) -> Option<i64> {
    population::matricule_number(m).map(|n| n as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(person: &Person) -> RowValues<'_> {
        let (nom, prenoms, birth, cog, mat, od, flags) = columns(person);
        RowValues {
            nom,
            prenoms,
            birth,
            cog,
            mat,
            od,
            flags,
        }
    }

    #[test]
    fn every_generated_person_is_stored_and_read_back_as_generated() {
        let mut n = 0;
        population::generate_people(50_000, 7, |person| {
            let id = person.identity();
            assert_eq!(decode(&values(person)).as_ref(), Some(&id));
            // The query side finds the row from the identity's text.
            let male = id.sexe == "M";
            assert_eq!(
                birth_key(&id.date_naissance, male),
                Some(i64::from(person.birth))
            );
            assert_eq!(
                matricule_key(&id.ins.matricule),
                Some(person.matricule as i64)
            );
            n += 1;
        });
        assert_eq!(n, 50_000);
    }

    #[test]
    fn the_first_prenom_key_is_what_the_column_holds() {
        // The mask written in the trait search's SQL.
        let mask = 63 << Prenoms::FIRST_SHIFT;
        assert_eq!(mask, 252);
        population::generate_people(5_000, 9, |person| {
            let id = person.identity();
            let first = id.prenoms.split(' ').next().unwrap();
            assert_eq!(
                first_prenom_key(first, id.sexe == "M"),
                Some(i64::from(person.prenoms.0 & mask)),
                "{id:?}"
            );
        });
        assert_eq!(first_prenom_key("JEAN", false), None);
        assert_eq!(first_prenom_key("JEAN-JACQUES-ROUSSEAU", true), None);
    }

    #[test]
    fn keys_refuse_other_shapes() {
        for m in ["1090763220834", "180032B020401", "280012A123999"] {
            let k = matricule_key(m).unwrap() as u64;
            assert_eq!(population::matricule_text_checked(k).as_deref(), Some(m));
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
        for bad in [
            "1975-2-01",
            "1975-13-01",
            "1975-01-00",
            "19750101",
            "1975-01-0x",
            "1799-01-01",
        ] {
            assert_eq!(birth_key(bad, true), None, "{bad}");
        }
        assert_eq!(
            birth_key("1975-01-01", true),
            birth_key("1975-01-01", false).map(|k| k + 1)
        );
    }

    #[test]
    fn a_row_this_module_did_not_write_is_no_identity() {
        let mut person = None;
        population::generate_people(1, 3, |p| person = Some(*p));
        let person = person.unwrap();
        let good = values(&person);
        assert!(decode(&good).is_some());
        let damaged = [
            RowValues {
                nom: "",
                ..values(&person)
            },
            RowValues {
                nom: "A NAME LONGER THAN SIXTEEN",
                ..values(&person)
            },
            RowValues {
                nom: "DUPOND\u{e9}",
                ..values(&person)
            },
            RowValues {
                prenoms: -1,
                ..values(&person)
            },
            RowValues {
                prenoms: 63 << 2,
                ..values(&person)
            },
            RowValues {
                prenoms: 1 << 30,
                ..values(&person)
            },
            RowValues {
                birth: -4,
                ..values(&person)
            },
            RowValues {
                birth: good.birth & !(31 << 1),
                ..values(&person)
            },
            RowValues {
                cog: "7505",
                ..values(&person)
            },
            RowValues {
                cog: "75 56",
                ..values(&person)
            },
            RowValues {
                mat: -1,
                ..values(&person)
            },
            RowValues {
                mat: 3 << 44,
                ..values(&person)
            },
            RowValues {
                od: Some(0),
                ..values(&person)
            },
            RowValues {
                od: Some(10_000_000_000_000),
                ..values(&person)
            },
            RowValues {
                flags: 8,
                ..values(&person)
            },
        ];
        for row in &damaged {
            assert_eq!(
                decode(row),
                None,
                "nom {:?} prenoms {} birth {} cog {:?} mat {} od {:?} flags {}",
                row.nom,
                row.prenoms,
                row.birth,
                row.cog,
                row.mat,
                row.od,
                row.flags
            );
        }
    }
}
