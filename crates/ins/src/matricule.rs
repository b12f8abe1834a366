//! Matricule (NIR or NIA) and its control key.
//!
//! Layout of the 13 characters (INSI-PROTOCOL.md §6.3):
//!
//! | positions | content |
//! |---|---|
//! | 1 | sex digit: 1/2, or 3/4/7/8 for provisional registrations |
//! | 2–3 | year of birth |
//! | 4–5 | month of birth: 01–12, or the special ranges 20–42 and 50–99 |
//! | 6–7 | department: two digits, or `2A`/`2B` for Corsica |
//! | 8–10 | commune (or country code when born abroad) |
//! | 11–13 | order number |
//!
//! The key is `97 − (N mod 97)`; for Corsica `2A` counts as `19` and `2B` as `18`.

use std::fmt;
use std::str::FromStr;

/// A structurally valid 13-character matricule (NIR or NIA), without its key.
///
/// Stored as ASCII bytes; `2A`/`2B` are kept in upper case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Matricule([u8; 13]);

/// The two-digit control key of a matricule, as given (it may be wrong: see [`Matricule::check`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cle(u8);

/// A matricule parsed from text that may carry its key (15 characters once spaces are removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedMatricule {
    pub matricule: Matricule,
    pub cle: Option<Cle>,
}

/// Why a text is not a matricule. `position` is the 1-based character position in the text as
/// given (spaces included), so a user can find the culprit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct MatriculeError {
    pub position: Option<usize>,
    pub kind: MatriculeErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatriculeErrorKind {
    #[error("a matricule has 13 characters (15 with its key), spaces aside; this one has {found}")]
    Length { found: usize },
    #[error("character '{ch}' is not allowed: {expected}")]
    Character { ch: char, expected: &'static str },
    #[error(
        "the sex digit is '{ch}': it must be 1 or 2 (3, 4, 7 or 8 for a provisional registration)"
    )]
    SexDigit { ch: char },
    #[error("the month of birth is '{month}': it must be 01–12, 20–42 or 50–99")]
    Month { month: String },
    #[error(
        "'{found}' cannot be a department: Corsica is written 2A or 2B, other departments use two digits"
    )]
    Corsica { found: String },
    #[error("the key '{found}' is not two digits")]
    Key { found: String },
}

impl MatriculeError {
    /// A message that names the position, for people.
    pub fn describe(&self) -> String {
        match (&self.kind, self.position) {
            (MatriculeErrorKind::Character { ch, expected }, Some(p)) => {
                format!("character '{ch}' at position {p} is not allowed: {expected}")
            }
            (kind, Some(p)) => format!("{kind} (position {p})"),
            (kind, None) => kind.to_string(),
        }
    }
}

/// A key that does not match its matricule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("wrong key {given} for matricule {matricule}: the key should be {expected}")]
pub struct CleError {
    pub matricule: Matricule,
    pub given: Cle,
    pub expected: Cle,
}

impl Matricule {
    /// Parses 13 characters, or 15 with the key; spaces anywhere are ignored, `2a`/`2b` accepted.
    ///
    /// Fails when a key is present: use [`Matricule::parse_with_key`] for text that may carry one.
    pub fn parse(text: &str) -> Result<Matricule, MatriculeError> {
        let parsed = Self::parse_with_key(text)?;
        match parsed.cle {
            None => Ok(parsed.matricule),
            Some(_) => Err(MatriculeError {
                position: None,
                kind: MatriculeErrorKind::Length { found: 15 },
            }),
        }
    }

    /// Parses a matricule with or without its key (`1 09 07 63 220 834 89`, `109076322083489`,
    /// `1090763220834`). The key, when present, is returned as given and not checked.
    pub fn parse_with_key(text: &str) -> Result<ParsedMatricule, MatriculeError> {
        // Keep each significant character with its 1-based position in the original text, in a
        // fixed buffer: decoders check every INS they read, so this must not allocate.
        let mut kept = [(0usize, '\0'); 15];
        let mut found = 0usize;
        for (i, c) in text.chars().enumerate().filter(|(_, c)| !c.is_whitespace()) {
            if let Some(slot) = kept.get_mut(found) {
                *slot = (i + 1, c);
            }
            found += 1;
        }
        if found != 13 && found != 15 {
            return Err(MatriculeError {
                position: None,
                kind: MatriculeErrorKind::Length { found },
            });
        }
        let chars = &kept[..found];
        let mut bytes = [0u8; 13];
        for (index, &(position, ch)) in chars.iter().take(13).enumerate() {
            bytes[index] = Self::check_char(index, position, ch, chars)?;
        }
        Self::check_fields(&bytes, chars)?;
        let cle = if chars.len() == 15 {
            let (position, a) = chars[13];
            let (_, b) = chars[14];
            match (a.to_digit(10), b.to_digit(10)) {
                (Some(a), Some(b)) => Some(Cle((a * 10 + b) as u8)),
                _ => {
                    return Err(MatriculeError {
                        position: Some(position),
                        kind: MatriculeErrorKind::Key {
                            found: format!("{a}{b}"),
                        },
                    });
                }
            }
        } else {
            None
        };
        Ok(ParsedMatricule {
            matricule: Matricule(bytes),
            cle,
        })
    }

