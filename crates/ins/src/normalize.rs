//! Lexical normalisation and validation of the name traits (INSI-PROTOCOL.md §6.1).
//!
//! INSi refuses lowercase letters, diacritics and ligatures, in requests and in responses alike.
//! [`normalize`] turns what a user typed into what the service accepts:
//!
//! 1. characters with a defined equivalent are transliterated: lowercase → uppercase, accents,
//!    cedillas and trémas dropped (É → E, Ç → C), Œ → OE, Æ → AE, ß → SS, typographic apostrophes
//!    (’ ‘ ʼ) → `'`, Unicode hyphens (‐ ‑) → `-`, no-break spaces → space;
//! 2. leading and trailing spaces are trimmed and runs of spaces become one space;
//! 3. anything else (digits, `_`, `/`, `!`, …) is **refused**, never dropped, with its position;
//! 4. the result must pass [`validate`], else it is refused too — we never guess what a user
//!    meant by `D' ARTAGNAN` or a leading hyphen.
//!
//! The output always passes [`validate`], and `normalize` is idempotent.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest value accepted, in characters. Not a public INSi rule: the ANS datamatrix bounds names
/// to 100 characters and we apply that as a client limit (see `docs/ins-rules.md`).
pub const MAX_LEN: usize = 100;

/// Which trait a text is, since the rules differ slightly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TraitField {
    /// `NomNaissance`: a double hyphen `--` is allowed.
    NomNaissance,
    /// One or several first names separated by spaces: a request `Prenom`, or a `ListePrenom`.
    /// No `--`; each first name ends with a letter.
    Prenoms,
}

impl TraitField {
    fn name(self) -> &'static str {
        match self {
            TraitField::NomNaissance => "nom de naissance",
            TraitField::Prenoms => "prénom",
        }
    }
}

/// Why a text is refused. `position` is the 1-based character position in the text as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct LexicalError {
    pub field: TraitField,
    pub position: usize,
    pub ch: Option<char>,
    pub kind: LexicalErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexicalErrorKind {
    /// A character with no equivalent in A–Z, space, `'`, `-`.
    Forbidden,
    /// A lowercase letter or a diacritic in text that should already be normalised.
    NotNormalized,
    Empty,
    TooLong {
        len: usize,
    },
    LeadingSpace,
    LeadingHyphen,
    TrailingSpace,
    DoubledSpace,
    DoubledApostrophe,
    SpaceNextToApostrophe,
    /// `---` in a nom, or `--` in a prénom.
    TooManyHyphens,
    /// A first name that starts with a hyphen.
    PrenomStartsWithHyphen,
    /// A first name that ends with `-` or `'`.
    PrenomEnd,
}

impl LexicalError {
    /// A sentence that says what is wrong and what to do.
    pub fn message(&self) -> String {
        let field = self.field.name();
        let at = self.position;
        let ch = self.ch.map(describe_char).unwrap_or_default();
        match self.kind {
            LexicalErrorKind::Forbidden => format!(
                "{ch} at position {at} is not allowed in a {field}: INSi accepts only letters A–Z, \
                 space, apostrophe and hyphen, and this character has no equivalent; remove it \
                 or correct the identity"
            ),
            LexicalErrorKind::NotNormalized => format!(
                "{ch} at position {at} is not allowed in a {field} as sent to INSi: \
                 normalise the text first (uppercase, no accents, no ligatures)"
            ),
            LexicalErrorKind::Empty => format!("the {field} is empty"),
            LexicalErrorKind::TooLong { len } => {
                format!("the {field} has {len} characters; insi-bench accepts at most {MAX_LEN}")
            }
            LexicalErrorKind::LeadingSpace => format!("the {field} starts with a space"),
            LexicalErrorKind::LeadingHyphen => {
                format!("the {field} starts with a hyphen (position {at}): remove it")
            }
            LexicalErrorKind::TrailingSpace => format!("the {field} ends with a space"),
            LexicalErrorKind::DoubledSpace => format!("two spaces in a row at position {at}"),
            LexicalErrorKind::DoubledApostrophe => {
                format!("two apostrophes in a row at position {at} in the {field}")
            }
            LexicalErrorKind::SpaceNextToApostrophe => format!(
                "a space next to an apostrophe at position {at} in the {field}: INSi forbids \
                 combining them; keep only one of the two"
            ),
            LexicalErrorKind::TooManyHyphens => match self.field {
                TraitField::NomNaissance => {
                    format!("three hyphens in a row at position {at}: a nom allows at most `--`")
                }
                TraitField::Prenoms => {
                    format!("a double hyphen at position {at}: `--` is allowed only in a nom")
                }
            },
            LexicalErrorKind::PrenomStartsWithHyphen => {
                format!("the first name at position {at} starts with a hyphen")
            }
            LexicalErrorKind::PrenomEnd => {
                format!(
                    "the first name ending at position {at} ends with {ch}: a first name ends with a letter"
                )
            }
        }
    }
}

