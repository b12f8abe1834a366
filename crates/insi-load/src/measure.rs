//! Measuring: latency histograms (HdrHistogram, microseconds) and counts per class, recorded by
//! the workers into a few shards and gathered once per interval.
//!
//! Memory does not grow with the number of requests: a worker adds one sample to a fixed-size
//! histogram; each interval (1 s) the gatherer folds the shards into the run's total and keeps
//! a compressed copy of that interval's histogram (a few hundred bytes), so a run costs the
//! shards (about 180 KB each) plus about 1 KB per second of run.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::classify::Class;

/// Largest latency kept exactly (1 h, in µs); longer ones are recorded as this value.
pub const MAX_LATENCY_US: u64 = 3_600_000_000;
/// Significant figures of the histograms (0.1 % value resolution).
pub const SIGFIG: u8 = 3;
/// Wrong answers whose reason is kept, for the final table (codes and field names only).
pub const KEPT_MISMATCHES: usize = 5;

/// A new empty latency histogram with the run's bounds.
#[allow(clippy::expect_used)]
pub fn histogram() -> Histogram<u64> {
    // Constant bounds that `new_with_bounds` accepts (low ≥ 1, high ≥ 2·low, sigfig ≤ 5): this
    // cannot fail for any input (the test `bounds_are_valid` runs it).
    Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGFIG).expect("constant histogram bounds")
}

/// What a stretch of the run recorded: latencies of right answers, counts of every class.
#[derive(Clone, Debug)]
pub struct Tally {
    pub latency: Histogram<u64>,
    pub classes: BTreeMap<Class, u64>,
    /// HTTP calls made (a search can make several).
    pub calls: u64,
    pub mismatches: Vec<String>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            latency: histogram(),
            classes: BTreeMap::new(),
            calls: 0,
            mismatches: Vec::new(),
        }
    }
}

impl Tally {
    /// Records one finished request. Only right answers are latency samples.
    pub fn record(&mut self, class: Class, latency: Duration, calls: usize) {
        if class.is_ok() {
            let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            self.latency.saturating_record(us.max(1));
        }
        *self.classes.entry(class).or_insert(0) += 1;
        self.calls += calls as u64;
    }

    pub fn mismatch(&mut self, why: String) {
        if self.mismatches.len() < KEPT_MISMATCHES {
            self.mismatches.push(why);
        }
    }

    /// Requests of every class.
    pub fn requests(&self) -> u64 {
        self.classes.values().sum()
    }

    pub fn count(&self, class: &Class) -> u64 {
        self.classes.get(class).copied().unwrap_or(0)
    }

    /// Adds another tally (counts are sums; histograms add bucket by bucket).
    pub fn add(&mut self, other: &Tally) {
        // Both histograms come from `histogram()`: same bounds, so `add` cannot fail; if a
        // foreign one did not fit, saturate its values instead of losing them.
        if self.latency.add(&other.latency).is_err() {
            for v in other.latency.iter_recorded() {
                self.latency
                    .saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
        for (class, n) in &other.classes {
            *self.classes.entry(class.clone()).or_insert(0) += n;
        }
        self.calls += other.calls;
        for m in &other.mismatches {
            self.mismatch(m.clone());
        }
    }

    pub fn reset(&mut self) {
        self.latency.reset();
        self.classes.clear();
        self.calls = 0;
        self.mismatches.clear();
    }
}

/// The workers' tallies: a few shards so that concurrent workers rarely wait on each other.
#[derive(Debug)]
pub struct Shards(Vec<Mutex<Tally>>);

impl Shards {
    pub fn new(count: usize) -> Shards {
        Shards(
            (0..count.max(1))
                .map(|_| Mutex::new(Tally::default()))
                .collect(),
        )
    }

    /// Records into shard `worker mod count`.
    pub fn with<R>(&self, worker: usize, f: impl FnOnce(&mut Tally) -> R) -> R {
        let shard = &self.0[worker % self.0.len()];
        // A poisoned shard only means a worker panicked mid-record: the tally is still counts.
        let mut tally = shard.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut tally)
    }

    /// Moves everything recorded so far into `into` and empties the shards.
    pub fn drain_into(&self, into: &mut Tally) {
        for shard in &self.0 {
            let mut tally = shard.lock().unwrap_or_else(|p| p.into_inner());
            into.add(&tally);
            tally.reset();
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            min: ms(h.min()),
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_right_answers_are_latency_samples() {
        let mut t = Tally::default();
        t.record(Class::Ok, Duration::from_millis(2), 1);
        t.record(Class::WrongAnswer, Duration::from_secs(5), 1);
        t.record(Class::Fault("desir_1020".into()), Duration::from_secs(5), 2);
        assert_eq!(t.latency.len(), 1);
        assert_eq!(t.requests(), 3);
        assert_eq!(t.calls, 4);
        assert!((Percentiles::of(&t.latency).max - 2.0).abs() < 0.01);
    }

    proptest! {
        /// Merging is exact: counts are sums and the merged histogram's percentiles are those
        /// of all samples together (never an average of percentiles).
        #[test]
        fn merged_tallies_equal_one_tally_of_everything(
            parts in proptest::collection::vec(
                proptest::collection::vec((1u64..5_000_000, 0u8..3), 0..200), 1..5)
        ) {
            let class = |c: u8| match c { 0 => Class::Ok, 1 => Class::WrongAnswer, _ => Class::Timeout };
            let mut whole = Tally::default();
            let mut merged = Tally::default();
            for part in &parts {
                let mut t = Tally::default();
                for (us, c) in part {
                    t.record(class(*c), Duration::from_micros(*us), 1);
                    whole.record(class(*c), Duration::from_micros(*us), 1);
                }
                merged.add(&t);
            }
            prop_assert_eq!(&merged.classes, &whole.classes);
            prop_assert_eq!(merged.calls, whole.calls);
            prop_assert_eq!(Percentiles::of(&merged.latency), Percentiles::of(&whole.latency));
            prop_assert_eq!(merged.latency.len(), whole.count(&Class::Ok));
        }
    }

    #[test]
    fn bounds_are_valid() {
        assert_eq!(histogram().high(), MAX_LATENCY_US);
    }

    #[test]
    fn shards_drain_everything_once() {
        let shards = Shards::new(3);
        for w in 0..10 {
            shards.with(w, |t| {
                t.record(Class::Ok, Duration::from_micros(100 + w as u64), 1)
            });
        }
        let mut all = Tally::default();
        shards.drain_into(&mut all);
        assert_eq!(all.requests(), 10);
        let mut again = Tally::default();
        shards.drain_into(&mut again);
        assert_eq!(again.requests(), 0);
    }
}
