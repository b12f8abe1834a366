//! The one-line reason the simulator gives for each answer, with its personal data marked.
//!
//! A [`Reason`] is written where the judgement is made (`app`, `search`) as a sequence of plain
//! text and *personal* parts (a birth name, first names, a birth date, a matricule, a COG). The
//! full text goes to the people at the console (the inspector, `--log-personal-data`, the
//! recorder); [`Reason::redacted`] replaces every personal part by its kind (`<nom>`), which is
//! what logs show by default (COMMON house rule: personal data redacted in logs).
//!
//! ```
//! use insi_sim::reason::{Personal, Reason};
//! let r = Reason::text("CR 01: ")
//!     .personal(Personal::Nom, "TCHITCHI")
//!     .push(" answers 00 only for the first name ")
//!     .personal(Personal::Prenom, "CATARINA");
//! assert_eq!(r.to_string(), "CR 01: TCHITCHI answers 00 only for the first name CATARINA");
//! assert_eq!(r.redacted(), "CR 01: <nom> answers 00 only for the first name <prénom>");
//! ```

use std::borrow::Cow;
use std::fmt;

/// The kinds of personal data a reason may quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Personal {
    Nom,
    Prenom,
    Sexe,
    DateNaissance,
    /// A birthplace (COG): with the birth date it identifies people.
    Lieu,
    /// A NIR/NIA, or any matricule.
    Matricule,
}

impl Personal {
    /// What the redacted text shows instead of the value.
    pub fn placeholder(self) -> &'static str {
        match self {
            Personal::Nom => "<nom>",
            Personal::Prenom => "<prénom>",
            Personal::Sexe => "<sexe>",
            Personal::DateNaissance => "<date>",
            Personal::Lieu => "<lieu>",
            Personal::Matricule => "<matricule>",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(Cow<'static, str>),
    Personal(Personal, String),
}

/// Why the simulator answered what it did, in one line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reason {
    parts: Vec<Part>,
}

impl Reason {
    /// A reason starting with plain text.
    pub fn text(text: impl Into<Cow<'static, str>>) -> Reason {
        Reason::default().push(text)
    }

    /// Appends plain text (no personal data in it).
    pub fn push(mut self, text: impl Into<Cow<'static, str>>) -> Reason {
        self.parts.push(Part::Text(text.into()));
        self
    }

    /// Appends a personal value.
    pub fn personal(mut self, kind: Personal, value: impl Into<String>) -> Reason {
        self.parts.push(Part::Personal(kind, value.into()));
        self
    }

    /// Appends personal values of one kind joined by `sep` (at most `max`, then `…`).
    pub fn personal_list<'a>(
        mut self,
        kind: Personal,
        values: impl IntoIterator<Item = &'a str>,
        sep: &'static str,
        max: usize,
    ) -> Reason {
        for (i, v) in values.into_iter().enumerate() {
            if i == max {
                self = self.push(sep).push("…");
                break;
            }
            if i > 0 {
                self = self.push(sep);
            }
            self = self.personal(kind, v);
        }
        self
    }

    /// Appends another reason.
    pub fn append(mut self, other: Reason) -> Reason {
        self.parts.extend(other.parts);
        self
    }

    /// Does the reason quote any personal data?
    pub fn has_personal_data(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Personal(..)))
    }

    /// The text with every personal value replaced by its kind (`<nom>`, `<date>`…).
    pub fn redacted(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Personal(kind, _) => out.push_str(kind.placeholder()),
            }
        }
        out
    }

    /// The text, redacted or not.
    pub fn render(&self, personal_data: bool) -> String {
        if personal_data {
            self.to_string()
        } else {
            self.redacted()
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(t) => f.write_str(t)?,
                Part::Personal(_, v) => f.write_str(v)?,
            }
        }
        Ok(())
    }
}

impl From<&'static str> for Reason {
    fn from(text: &'static str) -> Reason {
        Reason::text(text)
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Reason {
        Reason::text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_bounded_and_redacted_by_kind() {
        let r = Reason::text("born ").personal_list(
            Personal::DateNaissance,
            ["1980-01-01", "1981-01-01", "1982-01-01"],
            ", ",
            2,
        );
        assert_eq!(r.to_string(), "born 1980-01-01, 1981-01-01, …");
        assert_eq!(r.redacted(), "born <date>, <date>, …");
        assert!(r.has_personal_data());
        assert!(!Reason::text("x").has_personal_data());
        assert_eq!(Reason::text("a").append("b".into()).render(false), "ab");
    }
}
