//! `insi-bench nir check MATRICULE [KEY]`.

use std::process::ExitCode;

use anyhow::bail;
use ins::{Cle, Matricule};
use serde::Serialize;

use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Subcommand)]
pub enum NirCommand {
    /// Check a matricule and its key; without a key, print the key it should have.
    ///
    /// The matricule may carry its key (15 characters) and may contain spaces:
    /// `1 09 07 63 220 834 89`, `109076322083489`, `1090763220834 89`.
    /// Exit code: 0 valid, 1 invalid, 2 usage error.
    Check {
        /// The 13-character matricule, optionally followed by its 2-digit key.
        matricule: String,
        /// The key, when not written after the matricule.
        key: Option<String>,
    },
}

#[derive(Debug, Serialize)]
struct Report {
    matricule: String,
    key: Option<String>,
    valid: bool,
    expected_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn run(command: NirCommand, json: bool) -> anyhow::Result<ExitCode> {
    let NirCommand::Check { matricule, key } = command;
    let report = check(&matricule, key.as_deref())?;
    if json {
        output::json(&report)?;
    } else {
        match (&report.error, report.valid, &report.key) {
            (Some(error), _, _) => outln!("invalid: {error}"),
            (None, true, Some(key)) => outln!("valid: {} {key}", report.matricule),
            (None, true, None) => outln!(
                "valid matricule {}; its key is {}",
                report.matricule,
                report.expected_key.as_deref().unwrap_or_default()
            ),
            (None, false, _) => outln!(
                "invalid: key {} does not match {}; expected {}",
                report.key.as_deref().unwrap_or_default(),
                report.matricule,
                report.expected_key.as_deref().unwrap_or_default()
            ),
        }?;
    }
    Ok(if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check(text: &str, separate_key: Option<&str>) -> anyhow::Result<Report> {
    let parsed = match Matricule::parse_with_key(text) {
        Ok(parsed) => parsed,
        Err(err) => {
            return Ok(Report {
                matricule: text.to_owned(),
                key: separate_key.map(str::to_owned),
                valid: false,
                expected_key: None,
                error: Some(err.describe()),
            });
        }
    };
    let key: Option<Cle> = match (parsed.cle, separate_key) {
        (Some(_), Some(_)) => bail!(
            "the key is given twice: once after the matricule and once as a separate argument"
        ),
        (Some(cle), None) => Some(cle),
        (None, Some(text)) => match text.parse() {
            Ok(cle) => Some(cle),
            Err(_) => bail!("the key '{text}' is not two digits (write 07, not 7)"),
        },
        (None, None) => None,
    };
    let expected = parsed.matricule.cle();
    Ok(Report {
        matricule: parsed.matricule.to_string(),
        key: key.map(|k| k.to_string()),
        valid: key.is_none_or(|k| k == expected),
        expected_key: Some(expected.to_string()),
        error: None,
    })
}
