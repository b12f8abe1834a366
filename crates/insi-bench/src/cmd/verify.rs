//! `insi-bench verify`: checks a stored INS against the service by searching with its traits
//! and comparing (the official verification operation is not public: docs/client.md).
//!
//! Exit codes: 0 conforme, 1 non-conforme / introuvable / fault, 2 usage or configuration.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use ins::{Matricule, Oid};
use insi_client::{Outcome, StoredIns, Strategy, Verdict};
use serde::Serialize;

use super::answer::{self, AttemptJson, ErrorJson, FaultJson};
use super::connect::{self, ConnectArgs};
use super::search::TraitsInput;
use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The stored matricule (13 characters; may carry its key).
    #[arg(long, allow_hyphen_values = true)]
    pub matricule: String,
    /// The stored key, when not written after the matricule.
    #[arg(long, allow_hyphen_values = true)]
    pub cle: Option<String>,
    /// The stored OID (1.2.250.1.213.1.4.8 for an INS-NIR).
    #[arg(long, allow_hyphen_values = true)]
    pub oid: String,
    #[command(flatten)]
    pub traits: TraitsInput,
    /// single or cnda (default).
    #[arg(long, default_value = "cnda", value_parser = ["single", "cnda"])]
    pub strategy: String,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Serialize)]
struct VerifyJson<'a> {
    verdict: Verdict,
    differences: &'a [insi_client::Difference],
    cr: Option<String>,
    attempts: Vec<AttemptJson>,
    fault: Option<FaultJson<'a>>,
    error: Option<ErrorJson>,
}

pub fn run(args: Args, json: bool) -> anyhow::Result<ExitCode> {
    let parsed = Matricule::parse_with_key(&args.matricule)
        .map_err(|e| anyhow::anyhow!("matricule refused: {}", e.describe()))?;
    let cle = match (parsed.cle, args.cle.as_deref()) {
        (Some(_), Some(_)) => bail!("the key is given twice: after the matricule and with --cle"),
        (Some(cle), None) => Some(cle),
        (None, Some(text)) => Some(
            text.parse()
                .map_err(|_| anyhow::anyhow!("--cle '{text}' is not two digits"))?,
        ),
        (None, None) => None,
    };
    if let Some(cle) = cle {
        parsed.matricule.check(cle).with_context(|| {
            format!(
                "the stored key {cle} does not match {}: the stored INS is corrupt, fix it \
                 before verifying",
                parsed.matricule
            )
        })?;
    }
    let stored = StoredIns {
        matricule: parsed.matricule,
        cle,
        oid: Oid::new(args.oid.trim()),
        traits: args.traits.parse()?,
    };
    let strategy: Strategy = args.strategy.parse().map_err(anyhow::Error::msg)?;
    let runtime = connect::runtime()?;
    let connection = connect::connect(&args.connect, &runtime)?;
    let report = runtime
        .block_on(connection.client.verify(&stored, strategy))
        .map_err(connect::with_advice)?;
    answer::write_trace(&args.connect, &report.search.trace)?;

    let (cr, fault, error) = match &report.search.outcome {
        Outcome::Resultat(r) => (Some(r.cr.code().to_owned()), None, None),
        Outcome::Fault(f) => (None, Some(FaultJson::new(f)), None),
        Outcome::Failed(e) => (None, None, Some(ErrorJson::from(e))),
    };
    let out = VerifyJson {
        verdict: report.verdict.clone(),
        differences: &report.differences,
        cr,
        attempts: report
            .search
            .trace
            .attempts
            .iter()
            .map(AttemptJson::from)
            .collect(),
        fault,
        error,
    };
    if json {
        output::json(&out)?;
    } else {
        outln!("verdict  {}", out.verdict.as_str())?;
        for d in &report.differences {
            outln!(
                "  {:<15} stored {:<30} service {}",
                d.field,
                d.stored,
                d.service
            )?;
        }
        if let Some(cr) = &out.cr {
            outln!("CR       {cr}")?;
        }
        if let Some(f) = &out.fault {
            outln!("fault    {}", insi_client::fault_code(f.fault))?;
            if let Some(advice) = f.advice {
                outln!("advice   {advice}")?;
            }
        }
        if let Some(e) = &out.error {
            outln!("error    {}\nadvice   {}", e.message, e.advice)?;
        }
        answer::print_attempts(&report.search.trace.attempts)?;
    }
    Ok(if report.verdict == Verdict::Conforme {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
