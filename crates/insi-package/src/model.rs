//! The test package model (format v1), as read from TOML. See `docs/package-format.md`.
//!
//! Every table refuses unknown keys, so a typo is an error with its line, never a silently
//! ignored expectation.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The only package format this version reads.
pub const FORMAT: i64 = 1;

/// `package.toml`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: i64,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub defaults: Defaults,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default)]
    pub auth: Auth,
    #[serde(default)]
    pub strategy: Strategy,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// Establishment certificate over mutual TLS (CN INSI-AUTO / INSI-MANU).
    #[default]
    Mtls,
    /// CPx card: PS assertion signed by the card, server-auth TLS.
    Cpx,
}

impl Auth {
    /// The name used in package files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::Mtls => "mtls",
            Auth::Cpx => "cpx",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One call with the traits as given.
    Single,
    /// The CNDA first-name loop (2.06/2.07): one call per prénom, then all prénoms together.
    #[default]
    Cnda,
}

impl Strategy {
    /// The name used in package files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Single => "single",
            Strategy::Cnda => "cnda",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    SearchTraits,
    SearchVitale,
    Verify,
}

impl Operation {
    /// The name used in package files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::SearchTraits => "search-traits",
            Operation::SearchVitale => "search-vitale",
            Operation::Verify => "verify",
        }
    }
}

/// One `cases/*.toml` file: one or more `[[case]]` tables.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    #[serde(rename = "case")]
    pub cases: Vec<Spanned<Case>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// CNDA-style identifier, e.g. `2.07-cas1`; unique in the package.
    pub id: String,
    pub title: String,
    pub operation: Operation,
    pub auth: Option<Auth>,
    pub strategy: Option<Strategy>,
    pub input: Input,
    /// A response file under `responses/`, served instead of the simulator's own answer for
    /// every call of this case (the CNDA injection).
    pub inject: Option<Spanned<PathBuf>>,
    pub expect: Spanned<Expect>,
    /// Free text: where the case comes from, and any choice made where the public facts are
    /// ambiguous.
    pub notes: Option<String>,
    /// Not run at all, for this reason (e.g. "needs a real Vitale assertion"). Reports list it
    /// apart; it neither passes nor fails.
    pub skip: Option<Spanned<String>>,
    /// Run, but known to fail for this reason (a known bug, a service quirk not yet modelled).
    /// A failure is reported as `xfail` and does not fail the run; a **pass** is reported as
    /// `xpass` so the mark gets removed.
    pub xfail: Option<Spanned<String>>,
    /// What the software must do with the answer, which no exchange shows: lines a human ticks
    /// when `check-client` judges a publisher's software ("the software shows both INSHISTO
    /// entries"). Reports list them; they neither pass nor fail the case. `run` ignores them.
    pub checklist: Option<Vec<String>>,
}

/// What the case sends. Which fields are required depends on the operation.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub nom: Option<String>,
    pub prenoms: Option<String>,
    pub sexe: Option<String>,
    pub naissance: Option<String>,
    pub lieu: Option<String>,
    /// Vitale search: the virtual card file under `cards/`.
    pub card: Option<Spanned<PathBuf>>,
    /// Vitale search: which beneficiary of the card (1-based, in card order; default 1).
    pub beneficiaire: Option<u32>,
    /// `auth = "cpx"`: the virtual CPx card under `cards/` (default: the built-in demo card).
    pub cpx_card: Option<Spanned<PathBuf>>,
    /// Verification: the stored INS.
    pub matricule: Option<String>,
    pub cle: Option<String>,
    pub oid: Option<String>,
    /// Client credentials other than the package default, by test-PKI name (e.g. `wrong-cn`),
    /// for authentication-failure cases.
    pub certificate: Option<String>,
    /// An authorisation number (IDAM) other than the configured one.
    pub idam: Option<String>,
}

/// What must be observed. At least one of `cr`, `refused`, `fault`, `verdict`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The final CR: `00`, `01`, `02`.
    pub cr: Option<Spanned<String>>,
    pub ins: Option<ExpectIns>,
    pub traits: Option<ExpectTraits>,
    pub ins_histo: Option<Vec<ExpectIns>>,
    /// The sequence of calls the strategy must make, in order.
    pub attempts: Option<Vec<ExpectAttempt>>,
    /// A client-side refusal: nothing is sent.
    pub refused: Option<ExpectRefusal>,
    /// A SOAP fault reported by the client.
    pub fault: Option<ExpectFault>,
    pub verdict: Option<Verdict>,
    /// How many HTTP calls in total (retries included).
    pub calls: Option<u32>,
    /// Substrings that must appear among the decoder's or client's warnings.
    pub warnings: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectIns {
    pub matricule: Spanned<String>,
    pub cle: Option<Spanned<String>>,
    pub oid: Option<String>,
    pub date_deb: Option<Spanned<String>>,
    pub date_fin: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectTraits {
    pub nom_naissance: Option<String>,
    pub prenom: Option<String>,
    pub liste_prenom: Option<String>,
    pub sexe: Option<String>,
    pub date_naissance: Option<Spanned<String>>,
    pub lieu_naissance: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectAttempt {
    pub prenom: Option<String>,
    pub lieu: Option<String>,
    pub cr: Option<String>,
    /// Detail code of a fault answered to this attempt (`desir_1020`, `insi_102`, …).
    pub fault: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectRefusal {
    /// `nom`, `prenoms`, `sexe`, `naissance` or `lieu`.
    pub field: RefusedField,
    /// The offending character, when the refusal is lexical.
    pub char: Option<String>,
    pub position: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusedField {
    Nom,
    Prenoms,
    Sexe,
    Naissance,
    Lieu,
}

impl RefusedField {
    /// The name used in package files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusedField::Nom => "nom",
            RefusedField::Prenoms => "prenoms",
            RefusedField::Sexe => "sexe",
            RefusedField::Naissance => "naissance",
            RefusedField::Lieu => "lieu",
        }
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFault {
    /// `siram_NN`, without prefix.
    pub subcode: Option<String>,
    /// Detail code: `desir_550`, `DESIR_560`, `desir_1020`, `insi_102`, …
    pub code: Option<String>,
    pub severite: Option<String>,
    /// HTTP status, when the fault must come with one (500 for SOAP faults).
    pub http_status: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Conforme,
    NonConforme,
    Introuvable,
}

impl Verdict {
    /// The name used in package files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Conforme => "conforme",
            Verdict::NonConforme => "non-conforme",
            Verdict::Introuvable => "introuvable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_name<T: Serialize>(value: T) -> String {
        match toml::Value::try_from(value) {
            Ok(toml::Value::String(name)) => name,
            other => panic!("not a string: {other:?}"),
        }
    }

    /// `as_str` is the serde name: package files and reports say the same word.
    #[test]
    fn names_match_the_serde_names() {
        for auth in [Auth::Mtls, Auth::Cpx] {
            assert_eq!(auth.as_str(), serde_name(auth));
        }
        for strategy in [Strategy::Single, Strategy::Cnda] {
            assert_eq!(strategy.as_str(), serde_name(strategy));
        }
        for op in [
            Operation::SearchTraits,
            Operation::SearchVitale,
            Operation::Verify,
        ] {
            assert_eq!(op.as_str(), serde_name(op));
        }
        use RefusedField::*;
        for field in [Nom, Prenoms, Sexe, Naissance, Lieu] {
            assert_eq!(field.as_str(), serde_name(field));
        }
        for v in [
            Verdict::Conforme,
            Verdict::NonConforme,
            Verdict::Introuvable,
        ] {
            assert_eq!(v.as_str(), serde_name(v));
        }
    }
}
