//! Sending: the workers and the gatherer of one run.
//!
//! `concurrency` workers (tokio tasks) share one client, whose HTTP/1.1 keep-alive pool holds a
//! connection per worker. Each takes the next ticket, asks the [`Schedule`] whether and when to
//! send it, plans the request from the [`Workload`] (shape, person, expected answer), sends it
//! through the client (fresh MessageID, Ids and Temps on every call), and records its class and
//! latency in a shard. Once per second the gatherer folds the shards into an [`Interval`] and
//! hands a [`Progress`] to the caller (the live display).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use insi_client::{ClientError, Outcome};
use tokio::task::JoinSet;

use crate::classify::{Class, classify};
use crate::config::{LoadConfig, Stop};
use crate::measure::{Percentiles, Shards, Tally};
use crate::report::{self, Interval, LoadReport, ReportError, Tool};
use crate::schedule::{Phase, Schedule};
use crate::target::Target;
use crate::workload::{PlannedRequest, STRATEGY, Workload};

/// Length of one interval of the time series.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Shards of the workers' tallies (more workers share them).
const MAX_SHARDS: usize = 16;

/// What the live display is given once per interval.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Since the measured start.
    pub elapsed: Duration,
    pub interval: Interval,
    /// Since the measured start: requests, right answers, errors.
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    /// The stop condition, for a percentage.
    pub stop: Stop,
}

/// Why a run could not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("concurrency must be at least 1")]
    NoWorkers,
}

/// Runs the load and returns its result. `cancel` stops issuing new requests (Ctrl-C); what
/// was measured until then is the result.
pub async fn run(
    target: &Target,
    workload: Arc<Workload>,
    config: &LoadConfig,
    label: Option<String>,
    cancel: Arc<AtomicBool>,
    mut on_interval: impl FnMut(&Progress),
) -> Result<LoadReport, LoadError> {
    let concurrency = config.concurrency as usize;
    if concurrency == 0 {
        return Err(LoadError::NoWorkers);
    }
    let schedule = Schedule {
        rate: config.rate,
        warmup: config.warmup,
        stop: config.stop,
    };
    let shards = Arc::new(Shards::new(concurrency.min(MAX_SHARDS)));
    let tickets = Arc::new(AtomicU64::new(0));
    let measured = Arc::new(AtomicU64::new(0));
    let warmup_requests = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measure_start = start + config.warmup;
    let started_wall = jiff::Timestamp::now() + config.warmup;

    let mut workers = JoinSet::new();
    for w in 0..concurrency {
        let worker = Worker {
            id: w,
            target_client: target.client.clone(),
            workload: workload.clone(),
            schedule,
            slice: config.slice,
            shards: shards.clone(),
            tickets: tickets.clone(),
            measured: measured.clone(),
            warmup_requests: warmup_requests.clone(),
            cancel: cancel.clone(),
            start,
        };
        workers.spawn(worker.run());
    }

    let mut total = Tally::default();
    let mut intervals = Vec::new();
    let mut tick = 1u32;
    let mut last_tick = measure_start;
    loop {
        let next = measure_start + INTERVAL * tick;
        tokio::select! {
            joined = workers.join_next() => {
                if joined.is_none() {
                    break;
                }
            }
            _ = tokio::time::sleep_until(next.into()) => {
                let interval = gather(&shards, &mut total, last_tick - measure_start, INTERVAL)?;
                last_tick = next;
                tick += 1;
                on_interval(&Progress {
                    elapsed: next - measure_start,
                    requests: total.requests(),
                    ok: total.count(&Class::Ok),
                    errors: total.requests() - total.count(&Class::Ok),
                    interval: interval.clone(),
                    stop: config.stop,
                });
                intervals.push(interval);
            }
        }
    }
    let end = Instant::now();
    let finished_wall = jiff::Timestamp::now();
    // The last, partial interval (nothing is lost: every shard is drained once more).
    if end > last_tick {
        let last = gather(
            &shards,
            &mut total,
            last_tick.saturating_duration_since(measure_start),
            end - last_tick,
        )?;
        if last.requests > 0 {
            intervals.push(last);
        }
    }
    let duration_s = end.saturating_duration_since(measure_start).as_secs_f64();
    let requests = total.requests();
    let ok = total.count(&Class::Ok);
    Ok(LoadReport {
        format: report::FORMAT,
        tool: Tool::this(),
        label,
        config: config.clone(),
        started: started_wall,
        finished: finished_wall.max(started_wall),
        duration_s,
        requests,
        ok,
        errors: requests - ok,
        calls: total.calls,
        warmup_requests: warmup_requests.load(Ordering::Relaxed),
        throughput: report::throughput(requests, ok, total.calls, duration_s),
        latency_ms: Percentiles::of(&total.latency),
        classes: total.classes.iter().map(|(c, n)| (c.name(), *n)).collect(),
        mismatches: total.mismatches.clone(),
        intervals,
        histogram: report::encode_histogram(&total.latency)?,
        sources: Vec::new(),
    })
}

