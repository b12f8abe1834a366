//! The result of a run: [`LoadReport`], written as JSON (format 1, `docs/load-result.schema.json`)
//! and read back with [`LoadReport::read`]; [`merge`] combines runs of several processes or
//! machines.
//!
//! The JSON carries the run's latency histogram (and one per interval) in the HdrHistogram V2
//! compressed encoding, base64: merging adds histograms bucket by bucket and takes percentiles
//! from the sum — never an average of percentiles — and counts are sums.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use serde::{Deserialize, Serialize};

use crate::config::LoadConfig;
use crate::measure::{Percentiles, histogram};

/// The result format this build writes; it reads this one and refuses newer ones.
pub const FORMAT: u32 = 1;

/// Why a result cannot be read, written or merged.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a load result (JSON): {message}")]
    Json { path: String, message: String },
    #[error(
        "{path} is a load result of format {found}; this insi-bench reads format {FORMAT}: \
         use a newer insi-bench"
    )]
    Format { path: String, found: u32 },
    #[error("histogram: {0}")]
    Histogram(String),
    #[error("nothing to merge: give at least one result file")]
    Empty,
}

/// The tool that wrote a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn this() -> Tool {
        Tool {
            name: "insi-bench".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Requests per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Every request, whatever its class.
    pub requests_per_s: f64,
    /// Right answers only.
    pub ok_per_s: f64,
    /// HTTP calls (a CNDA-strategy search makes one or more).
    pub calls_per_s: f64,
}

/// One interval (1 s) of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Start, in seconds after the run's measured start.
    pub offset_s: f64,
    pub duration_s: f64,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The interval's latency histogram (µs, V2 compressed, base64).
    pub histogram: String,
}

/// A run that went into a merged result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub file: String,
    pub label: Option<String>,
    pub slice: String,
    pub started: jiff::Timestamp,
    pub requests: u64,
    pub ok: u64,
}

/// The result of a load run (or of several, merged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    pub format: u32,
    pub tool: Tool,
    pub label: Option<String>,
    pub config: LoadConfig,
    /// Start and end of the measured window (after the warm-up).
    pub started: jiff::Timestamp,
    pub finished: jiff::Timestamp,
    pub duration_s: f64,
    /// Requests measured, every class.
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub calls: u64,
    /// Requests sent during the warm-up (not measured).
    pub warmup_requests: u64,
    pub throughput: Throughput,
    /// Latency of right answers, milliseconds.
    pub latency_ms: Percentiles,
    /// Requests per class (`ok`, `wrong-answer`, `fault:CODE`, `http:STATUS`, `connect`,
    /// `tls`, `timeout`, `transport`, `decode`, `setup`).
    pub classes: BTreeMap<String, u64>,
    /// Why the first wrong answers were wrong (codes and field names, no personal data).
    pub mismatches: Vec<String>,
    pub intervals: Vec<Interval>,
    /// The whole run's latency histogram of right answers (µs, V2 compressed, base64).
    pub histogram: String,
    /// The runs merged into this one (empty for a single run).
    #[serde(default)]
    pub sources: Vec<Source>,
}

/// Encodes a histogram as V2 compressed (deflate), base64: what HdrHistogram's tools read.
pub fn encode_histogram(h: &Histogram<u64>) -> Result<String, ReportError> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .map_err(|e| ReportError::Histogram(format!("{e:?}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Decodes [`encode_histogram`]'s text (also accepts the uncompressed V2 encoding).
pub fn decode_histogram(text: &str) -> Result<Histogram<u64>, ReportError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| ReportError::Histogram(format!("not base64: {e}")))?;
    let decoded: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| ReportError::Histogram(format!("not an HdrHistogram V2 encoding: {e:?}")))?;
    // Re-home the values in our bounds so that sums with our histograms always fit.
    let mut h = histogram();
    for v in decoded.iter_recorded() {
        h.saturating_record_n(v.value_iterated_to(), v.count_at_value());
    }
    Ok(h)
}

impl LoadReport {
    /// Reads a result file (format 1).
    pub fn read(path: &Path) -> Result<LoadReport, ReportError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
            path: p.clone(),
            source,
        })?;
        Self::parse(&text, &p)
    }

    /// Parses a result from text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<LoadReport, ReportError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ReportError::Json {
                path: origin.to_owned(),
                message: e.to_string(),
            })?;
        let format = value.get("format").and_then(serde_json::Value::as_u64);
        match format {
            Some(f) if f > u64::from(FORMAT) => {
                return Err(ReportError::Format {
                    path: origin.to_owned(),
                    found: u32::try_from(f).unwrap_or(u32::MAX),
                });
            }
            Some(_) => {}
            None => {
                return Err(ReportError::Json {
                    path: origin.to_owned(),
                    message: "no \"format\" field".into(),
                });
            }
        }
        serde_json::from_value(value).map_err(|e| ReportError::Json {
            path: origin.to_owned(),
            message: e.to_string(),
        })
    }

    /// Writes the result as pretty JSON (parent directories created).
    pub fn write(&self, path: &Path) -> Result<(), ReportError> {
        let io = |source| ReportError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| ReportError::Json {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let mut file = std::fs::File::create(path).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.write_all(b"\n").map_err(io)
    }

    /// The whole run's latency histogram.
    pub fn latency_histogram(&self) -> Result<Histogram<u64>, ReportError> {
        decode_histogram(&self.histogram)
    }

    /// Wrong answers (a failure, never a latency sample).
    pub fn wrong_answers(&self) -> u64 {
        self.classes.get("wrong-answer").copied().unwrap_or(0)
    }
}

