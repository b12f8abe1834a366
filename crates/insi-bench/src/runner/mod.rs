//! The package runner: runs each case of a [`crate::package`], compares what happened with what
//! the case expects ([`compare`]), records each finished case in the [`journal`], and hands the
//! results to the reports.
//!
//! Flow: `Package` → for each case: execute → [`outcome::Outcome`] → [`compare::compare`] →
//! [`journal::CaseResult`] → journal (fsync) → reports.

pub mod cards;
pub mod compare;
pub mod execute;
pub mod journal;
pub mod outcome;
pub mod target;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::StreamExt;

use crate::package::Package;
use compare::compare;
use execute::{Injected, RunSettings, execute, timed};
use journal::{CaseResult, Journal, Status};
use target::RunTarget;

/// Reads every injection file once, before the run: a missing or unreadable file is a setup
/// error, not a failed case.
pub fn load_injections(package: &Package) -> anyhow::Result<HashMap<PathBuf, Arc<Injected>>> {
    let mut files = HashMap::new();
    for loaded in &package.cases {
        if let Some(inject) = &loaded.case.inject {
            let relative = inject.get_ref().clone();
            if files.contains_key(&relative) {
                continue;
            }
            let path = package.root.join(&relative);
            let body = std::fs::read(&path)
                .with_context(|| format!("cannot read the injection file {}", path.display()))?;
            files.insert(relative, Arc::new(Injected::new(body)));
        }
    }
    Ok(files)
}

/// Which cases to run: all, or those named by `--only` (unknown ids are an error).
pub fn select<'a>(
    package: &'a Package,
    only: &[String],
) -> anyhow::Result<Vec<&'a package::load::LoadedCase>> {
    if only.is_empty() {
        return Ok(package.cases.iter().collect());
    }
    let known: HashSet<&str> = package.cases.iter().map(|c| c.case.id.as_str()).collect();
    let unknown: Vec<&str> = only
        .iter()
        .map(String::as_str)
        .filter(|id| !known.contains(id))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "--only names cases the package does not have: {}",
            unknown.join(", ")
        );
    }
    Ok(package
        .cases
        .iter()
        .filter(|c| only.contains(&c.case.id))
        .collect())
}

/// Runs `cases` (at most `jobs` at a time), journaling each as it finishes and calling
/// `finished` with it. Returns the results in completion order.
pub async fn run_cases(
    cases: &[&package::load::LoadedCase],
    target: &RunTarget,
    settings: &RunSettings,
    injections: &HashMap<PathBuf, Arc<Injected>>,
    journal: &mut Journal,
    jobs: usize,
    mut finished: impl FnMut(&CaseResult),
) -> anyhow::Result<Vec<CaseResult>> {
    let mut stream = futures_util::stream::iter(cases.iter().map(|loaded| {
        let case = &loaded.case;
        let inject = case
            .inject
            .as_ref()
            .and_then(|p| injections.get(p.get_ref()).cloned());
        async move {
            let (outcome, ms) = timed(execute(target, settings, case, inject)).await;
            let mismatches = compare(case.expect.get_ref(), &outcome);
            let status = if mismatches.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            };
            CaseResult {
                id: case.id.clone(),
                title: case.title.clone(),
                status,
                mismatches,
                outcome,
                ms,
            }
        }
    }))
    .buffer_unordered(jobs.max(1));
    let mut results = Vec::with_capacity(cases.len());
    while let Some(result) = stream.next().await {
        journal.record(&result)?;
        finished(&result);
        results.push(result);
    }
    Ok(results)
}

use crate::package;
