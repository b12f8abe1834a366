//! Personas: named identities with their observed behaviours, read from TOML
//! (`testdata/personas.toml` holds the public qualification identities of INSI-PROTOCOL.md §5.3).
//!
//! A persona is either an ordinary identity stored in the référentiel, one that is never found
//! (`never_found = true`, HOUILLES: always `01`), or one whose search ends in a technical fault
//! (`fault = "insi_102"`, D'AEION COEUR). Every field is checked when the file is loaded, with
//! the persona's index and name in the error, so a typo never turns into a silent `01`.

use std::path::Path;

use serde::Deserialize;

use crate::fault::FaultCode;
use crate::identity::{Identity, Ins};

/// The whole file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaFile {
    #[serde(default, rename = "persona")]
    pub personas: Vec<Persona>,
}

/// One persona as written in TOML.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub nom: String,
    pub prenoms: String,
    pub sexe: String,
    pub date_naissance: String,
    #[serde(default)]
    pub lieu_naissance: Option<String>,
    /// 13 characters; absent only for `never_found` and `fault` personas.
    #[serde(default)]
    pub matricule: Option<String>,
    #[serde(default)]
    pub cle: Option<String>,
    /// Defaults to INS-NIR (`1.2.250.1.213.1.4.8`), what qualification returns (§3.5).
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub histo: Vec<HistoEntry>,
    #[serde(default)]
    pub matricule_od: Option<String>,
    #[serde(default)]
    pub rang_naissance: Option<String>,
    /// Stored but never returned: every search gives `01`.
    #[serde(default)]
    pub never_found: bool,
    /// A search on this nom + first first name ends in this fault.
    #[serde(default)]
    pub fault: Option<FaultCode>,
    /// Free text: where the behaviour comes from (CNDA case, capture).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoEntry {
    pub matricule: String,
    pub cle: String,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub date_deb: Option<String>,
    #[serde(default)]
    pub date_fin: Option<String>,
}

/// A persona whose search ends in a fault: matched on birth name and first first name only, since
/// a technical error does not depend on the other traits (CNDA 2.03 cas 3 is sent with two
/// different birth dates by known clients).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultPersona {
    pub nom_naissance: String,
    pub premier_prenom: String,
    pub fault: FaultCode,
}

/// Personas sorted by what the simulator does with them.
#[derive(Clone, Debug, Default)]
pub struct Personas {
    /// Stored and searchable.
    pub identities: Vec<Identity>,
    /// Stored nowhere: searches give `01` whatever the traits (listed for the banner and docs).
    pub never_found: Vec<String>,
    pub faults: Vec<FaultPersona>,
}

#[derive(Debug, thiserror::Error)]
pub enum PersonaError {
    #[error("cannot read personas file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("personas file {path} is not valid TOML for personas: {message}")]
    Toml { path: String, message: String },
    #[error("persona #{index} ({nom} {prenoms}): {problem}")]
    Invalid {
        index: usize,
        nom: String,
        prenoms: String,
        problem: String,
    },
}