/// Throughput over a window.
pub fn throughput(requests: u64, ok: u64, calls: u64, duration_s: f64) -> Throughput {
    if duration_s <= 0.0 {
        return Throughput::default();
    }
    Throughput {
        requests_per_s: requests as f64 / duration_s,
        ok_per_s: ok as f64 / duration_s,
        calls_per_s: calls as f64 / duration_s,
    }
}

/// Merges runs: counts are sums, histograms are added and percentiles read from the sum. The
/// window spans the earliest start to the latest end, so throughput is right for processes that
/// ran at the same time (the scale-out case); intervals are aligned on wall-clock seconds from
/// the earliest start. `files` names the inputs in `sources`.
pub fn merge(
    reports: &[LoadReport],
    files: &[String],
    label: Option<String>,
) -> Result<LoadReport, ReportError> {
    let first = reports.first().ok_or(ReportError::Empty)?;
    let started = reports
        .iter()
        .map(|r| r.started)
        .min()
        .unwrap_or(first.started);
    let finished = reports
        .iter()
        .map(|r| r.finished)
        .max()
        .unwrap_or(first.finished);
    let duration_s = (finished - started).as_secs_f64().max(0.0);
    let mut total = histogram();
    let mut classes = BTreeMap::new();
    let mut mismatches = Vec::new();
    let (mut requests, mut ok, mut errors, mut calls, mut warmup) = (0, 0, 0, 0, 0);
    // Interval slot (whole seconds after `started`) → (requests, ok, errors, histogram).
    let mut slots: BTreeMap<u64, (u64, u64, u64, Histogram<u64>)> = BTreeMap::new();
    let mut sources = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        let h = r.latency_histogram()?;
        add(&mut total, &h);
        for (class, n) in &r.classes {
            *classes.entry(class.clone()).or_insert(0) += n;
        }
        for m in &r.mismatches {
            if mismatches.len() < crate::measure::KEPT_MISMATCHES {
                mismatches.push(m.clone());
            }
        }
        requests += r.requests;
        ok += r.ok;
        errors += r.errors;
        calls += r.calls;
        warmup += r.warmup_requests;
        let shift = (r.started - started).as_secs_f64().max(0.0);
        for interval in &r.intervals {
            let slot = (shift + interval.offset_s).floor().max(0.0) as u64;
            let entry = slots.entry(slot).or_insert_with(|| (0, 0, 0, histogram()));
            entry.0 += interval.requests;
            entry.1 += interval.ok;
            entry.2 += interval.errors;
            add(&mut entry.3, &decode_histogram(&interval.histogram)?);
        }
        // A merged input contributes its own sources.
        if r.sources.is_empty() {
            sources.push(Source {
                file: files.get(i).cloned().unwrap_or_default(),
                label: r.label.clone(),
                slice: r.config.slice.to_string(),
                started: r.started,
                requests: r.requests,
                ok: r.ok,
            });
        } else {
            sources.extend(r.sources.iter().cloned());
        }
    }
    let mut intervals = Vec::with_capacity(slots.len());
    for (slot, (req, good, bad, h)) in slots {
        let p = Percentiles::of(&h);
        intervals.push(Interval {
            offset_s: slot as f64,
            duration_s: 1.0,
            requests: req,
            ok: good,
            errors: bad,
            p50_ms: p.p50,
            p99_ms: p.p99,
            histogram: encode_histogram(&h)?,
        });
    }
    Ok(LoadReport {
        format: FORMAT,
        tool: Tool::this(),
        label: label.or_else(|| Some(format!("merge of {} runs", reports.len()))),
        config: first.config.clone(),
        started,
        finished,
        duration_s,
        requests,
        ok,
        errors,
        calls,
        warmup_requests: warmup,
        throughput: throughput(requests, ok, calls, duration_s),
        latency_ms: Percentiles::of(&total),
        classes,
        mismatches,
        intervals,
        histogram: encode_histogram(&total)?,
        sources,
    })
}

