//! `insi-bench package check DIR`: load and check a test package without running it.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Subcommand)]
pub enum PackageCommand {
    /// Check a package: format version, every file, every case. Exit 0 when it is sound, 2 when
    /// it has problems (each reported as file:line:column).
    Check {
        /// The package directory (the one holding package.toml).
        dir: PathBuf,
    },
}

#[derive(Debug, Serialize)]
struct CaseLine<'a> {
    file: String,
    line: usize,
    #[serde(flatten)]
    case: &'a insi_package::Case,
}

#[derive(Debug, Serialize)]
struct ProblemLine {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    message: String,
}

pub fn run(command: PackageCommand, json: bool) -> anyhow::Result<ExitCode> {
    let PackageCommand::Check { dir } = command;
    // Card profiles are checked by the runner's card set, as `run` checks them.
    match insi_package::load_checking(&dir, &mut insi_runner::CardSet::default()) {
        Ok(pkg) => {
            let cases: Vec<CaseLine<'_>> = pkg
                .cases
                .iter()
                .map(|c| CaseLine {
                    file: c.file.display().to_string(),
                    line: c.line,
                    case: &c.case,
                })
                .collect();
            if json {
                output::json(&serde_json::json!({
                    "package": pkg.manifest.name,
                    "version": pkg.manifest.version,
                    "format": pkg.manifest.format,
                    "description": pkg.manifest.description,
                    "defaults": pkg.manifest.defaults,
                    "root": pkg.root,
                    "personas": pkg.personas,
                    "cards": pkg.cards,
                    "ok": true,
                    "cases": cases,
                }))?;
            } else {
                outln!(
                    "{} {} (format {}, at {}): {} cases, {} card files{}",
                    pkg.manifest.name,
                    pkg.manifest.version,
                    pkg.manifest.format,
                    pkg.root.display(),
                    cases.len(),
                    pkg.cards.len(),
                    if pkg.personas.is_some() {
                        ", personas.toml"
                    } else {
                        ""
                    }
                )?;
                if !pkg.manifest.description.is_empty() {
                    outln!("{}", pkg.manifest.description.trim())?;
                }
                for c in &cases {
                    outln!(
                        "  {:<14} {:<14} {}",
                        c.case.id,
                        c.case.operation.as_str(),
                        c.case.title
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            if json {
                let problems: Vec<ProblemLine> = errors
                    .0
                    .iter()
                    .map(|p| ProblemLine {
                        file: p.file.display().to_string(),
                        line: p.line,
                        column: p.column,
                        message: p.message.clone(),
                    })
                    .collect();
                output::json(&serde_json::json!({ "ok": false, "problems": problems }))?;
            } else {
                eprint!("insi-bench: {errors}");
            }
            Ok(ExitCode::from(2))
        }
    }
}
