//! What a comparison looks at, independent of where it comes from (the history file or a result
//! file given on the command line).

use serde::{Deserialize, Serialize};

/// One case of a package run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseOutcome {
    pub id: String,
    /// `pass`, `fail`, `skip`, `xfail`, `xpass`.
    pub status: String,
    pub ms: f64,
    /// The mismatches of a failed case, one line each (`ins.cle: expected 56, got 57`).
    pub mismatches: Vec<String>,
}

/// A package run as compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSnapshot {
    pub package: String,
    pub package_version: String,
    pub target: String,
    pub cases: Vec<CaseOutcome>,
}

impl RunSnapshot {
    pub fn of(run: &insi_runner::Run) -> RunSnapshot {
        RunSnapshot {
            package: run.header.package.clone(),
            package_version: run.header.package_version.clone(),
            target: run.header.target.clone(),
            cases: run
                .cases
                .iter()
                .map(|c| CaseOutcome {
                    id: c.id.clone(),
                    status: c.status.as_str().to_owned(),
                    ms: c.ms,
                    mismatches: c
                        .mismatches
                        .iter()
                        .map(|m| format!("{}: expected {}, got {}", m.field, m.expected, m.actual))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// One measured interval of a load run (about a second).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub duration_s: f64,
    pub requests: u64,
    pub p99_ms: f64,
}

/// The figures of a load run that a regression check needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadFigures {
    pub target: String,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub wrong_answers: u64,
    /// Requests per second, every class.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub intervals: Vec<Interval>,
}

/// Either kind of run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Snapshot {
    Run(RunSnapshot),
    Load(LoadFigures),
}

impl Snapshot {
    pub fn kind(&self) -> &'static str {
        match self {
            Snapshot::Run(_) => "run",
            Snapshot::Load(_) => "load",
        }
    }
}