impl fmt::Display for TraitField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn describe_char(ch: char) -> String {
    match ch {
        ' ' => "a space".to_owned(),
        '\'' => "an apostrophe".to_owned(),
        '-' => "a hyphen".to_owned(),
        c if c.is_control() || c.is_whitespace() => format!("character U+{:04X}", c as u32),
        c => format!("character '{c}'"),
    }
}

/// Normalises a trait text for INSi, or says which character cannot be.
pub fn normalize(field: TraitField, input: &str) -> Result<String, LexicalError> {
    let refused = |position, ch, kind| LexicalError {
        field,
        position,
        ch: Some(ch),
        kind,
    };
    // Each output character keeps the position of the input character it comes from.
    let mut out: Vec<(char, usize)> = Vec::with_capacity(input.len());
    for (index, ch) in input.chars().enumerate() {
        let position = index + 1;
        match equivalent(ch) {
            Equivalent::Same => out.push((ch, position)),
            Equivalent::One(a) => out.push((a, position)),
            Equivalent::Two(a, b) => out.extend([(a, position), (b, position)]),
            // Already-decomposed input: a combining accent after a letter is dropped.
            Equivalent::Accent
                if out
                    .last()
                    .is_some_and(|(prev, _)| prev.is_ascii_uppercase()) => {}
            Equivalent::Accent | Equivalent::None => {
                return Err(refused(position, ch, LexicalErrorKind::Forbidden));
            }
        }
    }
    // Trim, and fold runs of spaces into one.
    let mut folded: Vec<(char, usize)> = Vec::with_capacity(out.len());
    for (ch, position) in out {
        if ch == ' ' && folded.last().is_none_or(|(prev, _)| *prev == ' ') {
            continue;
        }
        folded.push((ch, position));
    }
    if folded.last().is_some_and(|(ch, _)| *ch == ' ') {
        folded.pop();
    }
    check(field, &folded, input.chars().count())?;
    Ok(folded.into_iter().map(|(ch, _)| ch).collect())
}

enum Equivalent {
    /// Already allowed: A–Z, space, apostrophe, hyphen.
    Same,
    One(char),
    Two(char, char),
    /// A combining diacritic, dropped after a letter.
    Accent,
    None,
}

/// What a character becomes in INSi text. The list of equivalents is the one of §6.1; anything
/// not listed here has none and is refused.
fn equivalent(ch: char) -> Equivalent {
    match ch {
        'A'..='Z' | '\'' | '-' | ' ' => Equivalent::Same,
        'a'..='z' => Equivalent::One(ch.to_ascii_uppercase()),
        '\u{2019}' | '\u{2018}' | '\u{02BC}' => Equivalent::One('\''),
        '\u{2010}' | '\u{2011}' => Equivalent::One('-'),
        '\u{00A0}' | '\u{202F}' | '\u{2007}' => Equivalent::One(' '),
        'Œ' | 'œ' => Equivalent::Two('O', 'E'),
        'Æ' | 'æ' => Equivalent::Two('A', 'E'),
        'ß' | 'ẞ' => Equivalent::Two('S', 'S'),
        c if is_combining_mark(c) => Equivalent::Accent,
        c => strip_diacritics(c).map_or(Equivalent::None, Equivalent::One),
    }
}

/// A letter with diacritics → its uppercase ASCII base letter (É → E, ç → C, Ÿ → Y).
fn strip_diacritics(ch: char) -> Option<char> {
    let mut parts = std::iter::once(ch).nfd();
    let base = parts.next()?;
    if base.is_ascii_alphabetic() && parts.all(is_combining_mark) {
        Some(base.to_ascii_uppercase())
    } else {
        None
    }
}