    fn check_char(
        index: usize,
        position: usize,
        ch: char,
        chars: &[(usize, char)],
    ) -> Result<u8, MatriculeError> {
        if ch.is_ascii_digit() {
            return Ok(ch as u8);
        }
        // Only the 7th character may be a letter, and only in 2A/2B (Corsica).
        if index == 6 && matches!(ch, 'A' | 'B' | 'a' | 'b') {
            if chars[5].1 == '2' {
                return Ok(ch.to_ascii_uppercase() as u8);
            }
            return Err(MatriculeError {
                position: Some(chars[5].0),
                kind: MatriculeErrorKind::Corsica {
                    found: format!("{}{}", chars[5].1, ch),
                },
            });
        }
        let expected = if index == 6 {
            "the 7th character is a digit, or A/B in 2A/2B (Corsica)"
        } else {
            "a matricule is made of digits (and 2A/2B for Corsica)"
        };
        Err(MatriculeError {
            position: Some(position),
            kind: MatriculeErrorKind::Character { ch, expected },
        })
    }

    fn check_fields(bytes: &[u8; 13], chars: &[(usize, char)]) -> Result<(), MatriculeError> {
        if !matches!(bytes[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
            return Err(MatriculeError {
                position: Some(chars[0].0),
                kind: MatriculeErrorKind::SexDigit {
                    ch: bytes[0] as char,
                },
            });
        }
        let month = (bytes[3] - b'0') * 10 + (bytes[4] - b'0');
        if !matches!(month, 1..=12 | 20..=42 | 50..=99) {
            return Err(MatriculeError {
                position: Some(chars[3].0),
                kind: MatriculeErrorKind::Month {
                    month: format!("{month:02}"),
                },
            });
        }
        Ok(())
    }

    /// The 13 characters.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// True for a matricule born in Corsica (department 2A or 2B).
    pub fn is_corsica(&self) -> bool {
        matches!(self.0[6], b'A' | b'B')
    }

    /// The sex digit (1 male, 2 female; 3/4/7/8 for provisional registrations).
    pub fn sex_digit(&self) -> u8 {
        self.0[0] - b'0'
    }

    /// The control key: `97 − (N mod 97)`, with 2A → 19 and 2B → 18.
    pub fn cle(&self) -> Cle {
        let mut n: u64 = 0;
        for (index, &b) in self.0.iter().enumerate() {
            let digit = match (index, b) {
                // `2A` reads as `19`, `2B` as `18`: the `2` before the letter becomes `1`.
                (5, b'2') if self.is_corsica() => 1,
                (6, b'A') => 9,
                (6, b'B') => 8,
                (_, d) => u64::from(d - b'0'),
            };
            n = n * 10 + digit;
        }
        Cle((97 - n % 97) as u8)
    }

    /// Checks a key against this matricule.
    pub fn check(&self, given: Cle) -> Result<(), CleError> {
        let expected = self.cle();
        if expected == given {
            Ok(())
        } else {
            Err(CleError {
                matricule: *self,
                given,
                expected,
            })
        }
    }
}

impl Cle {
    /// The key as a number (1–97 when computed; 0–99 when read).
    pub fn value(self) -> u8 {
        self.0
    }
}

impl FromStr for Matricule {
    type Err = MatriculeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Matricule::parse(s)
    }
}

impl FromStr for Cle {
    type Err = MatriculeError;
    /// Exactly two digits (`"07"`, not `"7"`), as on the wire.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() == 2 && bytes.iter().all(u8::is_ascii_digit) {
            Ok(Cle((bytes[0] - b'0') * 10 + (bytes[1] - b'0')))
        } else {
            Err(MatriculeError {
                position: None,
                kind: MatriculeErrorKind::Key {
                    found: s.to_owned(),
                },
            })
        }
    }
}

impl fmt::Display for Matricule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Matricule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matricule({})", self.as_str())
    }
}

impl fmt::Display for Cle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

