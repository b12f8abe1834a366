//! The five INS reference traits, validated (INSI-PROTOCOL.md §3.1, §6).
//!
//! Each type can only hold a value INSi accepts: building one normalises (names) or checks
//! (sexe, date, COG) its input. Values *received* from the service are not forced through these
//! types — they are stored exactly as sent — but can be checked with them.

use std::fmt;
use std::str::FromStr;

use crate::normalize::{LexicalError, TraitField, normalize};

/// A normalised birth name (`NomNaissance`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NomNaissance(String);

/// One or several normalised first names, in order. `ListePrenom` is their space-joined text.
///
/// A composed first name keeps its hyphen (`PIERRE-ALAIN` is one first name); a space separates
/// two first names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Prenoms(Vec<String>);

/// `Sexe`: INSi takes and returns only `M` or `F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sexe {
    M,
    F,
}

/// `DateNaissance`, a calendar date written `YYYY-MM-DD`.
///
/// Partial ("lunar") dates such as `1980-00-00` exist on Vitale cards, but whether INSi accepts
/// them is not public; we refuse them (see `docs/ins-rules.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateNaissance {
    year: u16,
    month: u8,
    day: u8,
}

/// A birthplace COG: a French commune (`63220`, Corsica `2A004`/`2B020`), a country abroad
/// (`99` + INSEE country code, e.g. `99132`), or `99999` when unknown.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cog([u8; 5]);

/// The traits a trait search sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Traits {
    pub nom_naissance: NomNaissance,
    pub prenoms: Prenoms,
    pub sexe: Sexe,
    pub date_naissance: DateNaissance,
    pub lieu_naissance: Option<Cog>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("sexe '{0}' is not accepted: INSi takes M or F")]
pub struct SexeError(pub String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("date de naissance '{text}' {reason}")]
pub struct DateError {
    pub text: String,
    pub reason: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "lieu de naissance '{0}' is not a COG: 5 characters, two digits or 2A/2B then three digits \
     (99xxx abroad, 99999 unknown)"
)]
pub struct CogError(pub String);

/// Any trait refused before a request is built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraitError {
    #[error(transparent)]
    Lexical(#[from] LexicalError),
    #[error(transparent)]
    Sexe(#[from] SexeError),
    #[error(transparent)]
    Date(#[from] DateError),
    #[error(transparent)]
    Cog(#[from] CogError),
}

impl NomNaissance {
    /// Normalises and validates (`D’ÆION` → `D'AEION`).
    pub fn new(text: &str) -> Result<Self, LexicalError> {
        normalize(TraitField::NomNaissance, text).map(NomNaissance)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Prenoms {
    /// Normalises and validates a space-separated list of first names.
    pub fn new(text: &str) -> Result<Self, LexicalError> {
        let normalised = normalize(TraitField::Prenoms, text)?;
        Ok(Prenoms(normalised.split(' ').map(str::to_owned).collect()))
    }

    /// The first names, in order (never empty).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `Prenoms` holds at least one first name.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first first name (`PIERRE-ALAIN` for `PIERRE-ALAIN MURIEL`).
    pub fn premier(&self) -> &str {
        self.0.first().map(String::as_str).unwrap_or_default()
    }

    /// The `ListePrenom` text: first names joined by one space.
    pub fn liste(&self) -> String {
        self.0.join(" ")
    }
}

impl Sexe {
    pub fn as_str(self) -> &'static str {
        match self {
            Sexe::M => "M",
            Sexe::F => "F",
        }
    }
}

impl FromStr for Sexe {
    type Err = SexeError;
    /// `M`/`F`, in either case, surrounding spaces ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "M" | "m" => Ok(Sexe::M),
            "F" | "f" => Ok(Sexe::F),
            other => Err(SexeError(other.to_owned())),
        }
    }
}

impl DateNaissance {
    pub fn new(year: u16, month: u8, day: u8) -> Option<DateNaissance> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(DateNaissance { year, month, day })
    }

    pub fn year(self) -> u16 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl FromStr for DateNaissance {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |reason| DateError {
            text: s.to_owned(),
            reason,
        };
        let b = s.as_bytes();
        let shaped = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shaped {
            return Err(fail("is not written YYYY-MM-DD"));
        }
        let number = |range: std::ops::Range<usize>| {
            b[range]
                .iter()
                .fold(0u16, |n, c| n * 10 + u16::from(c - b'0'))
        };
        let (year, month, day) = (number(0..4), number(5..7) as u8, number(8..10) as u8);
        if month == 0 || day == 0 {
            return Err(fail(
                "is a partial date (00): INSi's acceptance of partial dates is not public, \
                 so insi-bench does not send them",
            ));
        }
        DateNaissance::new(year, month, day).ok_or_else(|| fail("is not a calendar date"))
    }
}

impl fmt::Display for DateNaissance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Cog {
    /// The COG for an unknown birthplace.
    pub const UNKNOWN: &'static str = "99999";

    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Born abroad: `99` followed by an INSEE country code (not `99999`).
    pub fn is_abroad(&self) -> bool {
        self.0.starts_with(b"99") && !self.is_unknown()
    }

    pub fn is_unknown(&self) -> bool {
        &self.0 == b"99999"
    }

    pub fn is_corsica(&self) -> bool {
        matches!(&self.0[..2], b"2A" | b"2B")
    }
}

impl FromStr for Cog {
    type Err = CogError;
    /// Five characters: two digits or `2A`/`2B` (either case), then three digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = || CogError(s.to_owned());
        let b = s.as_bytes();
        if b.len() != 5 {
            return Err(fail());
        }
        let mut out = [0u8; 5];
        for (i, &c) in b.iter().enumerate() {
            out[i] = match (i, c) {
                (1, b'A' | b'B' | b'a' | b'b') if b[0] == b'2' => c.to_ascii_uppercase(),
                (_, c) if c.is_ascii_digit() => c,
                _ => return Err(fail()),
            };
        }
        Ok(Cog(out))
    }
}

