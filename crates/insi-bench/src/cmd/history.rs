//! `insi-bench history [FILE]` lists the recorded runs; `insi-bench compare [BASE] [NEW]` says
//! what got worse between two of them (exit 1 on a regression). The history itself is
//! `insi-history`; this module reads flags, result files and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use insi_history::{
    Filter, History, Meta, RunSnapshot, Selector, Severity, Snapshot, Thresholds, compare,
};

use crate::output::{self, outln};

/// Where `history` and `compare` look when no file is given.
pub const DEFAULT_HISTORY: &str = "reports/history.sqlite";

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The history file [default: reports/history.sqlite].
    file: Option<PathBuf>,
    /// Only runs of this package.
    #[arg(long, value_name = "NAME")]
    package: Option<String>,
    /// Only package runs (`run`) or load runs (`load`).
    #[arg(long, value_parser = ["run", "load"])]
    kind: Option<String>,
    /// How many runs, newest first.
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: usize,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The base: a run id, `last`, `previous`, or a result file (report.json of `run`, the
    /// JSON result of `load`) [default: the run before NEW, of the same kind, package and
    /// target].
    base: Option<String>,
    /// The new run, same forms [default: last].
    new: Option<String>,
    /// The history file [default: reports/history.sqlite].
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// With `last`/`previous`: only runs of this package.
    #[arg(long, value_name = "NAME")]
    package: Option<String>,
    /// With `last`/`previous`: only `run` or `load` runs.
    #[arg(long, value_parser = ["run", "load"])]
    kind: Option<String>,
    /// Smallest p99 increase that counts, in percent (noise may widen it).
    #[arg(long, value_name = "PCT", default_value_t = 25.0)]
    p99_threshold: f64,
    /// Smallest throughput decrease that counts, in percent (noise may widen it).
    #[arg(long, value_name = "PCT", default_value_t = 15.0)]
    throughput_threshold: f64,
    /// How many noise σ a change must exceed.
    #[arg(long, value_name = "K", default_value_t = 3.0)]
    sigmas: f64,
}

