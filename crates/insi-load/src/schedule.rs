//! When each request goes and whether it counts, sans-IO: pure functions of the request's
//! ticket number and of time offsets since the run began.
//!
//! - **Closed model** (default): each worker sends its next request as soon as the previous one
//!   ended; latency runs from the actual send.
//! - **Open model** (`--rate R`): ticket `k` is *intended* to go at `k / R` seconds after the
//!   start, whatever happened before. A worker waits until then (or sends at once when behind),
//!   and latency runs from the intended time, so a stalled service is charged for every request
//!   it delayed — the coordinated-omission correction of wrk2 (Gil Tene, "How NOT to measure
//!   latency"): without it, a closed-loop tool sends less exactly when the service is slow and
//!   the slow period vanishes from the percentiles.
//!
//! A request whose (intended, in the open model) start falls in the warm-up is sent but not
//! measured. The run stops issuing at the end of the measured duration, or when the measured
//! request count is reached.

use std::time::Duration;

use crate::config::Stop;

/// The timing rules of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    /// Open model rate (requests per second); `None` for the closed model.
    pub rate: Option<f64>,
    pub warmup: Duration,
    pub stop: Stop,
}

/// Where a request falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Sent, not measured.
    Warmup,
    /// Sent and measured.
    Measure,
    /// Not sent: the run is over.
    Over,
}

impl Schedule {
    /// Open model: the intended start of ticket `k`, as an offset from the run's start.
    pub fn intended(&self, k: u64) -> Option<Duration> {
        let rate = self.rate.filter(|r| r.is_finite() && *r > 0.0)?;
        Duration::try_from_secs_f64(k as f64 / rate).ok()
    }

    /// The phase of a request starting (or intended to start) at `offset`.
    pub fn phase(&self, offset: Duration) -> Phase {
        if offset < self.warmup {
            return Phase::Warmup;
        }
        match self.stop {
            Stop::Duration(d) if offset >= self.warmup + d => Phase::Over,
            _ => Phase::Measure,
        }
    }

    /// Whether the `m`-th measured request (0-based) is still within the run.
    pub fn admits(&self, m: u64) -> bool {
        match self.stop {
            Stop::Requests(n) => m < n,
            Stop::Duration(_) => true,
        }
    }

    /// The latency to record: from the intended start in the open model, from the actual send
    /// in the closed one. `sent` and `done` are offsets from the run's start.
    pub fn latency(&self, intended: Option<Duration>, sent: Duration, done: Duration) -> Duration {
        let from = match intended {
            Some(i) if self.rate.is_some() => i.min(sent),
            _ => sent,
        };
        done.saturating_sub(from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn open(rate: f64) -> Schedule {
        Schedule {
            rate: Some(rate),
            warmup: Duration::from_secs(1),
            stop: Stop::Duration(Duration::from_secs(10)),
        }
    }

    #[test]
    fn phases_and_stops() {
        let s = open(100.0);
        assert_eq!(s.phase(Duration::from_millis(999)), Phase::Warmup);
        assert_eq!(s.phase(Duration::from_secs(1)), Phase::Measure);
        assert_eq!(s.phase(Duration::from_millis(10_999)), Phase::Measure);
        assert_eq!(s.phase(Duration::from_secs(11)), Phase::Over);
        let counted = Schedule {
            rate: None,
            warmup: Duration::ZERO,
            stop: Stop::Requests(3),
        };
        assert!(counted.admits(2) && !counted.admits(3));
        assert_eq!(
            counted.phase(Duration::from_secs(1_000_000)),
            Phase::Measure
        );
        assert_eq!(counted.intended(5), None);
    }

    #[test]
    fn open_model_charges_the_wait_closed_model_does_not() {
        // Intended at 1.00 s, sent late at 1.50 s because the service stalled, done at 1.51 s.
        let (i, sent, done) = (
            Duration::from_secs(1),
            Duration::from_millis(1_500),
            Duration::from_millis(1_510),
        );
        assert_eq!(
            open(100.0).latency(Some(i), sent, done),
            Duration::from_millis(510)
        );
        let closed = Schedule {
            rate: None,
            ..open(1.0)
        };
        assert_eq!(
            closed.latency(Some(i), sent, done),
            Duration::from_millis(10)
        );
    }

    proptest! {
        #[test]
        fn intended_times_are_evenly_spaced_and_monotonic(rate in 1.0f64..100_000.0, k in 0u64..10_000_000) {
            let s = open(rate);
            let a = s.intended(k).unwrap();
            let b = s.intended(k + 1).unwrap();
            prop_assert!(b >= a);
            let gap = (b - a).as_secs_f64();
            prop_assert!((gap - 1.0 / rate).abs() < 1e-6);
        }

        #[test]
        fn latency_is_never_negative(i in 0u64..1_000_000, sent in 0u64..1_000_000, extra in 0u64..1_000_000) {
            let done = sent + extra;
            let l = open(10.0).latency(Some(Duration::from_micros(i)), Duration::from_micros(sent), Duration::from_micros(done));
            prop_assert!(l >= Duration::from_micros(extra));
        }
    }
}