/// Largest personas file read (4 MiB: thousands of personas).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl Personas {
    /// Reads and checks a personas file.
    pub fn load(path: &Path) -> Result<Personas, PersonaError> {
        let read_error = |source| PersonaError::Read {
            path: path.display().to_string(),
            source,
        };
        // Checked before reading: a personas file is hand-written, a few KiB; anything far
        // larger is a wrong path, not personas.
        let size = std::fs::metadata(path).map_err(read_error)?.len();
        if size > MAX_FILE_BYTES {
            return Err(read_error(std::io::Error::other(format!(
                "{size} bytes, more than the {MAX_FILE_BYTES}-byte limit for a personas file"
            ))));
        }
        let text = std::fs::read_to_string(path).map_err(read_error)?;
        Self::parse(&text).map_err(|err| match err {
            PersonaError::Toml { message, .. } => PersonaError::Toml {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses and checks personas from TOML text.
    pub fn parse(text: &str) -> Result<Personas, PersonaError> {
        let file: PersonaFile = toml::from_str(text).map_err(|e| PersonaError::Toml {
            path: "<text>".into(),
            message: e.to_string(),
        })?;
        let mut out = Personas::default();
        for (i, p) in file.personas.into_iter().enumerate() {
            let invalid = |problem: String| PersonaError::Invalid {
                index: i + 1,
                nom: p.nom.clone(),
                prenoms: p.prenoms.clone(),
                problem,
            };
            check_traits(&p).map_err(&invalid)?;
            if let Some(fault) = p.fault {
                out.faults.push(FaultPersona {
                    nom_naissance: p.nom.clone(),
                    premier_prenom: p.prenoms.split(' ').next().unwrap_or_default().to_owned(),
                    fault,
                });
                continue;
            }
            if p.never_found {
                out.never_found.push(format!("{} {}", p.nom, p.prenoms));
                continue;
            }
            let (Some(matricule), Some(cle)) = (&p.matricule, &p.cle) else {
                return Err(invalid(
                    "a stored persona needs `matricule` and `cle` (or `never_found`/`fault`)"
                        .into(),
                ));
            };
            check_ins(matricule, cle).map_err(&invalid)?;
            let mut histo = Vec::new();
            for h in &p.histo {
                check_ins(&h.matricule, &h.cle).map_err(|e| invalid(format!("histo: {e}")))?;
                histo.push(Ins {
                    matricule: h.matricule.clone(),
                    cle: h.cle.clone(),
                    oid: h.oid.clone().unwrap_or_else(|| ins::Oid::INS_NIR.into()),
                    date_deb: h.date_deb.clone(),
                    date_fin: h.date_fin.clone(),
                });
            }
            out.identities.push(Identity {
                nom_naissance: p.nom.clone(),
                prenoms: p.prenoms.clone(),
                sexe: p.sexe.clone(),
                date_naissance: p.date_naissance.clone(),
                lieu_naissance: p.lieu_naissance.clone(),
                ins: Ins {
                    matricule: matricule.clone(),
                    cle: cle.clone(),
                    oid: p.oid.clone().unwrap_or_else(|| ins::Oid::INS_NIR.into()),
                    date_deb: None,
                    date_fin: None,
                },
                histo,
                matricule_od: p.matricule_od.clone().or_else(|| Some(matricule.clone())),
                rang_naissance: p.rang_naissance.clone().or_else(|| Some("1".into())),
            });
        }
        Ok(out)
    }
}

/// Traits must already be in the form INSi returns: normalised names, M/F, a calendar date, a COG.
fn check_traits(p: &Persona) -> Result<(), String> {
    use ins::normalize::{TraitField, validate};
    validate(TraitField::NomNaissance, &p.nom).map_err(|e| format!("nom: {}", e.message()))?;
    validate(TraitField::Prenoms, &p.prenoms).map_err(|e| format!("prenoms: {}", e.message()))?;
    p.sexe.parse::<ins::Sexe>().map_err(|e| e.to_string())?;
    if p.sexe != "M" && p.sexe != "F" {
        return Err(format!("sexe '{}' must be written M or F", p.sexe));
    }
    p.date_naissance
        .parse::<ins::DateNaissance>()
        .map_err(|e| e.to_string())?;
    if let Some(cog) = &p.lieu_naissance {
        let parsed: ins::Cog = cog.parse().map_err(|e: ins::CogError| e.to_string())?;
        if parsed.as_str() != cog {
            return Err(format!("lieu_naissance '{cog}' must be upper case"));
        }
    }
    Ok(())
}

/// A stored INS is structurally valid with a right key. Responses carrying wrong keys (CNDA 2.08
/// files) are served by injection, not from the référentiel.
fn check_ins(matricule: &str, cle: &str) -> Result<(), String> {
    let m = ins::Matricule::parse(matricule).map_err(|e| format!("matricule: {}", e.describe()))?;
    if m.as_str() != matricule {
        return Err(format!(
            "matricule '{matricule}' must be 13 characters, no spaces"
        ));
    }
    let given: ins::Cle = cle.parse().map_err(|e| format!("cle: {e}"))?;
    m.check(given).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_sorts_personas() {
        let p = Personas::parse(
            r#"
            [[persona]]
            nom = "CORSE"
            prenoms = "ANTHONY"
            sexe = "M"
            date_naissance = "1980-03-02"
            lieu_naissance = "2B020"
            matricule = "180032B020401"
            cle = "23"
            [[persona.histo]]
            matricule = "180032B020401"
            cle = "23"

            [[persona]]
            nom = "HOUILLES"
            prenoms = "PIERRE PAUL JACQUES"
            sexe = "M"
            date_naissance = "1993-01-27"
            never_found = true

            [[persona]]
            nom = "D'AEION"
            prenoms = "COEUR"
            sexe = "M"
            date_naissance = "1987-01-25"
            fault = "insi_102"
            "#,
        )
        .unwrap();
        assert_eq!(p.identities.len(), 1);
        assert_eq!(p.identities[0].histo.len(), 1);
        assert_eq!(p.identities[0].ins.oid, "1.2.250.1.213.1.4.8");
        assert_eq!(p.never_found, ["HOUILLES PIERRE PAUL JACQUES"]);
        assert_eq!(p.faults[0].premier_prenom, "COEUR");
        assert_eq!(p.faults[0].fault, FaultCode::Insi102);
    }

    #[test]
    fn bad_personas_say_which_and_why() {
        let one = |body: &str| {
            Personas::parse(&format!(
                "[[persona]]\nnom = \"DUPONT\"\nprenoms = \"JEAN\"\nsexe = \"M\"\n{body}"
            ))
            .unwrap_err()
            .to_string()
        };
        let e = one("date_naissance = \"1980-02-30\"\nmatricule = \"1800263220001\"\ncle = \"00\"");
        assert!(
            e.contains("persona #1 (DUPONT JEAN)") && e.contains("calendar"),
            "{e}"
        );
        let e = one("date_naissance = \"1980-02-03\"\nmatricule = \"1800263220001\"\ncle = \"00\"");
        assert!(e.contains("wrong key"), "{e}");
        let e = one("date_naissance = \"1980-02-03\"");
        assert!(e.contains("needs `matricule`"), "{e}");
        let e = one("date_naissance = \"1980-02-03\"\nnever_found = true\ncolour = \"red\"");
        assert!(e.contains("unknown field"), "{e}");
        let e = Personas::parse("[[persona]]\nnom = \"dupont\"\nprenoms = \"JEAN\"\nsexe = \"M\"\ndate_naissance = \"1980-02-03\"\nnever_found = true").unwrap_err().to_string();
        assert!(e.contains("nom:"), "{e}");
    }
}

#[cfg(test)]
mod shipped {
    use super::*;

    #[test]
    fn shipped_personas_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/personas.toml");
        let p = Personas::load(&path).unwrap();
        // Other work adds personas (Vitale families); the qualification ones must stay.
        for nom in [
            "ADRUN",
            "TCHITCHI",
            "DE VINCI",
            "ECETINSI",
            "CORSE",
            "PROVISOIRE",
        ] {
            assert!(p.identities.iter().any(|i| i.nom_naissance == nom), "{nom}");
        }
        assert_eq!(
            p.identities
                .iter()
                .filter(|i| i.nom_naissance == "DE VINCI")
                .count(),
            2
        );
        assert!(p.faults.iter().any(|f| f.nom_naissance == "D'AEION"));
        assert_eq!(p.never_found, ["HOUILLES PIERRE PAUL JACQUES"]);
    }
}