impl fmt::Display for Cog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Cog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cog({})", self.as_str())
    }
}

impl fmt::Display for NomNaissance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Prenoms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.liste())
    }
}

impl fmt::Display for Sexe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Traits {
    /// Builds validated traits from user text; the first refusal is returned.
    pub fn parse(
        nom_naissance: &str,
        prenoms: &str,
        sexe: &str,
        date_naissance: &str,
        lieu_naissance: Option<&str>,
    ) -> Result<Traits, TraitError> {
        Ok(Traits {
            nom_naissance: NomNaissance::new(nom_naissance)?,
            prenoms: Prenoms::new(prenoms)?,
            sexe: sexe.parse()?,
            date_naissance: date_naissance.parse()?,
            lieu_naissance: lieu_naissance.map(str::parse).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_validated_traits() {
        let t = Traits::parse(
            "d'artagnan",
            "pierre-alain  muriel",
            "m",
            "2001-06-17",
            Some("2b020"),
        )
        .unwrap();
        assert_eq!(t.nom_naissance.as_str(), "D'ARTAGNAN");
        assert_eq!(
            t.prenoms.iter().collect::<Vec<_>>(),
            ["PIERRE-ALAIN", "MURIEL"]
        );
        assert_eq!(t.prenoms.premier(), "PIERRE-ALAIN");
        assert_eq!(t.prenoms.liste(), "PIERRE-ALAIN MURIEL");
        assert_eq!(t.sexe, Sexe::M);
        assert_eq!(t.date_naissance.to_string(), "2001-06-17");
        assert_eq!(
            t.lieu_naissance.map(|c| c.to_string()).as_deref(),
            Some("2B020")
        );
    }

    #[test]
    fn refuses_bad_sexe_dates_and_cogs() {
        assert!("I".parse::<Sexe>().is_err());
        assert!("".parse::<Sexe>().is_err());
        for bad in [
            "2001-02-29",
            "2001-13-01",
            "2001-6-17",
            "17/06/2001",
            "1980-00-00",
            "2001-06-1x",
        ] {
            assert!(bad.parse::<DateNaissance>().is_err(), "{bad}");
        }
        assert!("2000-02-29".parse::<DateNaissance>().is_ok());
        assert!("1900-02-29".parse::<DateNaissance>().is_err());
        for good in ["63220", "2A004", "2b020", "99132", "99999", "97411"] {
            assert!(good.parse::<Cog>().is_ok(), "{good}");
        }
        for bad in ["6322", "632200", "3A020", "2C020", "2A0B0", "6322é"] {
            assert!(bad.parse::<Cog>().is_err(), "{bad}");
        }
        let unknown: Cog = "99999".parse().unwrap();
        assert!(unknown.is_unknown() && !unknown.is_abroad());
        let uk: Cog = "99132".parse().unwrap();
        assert!(uk.is_abroad());
        assert!("2A004".parse::<Cog>().unwrap().is_corsica());
    }

    #[test]
    fn trait_errors_say_what_is_wrong() {
        let err = Traits::parse("DUPONT", "JEAN", "X", "2001-06-17", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sexe 'X' is not accepted: INSi takes M or F"
        );
        let err = Traits::parse("DUPONT", "JEAN", "M", "2001-06-17", Some("ABC")).unwrap_err();
        assert!(err.to_string().contains("is not a COG"));
    }
}
