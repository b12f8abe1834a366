//! What a run produces, in plain data: one [`CaseResult`] per case, the [`Header`] that opens the
//! journal, and the finished [`Run`]. Every sink (journal, terminal, reports, history) sees these.

use serde::{Deserialize, Serialize};

use crate::compare::Mismatch;
use crate::outcome::Outcome;

/// What opens every evidence file the runner writes (journal, JSON, JUnit, HTML): the requests
/// and answers in them carry names, birth dates, places of birth, NIR and INS.
pub const PERSONAL_DATA_NOTICE: &str = "This file holds personal data (names, birth dates, \
     places of birth, NIR and INS of the identities searched): keep it with the qualification \
     evidence, share it only with whom the qualification requires, delete it when no longer needed.";

fn personal_data_notice() -> String {
    PERSONAL_DATA_NOTICE.to_owned()
}

/// The first journal line: which package and target the run belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// [`PERSONAL_DATA_NOTICE`]. First, so that it opens the journal and the JSON report; journals
    /// written before it existed read with the notice filled in.
    #[serde(default = "personal_data_notice")]
    pub personal_data: String,
    /// Journal format version (1).
    pub journal: u32,
    pub package: String,
    pub package_version: String,
    pub target: String,
    pub started: String,
}

impl Header {
    /// A journal-format-1 header with the personal-data notice.
    pub fn new(package: &str, package_version: &str, target: &str, started: String) -> Header {
        Header {
            personal_data: personal_data_notice(),
            journal: 1,
            package: package.to_owned(),
            package_version: package_version.to_owned(),
            target: target.to_owned(),
            started,
        }
    }
}

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every expectation met.
    Pass,
    /// At least one expectation not met.
    Fail,
    /// Not run: the case is marked `skip`.
    Skip,
    /// Marked `xfail` and failed, as known: does not fail the run.
    Xfail,
    /// Marked `xfail` but passed: the mark is stale and should be removed.
    Xpass,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Xfail => "xfail",
            Status::Xpass => "xpass",
        }
    }

    /// Whether this status makes the run fail (exit 1).
    pub fn fails_the_run(self) -> bool {
        self == Status::Fail
    }
}

/// One finished case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub title: String,
    pub status: Status,
    /// The `skip` or `xfail` reason of the case, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub mismatches: Vec<Mismatch>,
    pub outcome: Outcome,
    pub ms: f64,
}

/// Counts per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub xfailed: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub xpassed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn of(results: &[CaseResult]) -> Summary {
        let count = |s: Status| results.iter().filter(|r| r.status == s).count();
        Summary {
            total: results.len(),
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            skipped: count(Status::Skip),
            xfailed: count(Status::Xfail),
            xpassed: count(Status::Xpass),
        }
    }

    /// No case failed (skips, known failures and stale xfail marks do not fail a run).
    pub fn ok(&self) -> bool {
        self.failed == 0
    }
}

/// A whole run, as the reports and the history see it: every recorded case (earlier runs' on
/// `--resume`, then this one's) in package order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    #[serde(flatten)]
    pub header: Header,
    pub finished: String,
    /// Wall time of this invocation (a resumed run counts only its own part).
    pub wall_ms: f64,
    pub summary: Summary,
    pub cases: Vec<CaseResult>,
    /// How many of `cases` came from the journal of an interrupted run.
    #[serde(skip)]
    pub resumed: usize,
}