fn add(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    if into.add(from).is_err() {
        for v in from.iter_recorded() {
            into.saturating_record_n(v.value_iterated_to(), v.count_at_value());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn report(started_s: i64, latencies_us: &[u64], wrong: u64) -> LoadReport {
        let mut h = histogram();
        for v in latencies_us {
            h.saturating_record(*v);
        }
        let ok = latencies_us.len() as u64;
        let started = jiff::Timestamp::from_second(1_700_000_000 + started_s).unwrap();
        let finished = started + jiff::SignedDuration::from_secs(2);
        let p = Percentiles::of(&h);
        LoadReport {
            format: FORMAT,
            tool: Tool::this(),
            label: None,
            config: LoadConfig::default(),
            started,
            finished,
            duration_s: 2.0,
            requests: ok + wrong,
            ok,
            errors: wrong,
            calls: ok + wrong,
            warmup_requests: 0,
            throughput: throughput(ok + wrong, ok, ok + wrong, 2.0),
            latency_ms: p,
            classes: BTreeMap::from([("ok".into(), ok), ("wrong-answer".into(), wrong)]),
            mismatches: Vec::new(),
            intervals: vec![Interval {
                offset_s: 0.0,
                duration_s: 1.0,
                requests: ok + wrong,
                ok,
                errors: wrong,
                p50_ms: p.p50,
                p99_ms: p.p99,
                histogram: encode_histogram(&h).unwrap(),
            }],
            histogram: encode_histogram(&h).unwrap(),
            sources: Vec::new(),
        }
    }

    #[test]
    fn histograms_round_trip_through_text() {
        let mut h = histogram();
        for v in [1, 10, 100, 1_000, 1_000_000] {
            h.record(v).unwrap();
        }
        let back = decode_histogram(&encode_histogram(&h).unwrap()).unwrap();
        assert_eq!(back.len(), 5);
        assert_eq!(Percentiles::of(&back), Percentiles::of(&h));
        assert!(decode_histogram("not base64!").is_err());
        assert!(decode_histogram("aGVsbG8=").is_err());
    }

    #[test]
    fn merge_sums_counts_and_reads_percentiles_from_the_sum() {
        // A fast process and a slow one: the merged p50 is not the mean of their p50s.
        let fast = report(0, &[1_000; 90], 1);
        let slow = report(1, &[50_000; 10], 2);
        let merged = merge(
            &[fast.clone(), slow.clone()],
            &["a".into(), "b".into()],
            None,
        )
        .unwrap();
        assert_eq!(merged.requests, fast.requests + slow.requests);
        assert_eq!(merged.ok, 100);
        assert_eq!(merged.classes["wrong-answer"], 3);
        assert!(
            (merged.latency_ms.p50 - 1.0).abs() < 0.01,
            "{:?}",
            merged.latency_ms
        );
        assert!((merged.latency_ms.p99 - 50.0).abs() < 0.1);
        assert_eq!(merged.duration_s, 3.0);
        assert_eq!(merged.sources.len(), 2);
        assert_eq!(merged.intervals.len(), 2);
        assert_eq!(merged.intervals[1].offset_s, 1.0);
        // Merging a merge keeps the original sources and the same totals.
        let again = merge(std::slice::from_ref(&merged), &["m".into()], None).unwrap();
        assert_eq!(again.requests, merged.requests);
        assert_eq!(again.sources.len(), 2);
    }

    /// The documented schema (docs/load-result.schema.json) and what we write name the same
    /// fields: a field added on one side only fails here.
    #[test]
    fn schema_names_every_field_written() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/load-result.schema.json")).unwrap();
        let keys = |v: &serde_json::Value| -> std::collections::BTreeSet<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        let mut r = report(0, &[5], 1);
        r.sources.push(Source {
            file: "a.json".into(),
            label: None,
            slice: "0/1".into(),
            started: r.started,
            requests: 2,
            ok: 1,
        });
        let written = serde_json::to_value(&r).unwrap();
        assert_eq!(keys(&written), keys(&schema["properties"]));
        let config = &schema["$defs"]["config"];
        let mut cfg = written["config"].clone();
        cfg["sim_fault_rate"] = "x".into();
        cfg["sim_latency"] = "y".into();
        assert_eq!(keys(&cfg), keys(&config["properties"]));
        let required = |v: &serde_json::Value| -> std::collections::BTreeSet<String> {
            v["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(keys(&written["config"]), required(config));
        let interval = &schema["properties"]["intervals"]["items"];
        assert_eq!(
            keys(&written["intervals"][0]),
            keys(&interval["properties"])
        );
        assert_eq!(
            keys(&written["latency_ms"]),
            required(&schema["$defs"]["percentiles"])
        );
        assert_eq!(
            keys(&written["sources"][0]),
            required(&schema["properties"]["sources"]["items"])
        );
    }

    #[test]
    fn reads_back_what_it_writes_and_refuses_newer_formats() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let r = report(0, &[5, 6, 7], 0);
        r.write(&path).unwrap();
        assert_eq!(LoadReport::read(&path).unwrap(), r);
        let mut newer: serde_json::Value = serde_json::to_value(&r).unwrap();
        newer["format"] = 2.into();
        let err = LoadReport::parse(&newer.to_string(), "x.json").unwrap_err();
        assert!(err.to_string().contains("format 2"), "{err}");
        assert!(LoadReport::parse("{}", "y").is_err());
        assert!(LoadReport::parse("[", "y").is_err());
        assert!(matches!(merge(&[], &[], None), Err(ReportError::Empty)));
    }
}
