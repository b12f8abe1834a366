//! Regression check between two snapshots: pure, so every rule is unit-tested here.
//!
//! Package runs: a case that passed (or passed despite an `xfail` mark) and now fails is a
//! regression; so is a failing case the base did not have. Load runs: a wrong answer is always a
//! regression (it is a failure, not a latency sample); the error rate, p99 and throughput are
//! regressions only beyond a threshold that accounts for noise:
//!
//! `threshold = max(floor, k × √(σ_base² + σ_new²))`, where σ of a run is the robust relative
//! spread of its per-second values (1.4826 × MAD / median of the intervals' p99, or of their
//! requests per second) and `k = 3`. The floor is there because two runs on a shared machine
//! drift more than one run's seconds do (defaults: p99 +25 %, throughput −15 %).

use std::collections::HashMap;
use std::fmt;

use crate::snapshot::{Interval, LoadFigures, RunSnapshot, Snapshot};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worse than the base: `compare` exits 1.
    Regression,
    /// Better than the base.
    Improvement,
    /// Worth knowing, neither better nor worse.
    Note,
}

/// One thing `compare` found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    /// What it is about: a case id, `p99`, `throughput`, …
    pub subject: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.severity {
            Severity::Regression => "REGRESSION",
            Severity::Improvement => "better",
            Severity::Note => "note",
        };
        write!(f, "{word:<10}  {}: {}", self.subject, self.message)
    }
}

/// Floors and the noise multiplier; see the module doc.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Smallest relative p99 increase that counts (0.25 = +25 %).
    pub p99: f64,
    /// Smallest relative throughput decrease that counts (0.15 = −15 %).
    pub throughput: f64,
    /// Smallest error-rate increase that counts, in absolute terms (0.005 = half a point).
    pub error_rate: f64,
    /// How many combined noise σ a change must exceed.
    pub sigmas: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            p99: 0.25,
            throughput: 0.15,
            error_rate: 0.005,
            sigmas: 3.0,
        }
    }
}

/// The result of a comparison: regressions first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    pub findings: Vec<Finding>,
}

impl Comparison {
    pub fn has_regression(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Regression)
    }

    fn push(&mut self, severity: Severity, subject: impl Into<String>, message: String) {
        self.findings.push(Finding {
            severity,
            subject: subject.into(),
            message,
        });
    }
}

/// Compares `new` with `base`.
pub fn compare(base: &Snapshot, new: &Snapshot, thresholds: &Thresholds) -> Comparison {
    let mut out = Comparison::default();
    match (base, new) {
        (Snapshot::Run(b), Snapshot::Run(n)) => runs(b, n, &mut out),
        (Snapshot::Load(b), Snapshot::Load(n)) => loads(b, n, thresholds, &mut out),
        _ => out.push(
            Severity::Note,
            "kind",
            format!(
                "cannot compare a {} with a {}: give two package runs or two load runs",
                base.kind(),
                new.kind()
            ),
        ),
    }
    // Stable order: regressions, improvements, notes; within each, as found.
    out.findings.sort_by_key(|f| f.severity);
    out
}

fn passed(status: &str) -> bool {
    matches!(status, "pass" | "xpass")
}

fn runs(base: &RunSnapshot, new: &RunSnapshot, out: &mut Comparison) {
    if base.package != new.package {
        out.push(
            Severity::Note,
            "package",
            format!(
                "base is package '{}', new is '{}': cases are matched by id",
                base.package, new.package
            ),
        );
    }
    let before: HashMap<&str, &crate::snapshot::CaseOutcome> =
        base.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    for case in &new.cases {
        let why = || {
            case.mismatches
                .first()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        };
        match before.get(case.id.as_str()) {
            Some(b) if passed(&b.status) && case.status == "fail" => out.push(
                Severity::Regression,
                &case.id,
                format!("passed in the base, fails now{}", why()),
            ),
            Some(b) if b.status == "fail" && passed(&case.status) => out.push(
                Severity::Improvement,
                &case.id,
                "failed in the base, passes now".into(),
            ),
            Some(b) if b.status == "fail" && case.status == "fail" => {
                out.push(Severity::Note, &case.id, format!("still failing{}", why()))
            }
            None if case.status == "fail" => out.push(
                Severity::Regression,
                &case.id,
                format!("new case, fails{}", why()),
            ),
            _ => {}
        }
        if case.status == "xpass" {
            out.push(
                Severity::Note,
                &case.id,
                "marked xfail but passes: remove the mark".into(),
            );
        }
    }
    let now: std::collections::HashSet<&str> = new.cases.iter().map(|c| c.id.as_str()).collect();
    let gone: Vec<&str> = base
        .cases
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !now.contains(id))
        .collect();
    if !gone.is_empty() {
        out.push(
            Severity::Note,
            "cases",
            format!("not in the new run: {}", gone.join(", ")),
        );
    }
}