impl fmt::Debug for Cle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cle({:02})", self.0)
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{Cle, Matricule};
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    impl Serialize for Matricule {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(self.as_str())
        }
    }
    impl<'de> Deserialize<'de> for Matricule {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let text = String::deserialize(d)?;
            Matricule::parse(&text).map_err(|e| D::Error::custom(e.describe()))
        }
    }
    impl Serialize for Cle {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }
    impl<'de> Deserialize<'de> for Cle {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let text = String::deserialize(d)?;
            text.parse()
                .map_err(|e: super::MatriculeError| D::Error::custom(e.describe()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(m: &str) -> String {
        Matricule::parse(m).expect(m).cle().to_string()
    }

    /// Every vector of INSI-PROTOCOL.md §6.3.
    #[test]
    fn reference_vectors() {
        assert_eq!(key("1090763220834"), "89");
        assert_eq!(key("180032B020401"), "23");
        assert_eq!(key("160012B020777"), "13");
        assert_eq!(key("2751263220749"), "74");
        assert_eq!(key("1810363220456"), "76");
        assert_eq!(key("2810363220456"), "26");
        assert_eq!(key("1090763220888"), "35");
        // §5.3 identities.
        assert_eq!(key("2360663220836"), "56");
        assert_eq!(key("1100863220830"), "60");
        assert_eq!(key("2770763220829"), "10");
        assert_eq!(key("2090763220834"), "39");
    }

    #[test]
    fn both_corsica_methods_agree() {
        // INSI-PROTOCOL §6.3: replace the letter by 0 and subtract 1,000,000 (A) / 2,000,000 (B).
        for text in [
            "180032B020401",
            "160012B020777",
            "299122B345678",
            "185022A001012",
        ] {
            let m = Matricule::parse(text).unwrap();
            let with_zero: u64 = text.replace(['A', 'B'], "0").parse().unwrap();
            let n = with_zero
                - if text.contains('A') {
                    1_000_000
                } else {
                    2_000_000
                };
            assert_eq!(u64::from(m.cle().value()), 97 - n % 97, "{text}");
        }
    }

    #[test]
    fn accepts_spaces_and_keys() {
        let spaced = Matricule::parse_with_key("1 09 07 63 220 834 89").unwrap();
        let compact = Matricule::parse_with_key("109076322083489").unwrap();
        let bare = Matricule::parse_with_key("1090763220834").unwrap();
        assert_eq!(spaced, compact);
        assert_eq!(spaced.matricule, bare.matricule);
        assert_eq!(spaced.cle, Some("89".parse().unwrap()));
        assert_eq!(bare.cle, None);
        assert_eq!(
            Matricule::parse("1 60 01 2b 020 777").unwrap().as_str(),
            "160012B020777"
        );
    }

    #[test]
    fn check_reports_the_expected_key() {
        let m = Matricule::parse("2810363220456").unwrap();
        let err = m.check("10".parse().unwrap()).unwrap_err();
        assert_eq!(err.expected.to_string(), "26");
        assert_eq!(
            err.to_string(),
            "wrong key 10 for matricule 2810363220456: the key should be 26"
        );
        assert!(m.check("26".parse().unwrap()).is_ok());
    }

    #[test]
    fn errors_name_the_position() {
        let err = Matricule::parse("1 09 07 63 2X0 834").unwrap_err();
        assert_eq!(err.position, Some(13));
        assert!(
            err.describe().contains("'X' at position 13"),
            "{}",
            err.describe()
        );

        let err = Matricule::parse("109076322083").unwrap_err();
        assert_eq!(err.kind, MatriculeErrorKind::Length { found: 12 });

        let err = Matricule::parse("5090763220834").unwrap_err();
        assert!(matches!(err.kind, MatriculeErrorKind::SexDigit { ch: '5' }));

        let err = Matricule::parse("1091563220834").unwrap_err();
        assert!(matches!(err.kind, MatriculeErrorKind::Month { .. }));
        assert_eq!(err.position, Some(4));

        // A letter is only allowed as 2A/2B.
        let err = Matricule::parse("180033B020401").unwrap_err();
        assert!(
            matches!(err.kind, MatriculeErrorKind::Corsica { .. }),
            "{err:?}"
        );
        let err = Matricule::parse("18003200C0401").unwrap_err();
        assert!(matches!(
            err.kind,
            MatriculeErrorKind::Character { ch: 'C', .. }
        ));

        let err = Matricule::parse_with_key("10907632208348X").unwrap_err();
        assert!(matches!(err.kind, MatriculeErrorKind::Key { .. }));
        assert!(
            Matricule::parse("109076322083489").is_err(),
            "parse() refuses a key"
        );
        assert!("7".parse::<Cle>().is_err());
    }

    #[test]
    fn non_ascii_input_does_not_panic() {
        for text in ["1090763220８34", "é090763220834", "1090763220834éé", ""] {
            assert!(Matricule::parse_with_key(text).is_err(), "{text}");
        }
    }
}