/// Drains the shards into one interval and adds it to the total.
fn gather(
    shards: &Shards,
    total: &mut Tally,
    offset: Duration,
    duration: Duration,
) -> Result<Interval, ReportError> {
    let mut interval = Tally::default();
    shards.drain_into(&mut interval);
    total.add(&interval);
    let p = Percentiles::of(&interval.latency);
    let ok = interval.count(&Class::Ok);
    Ok(Interval {
        offset_s: offset.as_secs_f64(),
        duration_s: duration.as_secs_f64(),
        requests: interval.requests(),
        ok,
        errors: interval.requests() - ok,
        p50_ms: p.p50,
        p99_ms: p.p99,
        histogram: report::encode_histogram(&interval.latency)?,
    })
}

struct Worker {
    id: usize,
    target_client: Arc<insi_client::InsiClient<insi_client::HttpTransport>>,
    workload: Arc<Workload>,
    schedule: Schedule,
    slice: crate::workload::Slice,
    shards: Arc<Shards>,
    tickets: Arc<AtomicU64>,
    measured: Arc<AtomicU64>,
    warmup_requests: Arc<AtomicU64>,
    cancel: Arc<AtomicBool>,
    start: Instant,
}

impl Worker {
    async fn run(self) {
        let client = &self.target_client;
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return;
            }
            let k = self.tickets.fetch_add(1, Ordering::Relaxed);
            let intended = self.schedule.intended(k);
            let when = intended.unwrap_or_else(|| self.start.elapsed());
            let measure = match self.schedule.phase(when) {
                Phase::Over => return,
                Phase::Warmup => false,
                Phase::Measure => {
                    let m = self.measured.fetch_add(1, Ordering::Relaxed);
                    if !self.schedule.admits(m) {
                        return;
                    }
                    true
                }
            };
            if let Some(i) = intended {
                tokio::time::sleep_until((self.start + i).into()).await;
            }
            let index = self.slice.global(k);
            let Some(plan) = self.workload.plan(index) else {
                // A person whose traits do not validate: never happens with the shipped
                // generator; counted, not hidden.
                if measure {
                    self.shards
                        .with(self.id, |t| t.record(Class::Setup, Duration::ZERO, 0));
                }
                continue;
            };
            let sent = self.start.elapsed();
            let result = match &plan.request {
                PlannedRequest::Traits(traits) => client.search(traits, STRATEGY).await,
                PlannedRequest::Vitale(search) => client.search_vitale(search).await,
            };
            let done = self.start.elapsed();
            let (outcome, calls) = match result {
                Ok(report) => (report.outcome, report.trace.attempts.len()),
                Err(e) => (Outcome::Failed(e), 0),
            };
            let (class, mismatch) = classify(&plan.expected, &outcome, calls);
            if measure {
                let latency = self.schedule.latency(intended, sent, done);
                self.shards.with(self.id, |t| {
                    t.record(class, latency, calls);
                    if let Some(m) = mismatch {
                        t.mismatch(format!("request #{index} ({}): {}", plan.shape, m.0));
                    }
                });
            } else {
                self.warmup_requests.fetch_add(1, Ordering::Relaxed);
            }
            if let Outcome::Failed(ClientError::Setup(_) | ClientError::Assertion(_)) = outcome {
                // A setup failure (the PS assertion cannot be signed) fails every request the
                // same way: stop rather than spin.
                self.cancel.store(true, Ordering::Relaxed);
            }
        }
    }
}