/// What the history stores about who ran: this tool's version, the label, and `git describe`
/// of the current directory when it is a git checkout (the software under test, usually).
pub fn meta(label: Option<String>) -> Meta {
    let git_describe = std::process::Command::new("git")
        .args(["describe", "--always", "--dirty", "--tags"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    Meta {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        label,
        git_describe,
    }
}

pub fn list(args: &HistoryArgs, json: bool) -> anyhow::Result<ExitCode> {
    let path = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_HISTORY));
    let history = open_existing(&path)?;
    let filter = Filter {
        kind: args.kind.clone(),
        package: args.package.clone(),
    };
    let entries = history.list(&filter, args.limit)?;
    if json {
        output::json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        outln!("no runs recorded in {}", path.display())?;
    }
    for e in &entries {
        let what = match (&e.package, &e.package_version) {
            (Some(p), Some(v)) => format!("{p} {v}"),
            _ => e.kind.clone(),
        };
        let label = e
            .label
            .iter()
            .chain(&e.git_describe)
            .cloned()
            .collect::<Vec<_>>()
            .join(" / ");
        outln!(
            "#{:<5} {:<20} {:<4} {:<22} {:<18} {}{}  {}",
            e.id,
            e.started.get(..19).unwrap_or(&e.started),
            e.kind,
            truncate(&what, 22),
            truncate(&e.target, 18),
            if e.ok { "ok  " } else { "FAIL" },
            if label.is_empty() {
                String::new()
            } else {
                format!("  [{label}]")
            },
            e.summary
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_compare(args: &CompareArgs, json: bool) -> anyhow::Result<ExitCode> {
    let path = args
        .history
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_HISTORY));
    let filter = Filter {
        kind: args.kind.clone(),
        package: args.package.clone(),
    };
    // The history is needed unless both runs are given as result files.
    let new_arg = args.new.as_deref().unwrap_or("last");
    let needed =
        as_file(new_arg).is_none() || args.base.as_deref().is_none_or(|b| as_file(b).is_none());
    let history = if needed {
        Some(open_existing(&path)?)
    } else {
        None
    };
    let open = || history.as_ref().context("internal: history not open");
    // NEW first: the default BASE depends on it.
    let (new_label, new, new_id) = match as_file(new_arg) {
        Some(file) => (file.display().to_string(), snapshot_from_file(&file)?, None),
        None => {
            let h = open()?;
            let id = h.resolve(&selector(new_arg)?, &filter)?;
            (format!("#{id}"), h.snapshot_of(id)?, Some(id))
        }
    };
    let (base_label, base) = match args.base.as_deref() {
        Some(text) => match as_file(text) {
            Some(file) => (file.display().to_string(), snapshot_from_file(&file)?),
            None => {
                let h = open()?;
                let id = h.resolve(&selector(text)?, &filter)?;
                (format!("#{id}"), h.snapshot_of(id)?)
            }
        },
        None => {
            let h = open()?;
            let found = match new_id {
                Some(new_id) => h.before(new_id),
                None => h.resolve(&Selector::Last, &filter),
            };
            match found {
                Ok(id) => (format!("#{id}"), h.snapshot_of(id)?),
                // The first pipeline of a project: nothing to compare with is not a failure.
                Err(insi_history::HistoryError::NoSuchRun(_)) => {
                    outln!(
                        "nothing to compare {new_label} with: no earlier {} run of the same \
                         package and target in {}",
                        new.kind(),
                        path.display()
                    )?;
                    return Ok(ExitCode::SUCCESS);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let thresholds = Thresholds {
        p99: args.p99_threshold / 100.0,
        throughput: args.throughput_threshold / 100.0,
        sigmas: args.sigmas,
        ..Thresholds::default()
    };
    let comparison = compare(&base, &new, &thresholds);
    let regressions = comparison
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Regression)
        .count();
    if json {
        let findings: Vec<serde_json::Value> = comparison
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "severity": match f.severity {
                        Severity::Regression => "regression",
                        Severity::Improvement => "improvement",
                        Severity::Note => "note",
                    },
                    "subject": f.subject,
                    "message": f.message,
                })
            })
            .collect();
        output::json(&serde_json::json!({
            "base": base_label,
            "new": new_label,
            "regressions": regressions,
            "findings": findings,
        }))?;
    } else {
        outln!(
            "compare {base_label} (base) → {new_label} (new), {}",
            new.kind()
        )?;
        for finding in &comparison.findings {
            outln!("  {finding}")?;
        }
        outln!(
            "{}",
            match regressions {
                0 => "no regression".to_owned(),
                1 => "1 regression".to_owned(),
                n => format!("{n} regressions"),
            }
        )?;
    }
    Ok(if regressions == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `history` and `compare` read; a missing file is an error that says how to make one.
fn open_existing(path: &Path) -> anyhow::Result<History> {
    if !path.is_file() {
        anyhow::bail!(
            "no history at {}: record runs with `insi-bench run --history {0}` (or `load \
             --history {0}`)",
            path.display()
        );
    }
    Ok(History::open(path)?)
}

fn selector(text: &str) -> anyhow::Result<Selector> {
    text.parse().map_err(anyhow::Error::msg)
}

/// An argument names a file when it is not a selector and a file of that name exists.
fn as_file(text: &str) -> Option<PathBuf> {
    if text.parse::<Selector>().is_ok() {
        return None;
    }
    Some(PathBuf::from(text))
}

/// The figures of a load result that `compare` reads.
pub fn figures_of(report: &insi_load::report::LoadReport) -> insi_history::LoadFigures {
    insi_history::LoadFigures {
        target: report.config.target.clone(),
        requests: report.requests,
        ok: report.ok,
        errors: report.errors,
        wrong_answers: report.wrong_answers(),
        throughput: report.throughput.requests_per_s,
        p50_ms: report.latency_ms.p50,
        p90_ms: report.latency_ms.p90,
        p99_ms: report.latency_ms.p99,
        p999_ms: report.latency_ms.p999,
        max_ms: report.latency_ms.max,
        intervals: report
            .intervals
            .iter()
            .map(|i| insi_history::Interval {
                duration_s: i.duration_s,
                requests: i.requests,
                p99_ms: i.p99_ms,
            })
            .collect(),
    }
}

/// Records a load result in the history; returns its id.
pub fn record_load(
    history: &mut History,
    report: &insi_load::report::LoadReport,
    label: Option<String>,
) -> anyhow::Result<i64> {
    let detail = serde_json::to_value(report)?;
    Ok(history.record_load(
        &figures_of(report),
        &report.started.to_string(),
        &report.finished.to_string(),
        &detail,
        &meta(label),
    )?)
}

/// A result file: the JSON report of `run` or the JSON result of `load`.
fn snapshot_from_file(path: &Path) -> anyhow::Result<Snapshot> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the result file {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if value.get("cases").is_some() && value.get("package").is_some() {
        let run: insi_runner::Run = serde_json::from_value(value)
            .with_context(|| format!("{} is not a run report", path.display()))?;
        return Ok(Snapshot::Run(RunSnapshot::of(&run)));
    }
    if value.get("intervals").is_some() && value.get("throughput").is_some() {
        let report = insi_load::report::LoadReport::parse(&text, &path.display().to_string())?;
        return Ok(Snapshot::Load(figures_of(&report)));
    }
    anyhow::bail!(
        "{} is neither a run report (report.json of `insi-bench run`) nor a load result",
        path.display()
    )
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}