/// Checks text that should already be in INSi form, without changing it.
pub fn validate(field: TraitField, text: &str) -> Result<(), LexicalError> {
    let mut chars = Vec::with_capacity(text.len());
    for (index, ch) in text.chars().enumerate() {
        let position = index + 1;
        let kind = match equivalent(ch) {
            Equivalent::Same => {
                chars.push((ch, position));
                continue;
            }
            Equivalent::None => LexicalErrorKind::Forbidden,
            _ => LexicalErrorKind::NotNormalized,
        };
        return Err(LexicalError {
            field,
            position,
            ch: Some(ch),
            kind,
        });
    }
    check(field, &chars, chars.len())
}

/// The structural rules, on characters already in the allowed set.
fn check(field: TraitField, chars: &[(char, usize)], input_len: usize) -> Result<(), LexicalError> {
    let fail = |position: usize, ch: Option<char>, kind| {
        Err(LexicalError {
            field,
            position,
            ch,
            kind,
        })
    };
    let Some(&(first, first_pos)) = chars.first() else {
        return fail(input_len.min(1), None, LexicalErrorKind::Empty);
    };
    if chars.len() > MAX_LEN {
        return fail(
            MAX_LEN + 1,
            None,
            LexicalErrorKind::TooLong { len: chars.len() },
        );
    }
    match first {
        ' ' => return fail(first_pos, Some(' '), LexicalErrorKind::LeadingSpace),
        '-' => return fail(first_pos, Some('-'), LexicalErrorKind::LeadingHyphen),
        _ => {}
    }
    let max_hyphens = match field {
        TraitField::NomNaissance => 2,
        TraitField::Prenoms => 1,
    };
    let mut hyphens = 0;
    for (i, &(ch, position)) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p].0);
        let next = chars.get(i + 1).map(|c| c.0);
        hyphens = if ch == '-' { hyphens + 1 } else { 0 };
        if hyphens > max_hyphens {
            return fail(position, Some(ch), LexicalErrorKind::TooManyHyphens);
        }
        match (prev, ch) {
            (Some(' '), ' ') => return fail(position, Some(ch), LexicalErrorKind::DoubledSpace),
            (Some('\''), '\'') => {
                return fail(position, Some(ch), LexicalErrorKind::DoubledApostrophe);
            }
            (Some(' '), '\'') | (Some('\''), ' ') => {
                return fail(position, Some(ch), LexicalErrorKind::SpaceNextToApostrophe);
            }
            _ => {}
        }
        if field == TraitField::Prenoms {
            // Each space-separated first name starts and ends like a name.
            if ch == '-' && (prev.is_none() || prev == Some(' ')) {
                return fail(position, Some(ch), LexicalErrorKind::PrenomStartsWithHyphen);
            }
            if matches!(ch, '-' | '\'') && (next.is_none() || next == Some(' ')) {
                return fail(position, Some(ch), LexicalErrorKind::PrenomEnd);
            }
        }
        if ch == ' ' && next.is_none() {
            return fail(position, Some(ch), LexicalErrorKind::TrailingSpace);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TraitField::{NomNaissance as Nom, Prenoms};

    fn ok(field: TraitField, input: &str) -> String {
        normalize(field, input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
    }

    fn refused(field: TraitField, input: &str) -> LexicalError {
        normalize(field, input).expect_err(input)
    }

    #[test]
    fn transliterates_what_has_an_equivalent() {
        assert_eq!(ok(Nom, "D’ÆION"), "D'AEION");
        assert_eq!(ok(Prenoms, "CŒUR"), "COEUR");
        assert_eq!(ok(Nom, "Müller-Lüdenscheidt"), "MULLER-LUDENSCHEIDT");
        assert_eq!(ok(Prenoms, "françoise"), "FRANCOISE");
        assert_eq!(ok(Prenoms, "Éloïse"), "ELOISE");
        assert_eq!(ok(Nom, "STRAßE"), "STRASSE");
        assert_eq!(ok(Nom, "Nguyễn"), "NGUYEN");
        assert_eq!(ok(Nom, "  de   la  fontaine "), "DE LA FONTAINE");
        assert_eq!(ok(Nom, "D\u{00A0}ARTAGNAN"), "D ARTAGNAN");
        assert_eq!(ok(Prenoms, "Jean\u{2011}Pierre"), "JEAN-PIERRE");
        // Decomposed input: E + combining acute.
        assert_eq!(ok(Prenoms, "E\u{0301}LISE"), "ELISE");
        assert_eq!(
            ok(Nom, "D'ARTAGNAN DE L'HERAULT"),
            "D'ARTAGNAN DE L'HERAULT"
        );
        assert_eq!(
            ok(Nom, "'T HOOFT"),
            "'T HOOFT",
            "an apostrophe may come first"
        );
        assert_eq!(ok(Nom, "BRANDT--LEROY"), "BRANDT--LEROY");
        assert_eq!(
            ok(Prenoms, "PIERRE-ALAIN MURIEL FLORIANT"),
            "PIERRE-ALAIN MURIEL FLORIANT"
        );
    }

    #[test]
    fn refuses_characters_without_equivalent() {
        let e = refused(Nom, "DUPONT2");
        assert_eq!(
            (e.position, e.ch, e.kind),
            (7, Some('2'), LexicalErrorKind::Forbidden)
        );
        assert!(
            e.message().contains("character '2' at position 7"),
            "{}",
            e.message()
        );
        for (input, position, ch) in [
            ("DU_PONT", 3, '_'),
            ("A/B", 2, '/'),
            ("HÉLÈNE!", 7, '!'),
            ("ØSTERGAARD", 1, 'Ø'),
            ("MAR\tTIN", 4, '\t'),
            ("ΑΛΦΑ", 1, 'Α'),
        ] {
            let e = refused(Nom, input);
            assert_eq!((e.position, e.ch), (position, Some(ch)), "{input}");
        }
        // A combining mark with no letter before it.
        assert_eq!(refused(Nom, "\u{0301}A").position, 1);
    }

    #[test]
    fn refuses_bad_structure() {
        use LexicalErrorKind as K;
        let cases: &[(TraitField, &str, K, usize)] = &[
            (Nom, "-DUPONT", K::LeadingHyphen, 1),
            (Nom, "   ", K::Empty, 1),
            (Nom, "", K::Empty, 0),
            (Nom, "D''ARTAGNAN", K::DoubledApostrophe, 3),
            (Nom, "D' ARTAGNAN", K::SpaceNextToApostrophe, 3),
            (Nom, "D 'ARTAGNAN", K::SpaceNextToApostrophe, 3),
            (Nom, "A---B", K::TooManyHyphens, 4),
            (Prenoms, "JEAN--PIERRE", K::TooManyHyphens, 6),
            (Prenoms, "JEAN-", K::PrenomEnd, 5),
            (Prenoms, "JEAN' PAUL", K::PrenomEnd, 5),
            (Prenoms, "JEAN- PAUL", K::PrenomEnd, 5),
            (Prenoms, "JEAN -PAUL", K::PrenomStartsWithHyphen, 6),
            (Prenoms, "PAUL'", K::PrenomEnd, 5),
        ];
        for &(field, input, kind, position) in cases {
            let e = refused(field, input);
            assert_eq!(
                (e.kind, e.position),
                (kind, position),
                "{input:?}: {}",
                e.message()
            );
        }
        let long = "A".repeat(MAX_LEN + 1);
        assert!(matches!(refused(Nom, &long).kind, K::TooLong { len: 101 }));
        assert_eq!(ok(Nom, &"A".repeat(MAX_LEN)).len(), MAX_LEN);
    }

    #[test]
    fn validate_refuses_what_is_not_normalised() {
        assert!(validate(Nom, "D'AEION").is_ok());
        let e = validate(Nom, "Dupont").unwrap_err();
        assert_eq!((e.position, e.kind), (2, LexicalErrorKind::NotNormalized));
        let e = validate(Prenoms, "CŒUR").unwrap_err();
        assert_eq!((e.position, e.kind), (2, LexicalErrorKind::NotNormalized));
        let e = validate(Nom, "DUPONT ").unwrap_err();
        assert_eq!(e.kind, LexicalErrorKind::TrailingSpace);
        let e = validate(Nom, "A  B").unwrap_err();
        assert_eq!(e.kind, LexicalErrorKind::DoubledSpace);
        let e = validate(Nom, " A").unwrap_err();
        assert_eq!(e.kind, LexicalErrorKind::LeadingSpace);
        assert_eq!(
            validate(Nom, "DUPONT2").unwrap_err().kind,
            LexicalErrorKind::Forbidden
        );
    }
}
