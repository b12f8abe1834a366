//! How an answer is shown: the JSON shapes shared by `search` and `verify` (attempts, faults
//! with the same fields as `decode`, failures with advice), the attempt table for people, and
//! the `--trace-dir` evidence.

use anyhow::Context as _;
use insi_client::{Attempt, AttemptOutcome};
use serde::Serialize;

use super::connect::ConnectArgs;
use crate::output::outln;

/// One attempt in JSON: `{"prenom":"OLA","cr":"01","ms":1.2,…}`.
#[derive(Debug, Serialize)]
pub struct AttemptJson {
    pub prenom: String,
    pub cog: bool,
    pub retry: u32,
    pub cr: Option<String>,
    pub fault: Option<String>,
    pub error: Option<String>,
    pub http_status: Option<u16>,
    pub ms: f64,
    /// What the decoder tolerated in this answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl From<&Attempt> for AttemptJson {
    fn from(a: &Attempt) -> Self {
        let (cr, fault, error) = match &a.outcome {
            AttemptOutcome::Cr { code } => (Some(code.clone()), None, None),
            AttemptOutcome::Fault { code } => (None, Some(code.clone()), None),
            AttemptOutcome::Transport { error } => (None, None, Some(error.clone())),
        };
        AttemptJson {
            prenom: a.prenom.clone(),
            cog: a.with_cog,
            retry: a.retry,
            cr,
            fault,
            error,
            http_status: a.http_status,
            ms: (a.ms() * 1000.0).round() / 1000.0,
            warnings: a.warnings.clone(),
        }
    }
}

/// A fault in JSON: the fields of `insi-bench decode` (code, subcode, detail_code, severite,
/// message_id, reason, detail) plus our advice.
#[derive(Debug, Serialize)]
pub struct FaultJson<'a> {
    pub code: &'a str,
    pub subcode: Option<&'a str>,
    pub detail_code: Option<&'a str>,
    pub severite: Option<&'a str>,
    pub message_id: Option<&'a str>,
    pub reason: &'a str,
    pub detail: Option<&'a str>,
    pub advice: Option<&'static str>,
    #[serde(skip)]
    pub fault: &'a insi_soap::Fault,
}

impl<'a> FaultJson<'a> {
    pub fn new(fault: &'a insi_soap::Fault) -> Self {
        let e = fault.erreur.as_ref();
        FaultJson {
            code: &fault.code,
            subcode: fault.subcode.as_deref(),
            detail_code: e.map(|e| e.code.as_str()),
            severite: e.map(|e| e.severite.as_str()),
            message_id: e.and_then(|e| e.message_id.as_deref()),
            reason: &fault.reason,
            detail: e.map(|e| e.text.as_str()),
            advice: insi_client::fault_advice(insi_client::fault_code(fault)),
            fault,
        }
    }
}

/// A failure without a SOAP answer, in JSON.
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    pub message: String,
    pub advice: String,
}

impl From<&insi_client::ClientError> for ErrorJson {
    fn from(e: &insi_client::ClientError) -> Self {
        ErrorJson {
            message: e.to_string(),
            advice: e.advice(),
        }
    }
}

/// Prints attempts for people.
pub fn print_attempts(attempts: &[Attempt]) -> std::io::Result<()> {
    outln!("attempts:")?;
    for a in attempts {
        let what = match &a.outcome {
            AttemptOutcome::Cr { code } => format!("CR {code}"),
            AttemptOutcome::Fault { code } => format!("fault {code}"),
            AttemptOutcome::Transport { error } => format!("error: {error}"),
        };
        // A Vitale search sends no first name: name the body instead.
        let mut sent = if a.kind == insi_client::QueryKind::Vitale {
            "RECVITALE".to_owned()
        } else {
            a.prenom.clone()
        };
        if a.with_cog {
            sent.push_str(" + COG");
        }
        if a.retry > 0 {
            sent.push_str(&format!(" (retry {})", a.retry));
        }
        outln!(
            "  {:>2}. {sent:<34} {:>8.1} ms  {what}",
            a.index + 1,
            a.ms()
        )?;
        for w in &a.warnings {
            outln!("      warning: {w}")?;
        }
    }
    Ok(())
}

/// Writes the trace when `--trace-dir` was given.
pub fn write_trace(args: &ConnectArgs, trace: &insi_client::Trace) -> anyhow::Result<()> {
    if let Some(dir) = &args.trace_dir {
        let files = trace
            .write_to_dir(dir)
            .with_context(|| format!("cannot write the trace into {}", dir.display()))?;
        eprintln!("trace: {} files written to {}", files.len(), dir.display());
    }
    Ok(())
}
