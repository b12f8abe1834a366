//! `insi-bench normalize (--nom TEXT | --prenoms TEXT)`.

use std::process::ExitCode;

use ins::normalize::{TraitField, normalize};
use serde::Serialize;

use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("field").required(true)))]
pub struct Args {
    /// A nom de naissance (a double hyphen `--` is allowed).
    // Values starting with `-` (`--nom -DUPONT`) are values, for the validator to judge.
    #[arg(long, group = "field", value_name = "TEXT", allow_hyphen_values = true)]
    nom: Option<String>,
    /// One or several prénoms separated by spaces.
    #[arg(long, group = "field", value_name = "TEXT", allow_hyphen_values = true)]
    prenoms: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Report<'a> {
    Normalized { input: &'a str, normalized: String },
    Refused { input: &'a str, error: Refusal },
}

#[derive(Debug, Serialize)]
struct Refusal {
    position: usize,
    char: Option<String>,
    message: String,
}

pub fn run(args: &Args, json: bool) -> anyhow::Result<ExitCode> {
    let (field, input) = match (&args.nom, &args.prenoms) {
        (Some(nom), _) => (TraitField::NomNaissance, nom.as_str()),
        (None, Some(prenoms)) => (TraitField::Prenoms, prenoms.as_str()),
        (None, None) => anyhow::bail!("give --nom or --prenoms"),
    };
    let (report, code) = match normalize(field, input) {
        Ok(normalized) => (Report::Normalized { input, normalized }, ExitCode::SUCCESS),
        Err(err) => {
            let error = Refusal {
                position: err.position,
                char: err.ch.map(String::from),
                message: err.message(),
            };
            (Report::Refused { input, error }, ExitCode::from(1))
        }
    };
    if json {
        output::json(&report)?;
    } else {
        match report {
            Report::Normalized { normalized, .. } => outln!("{normalized}"),
            Report::Refused { error, .. } => outln!("refused: {}", error.message),
        }?;
    }
    Ok(code)
}