/// Median of a non-empty slice (sorted copy).
fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// Robust relative spread of per-interval values: 1.4826 × MAD / median (σ for a normal
/// distribution); 0 when there are fewer than three intervals to judge from.
pub(crate) fn relative_spread(values: &[f64]) -> f64 {
    if values.len() < 3 {
        return 0.0;
    }
    let Some(m) = median(values) else { return 0.0 };
    if m <= 0.0 {
        return 0.0;
    }
    let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&deviations).map_or(0.0, |mad| 1.4826 * mad / m)
}

fn rates(intervals: &[Interval]) -> Vec<f64> {
    intervals
        .iter()
        .filter(|i| i.duration_s > 0.0)
        .map(|i| i.requests as f64 / i.duration_s)
        .collect()
}

fn p99s(intervals: &[Interval]) -> Vec<f64> {
    intervals
        .iter()
        .filter(|i| i.requests > 0)
        .map(|i| i.p99_ms)
        .collect()
}

fn error_rate(f: &LoadFigures) -> f64 {
    if f.requests == 0 {
        0.0
    } else {
        f.errors as f64 / f.requests as f64
    }
}

fn loads(base: &LoadFigures, new: &LoadFigures, t: &Thresholds, out: &mut Comparison) {
    if base.target != new.target {
        out.push(
            Severity::Note,
            "target",
            format!(
                "base ran against {}, new against {}",
                base.target, new.target
            ),
        );
    }
    if new.wrong_answers > base.wrong_answers {
        out.push(
            Severity::Regression,
            "answers",
            format!(
                "{} wrong answers (base: {}): the service answered something other than what \
                 the population says",
                new.wrong_answers, base.wrong_answers
            ),
        );
    }
    let (eb, en) = (error_rate(base), error_rate(new));
    if en > eb + t.error_rate {
        out.push(
            Severity::Regression,
            "errors",
            format!(
                "error rate {:.2} % (base {:.2} %; threshold +{:.2} points)",
                en * 100.0,
                eb * 100.0,
                t.error_rate * 100.0
            ),
        );
    }

    let noise = |a: f64, b: f64| t.sigmas * (a * a + b * b).sqrt();
    let p99_threshold = t.p99.max(noise(
        relative_spread(&p99s(&base.intervals)),
        relative_spread(&p99s(&new.intervals)),
    ));
    if base.p99_ms > 0.0 {
        let change = new.p99_ms / base.p99_ms - 1.0;
        let message = format!(
            "{:.3} ms → {:.3} ms ({:+.1} %; threshold ±{:.1} % from noise and floor)",
            base.p99_ms,
            new.p99_ms,
            change * 100.0,
            p99_threshold * 100.0
        );
        if change > p99_threshold {
            out.push(Severity::Regression, "p99", message);
        } else if change < -p99_threshold {
            out.push(Severity::Improvement, "p99", message);
        }
    }
    let tp_threshold = t.throughput.max(noise(
        relative_spread(&rates(&base.intervals)),
        relative_spread(&rates(&new.intervals)),
    ));
    if base.throughput > 0.0 {
        let change = new.throughput / base.throughput - 1.0;
        let message = format!(
            "{:.0} req/s → {:.0} req/s ({:+.1} %; threshold ±{:.1} % from noise and floor)",
            base.throughput,
            new.throughput,
            change * 100.0,
            tp_threshold * 100.0
        );
        if change < -tp_threshold {
            out.push(Severity::Regression, "throughput", message);
        } else if change > tp_threshold {
            out.push(Severity::Improvement, "throughput", message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::CaseOutcome;
    use proptest::prelude::*;

    fn case(id: &str, status: &str) -> CaseOutcome {
        CaseOutcome {
            id: id.into(),
            status: status.into(),
            ms: 1.0,
            mismatches: if status == "fail" {
                vec!["cr: expected 00, got 01".into()]
            } else {
                vec![]
            },
        }
    }

    fn run(cases: &[(&str, &str)]) -> Snapshot {
        Snapshot::Run(RunSnapshot {
            package: "p".into(),
            package_version: "1".into(),
            target: "sim".into(),
            cases: cases.iter().map(|(i, s)| case(i, s)).collect(),
        })
    }

    fn load(throughput: f64, p99: f64, jitter: f64, wrong: u64, errors: u64) -> Snapshot {
        let intervals = (0..10)
            .map(|i| {
                let wobble = if i % 2 == 0 {
                    1.0 + jitter
                } else {
                    1.0 - jitter
                };
                Interval {
                    duration_s: 1.0,
                    requests: (throughput * wobble) as u64,
                    p99_ms: p99 * wobble,
                }
            })
            .collect();
        Snapshot::Load(LoadFigures {
            target: "sim".into(),
            requests: (throughput * 10.0) as u64,
            ok: (throughput * 10.0) as u64 - errors,
            errors,
            wrong_answers: wrong,
            throughput,
            p50_ms: p99 / 4.0,
            p90_ms: p99 / 2.0,
            p99_ms: p99,
            p999_ms: p99 * 2.0,
            max_ms: p99 * 3.0,
            intervals,
        })
    }

    fn subjects(c: &Comparison, severity: Severity) -> Vec<String> {
        c.findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| f.subject.clone())
            .collect()
    }

    #[test]
    fn a_case_that_passed_and_fails_now_is_a_regression() {
        let base = run(&[("a", "pass"), ("b", "fail"), ("c", "pass"), ("d", "xpass")]);
        let new = run(&[
            ("a", "fail"),
            ("b", "pass"),
            ("c", "pass"),
            ("d", "fail"),
            ("e", "fail"),
        ]);
        let c = compare(&base, &new, &Thresholds::default());
        assert!(c.has_regression());
        assert_eq!(subjects(&c, Severity::Regression), ["a", "d", "e"]);
        assert_eq!(subjects(&c, Severity::Improvement), ["b"]);
        let a = &c.findings[0];
        assert!(a.message.contains("cr: expected 00, got 01"), "{a}");
        assert!(
            c.findings
                .iter()
                .any(|f| f.message.contains("new case, fails"))
        );
    }

    #[test]
    fn the_same_run_twice_says_nothing() {
        let r = run(&[("a", "pass"), ("b", "skip"), ("c", "xfail")]);
        assert!(compare(&r, &r, &Thresholds::default()).findings.is_empty());
        let l = load(10_000.0, 2.0, 0.05, 0, 3);
        assert!(compare(&l, &l, &Thresholds::default()).findings.is_empty());
    }

    #[test]
    fn a_slowed_service_is_a_p99_and_throughput_regression() {
        let base = load(10_000.0, 2.0, 0.05, 0, 0);
        let slow = load(600.0, 24.0, 0.05, 0, 0);
        let c = compare(&base, &slow, &Thresholds::default());
        assert_eq!(subjects(&c, Severity::Regression), ["p99", "throughput"]);
    }

    #[test]
    fn wrong_answers_are_regressions_whatever_the_latency() {
        let base = load(10_000.0, 2.0, 0.05, 0, 0);
        let broken = load(10_000.0, 2.0, 0.05, 40, 40);
        let c = compare(&base, &broken, &Thresholds::default());
        assert_eq!(subjects(&c, Severity::Regression), ["answers"]);
    }

    #[test]
    fn noisy_runs_widen_the_threshold() {
        // ±30 % second-to-second: a 40 % p99 change is within 3σ of that noise.
        let base = load(10_000.0, 2.0, 0.30, 0, 0);
        let new = load(10_000.0, 2.8, 0.30, 0, 0);
        let c = compare(&base, &new, &Thresholds::default());
        assert!(!c.has_regression(), "{:?}", c.findings);
        // The same change between quiet runs is a regression.
        let base = load(10_000.0, 2.0, 0.02, 0, 0);
        let new = load(10_000.0, 2.8, 0.02, 0, 0);
        assert!(compare(&base, &new, &Thresholds::default()).has_regression());
    }

    #[test]
    fn kinds_do_not_mix() {
        let c = compare(
            &run(&[("a", "pass")]),
            &load(1.0, 1.0, 0.0, 0, 0),
            &Thresholds::default(),
        );
        assert!(!c.has_regression());
        assert!(c.findings[0].message.contains("cannot compare"));
    }

    #[test]
    fn spread_of_constant_values_is_zero() {
        assert_eq!(relative_spread(&[5.0, 5.0, 5.0, 5.0]), 0.0);
        assert_eq!(relative_spread(&[1.0, 2.0]), 0.0);
        assert!(relative_spread(&[1.0, 2.0, 3.0, 4.0, 100.0]) > 0.0);
    }

    proptest! {
        /// Any run compared with itself has no regression, and compare never panics.
        #[test]
        fn self_comparison_is_quiet(
            statuses in proptest::collection::vec(
                proptest::sample::select(vec!["pass", "fail", "skip", "xfail", "xpass"]), 0..20),
            tput in 0.0f64..1e6, p99 in 0.0f64..1e4, jitter in 0.0f64..0.9, errors in 0u64..5,
        ) {
            let ids: Vec<String> = (0..statuses.len()).map(|i| format!("c{i}")).collect();
            let cases: Vec<(&str, &str)> = ids.iter().map(String::as_str).zip(statuses).collect();
            let r = run(&cases);
            prop_assert!(!compare(&r, &r, &Thresholds::default()).has_regression());
            let l = load(tput, p99, jitter, 0, errors.min((tput * 10.0) as u64));
            prop_assert!(!compare(&l, &l, &Thresholds::default()).has_regression());
        }
    }
}
