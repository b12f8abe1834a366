//! The results history: every package run and load run recorded in one SQLite file, so that CI
//! can say "this got worse" between two pipelines.
//!
//! Principal types:
//! - [`History`]: the file (`open` creates it; a locked, corrupt or newer file is a clear
//!   [`HistoryError`], and nothing in it is ever rewritten); [`History::record_run`],
//!   [`History::record_load`], [`History::list`], [`History::snapshot`] by [`Selector`]
//!   (`last`, `previous`, an id);
//! - [`RunSink`]: an `insi_runner::Sink` that records the finished run;
//! - [`Snapshot`]: what is compared — a run's case statuses ([`RunSnapshot`]) or a load's
//!   figures ([`LoadFigures`], with its per-second intervals);
//! - [`compare()`] (pure): two snapshots → a [`Comparison`] of [`Finding`]s, regressions first,
//!   with noise-aware thresholds ([`Thresholds`]; how in `docs/history.md`).
//!
//! Data flows: `insi_runner::Run` / a load result → [`Meta`] + snapshot → SQLite rows → later
//! [`History::snapshot`] → [`compare()`] → findings → exit 1 when one is a regression.
//!
//! ```no_run
//! # fn demo() -> Result<(), insi_history::HistoryError> {
//! use insi_history::{History, Selector, Thresholds, compare};
//! let history = History::open(std::path::Path::new("reports/history.sqlite"))?;
//! let base = history.snapshot(&Selector::Previous)?;
//! let new = history.snapshot(&Selector::Last)?;
//! let comparison = compare(&base, &new, &Thresholds::default());
//! for finding in &comparison.findings {
//!     println!("{finding}");
//! }
//! std::process::exit(if comparison.has_regression() { 1 } else { 0 });
//! # }
//! ```

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod compare;
mod db;
mod snapshot;

pub use compare::{Comparison, Finding, Severity, Thresholds, compare};
pub use db::{Entry, Filter, History, HistoryError, Meta, RunSink, Selector};
pub use snapshot::{CaseOutcome, Interval, LoadFigures, RunSnapshot, Snapshot};
