//! What a run is asked to do, as recorded in its result file (`config` in
//! `docs/load-result.schema.json`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::mix::Mix;
use crate::workload::Slice;

/// How requests authenticate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// Establishment certificate over mutual TLS.
    #[default]
    Mtls,
    /// Server TLS and a signed PS assertion in `wsse:Security` (cached, re-signed every 20 s).
    Cpx,
}

/// When a run stops.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    /// Measure for this long (after the warm-up).
    Duration(#[serde(with = "secs")] Duration),
    /// Measure this many requests (after the warm-up).
    Requests(u64),
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        Duration::try_from_secs_f64(v).map_err(serde::de::Error::custom)
    }
}

/// The whole configuration of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadConfig {
    /// What was loaded: `sim (embedded)`, an environment name or a URL.
    pub target: String,
    pub auth: Auth,
    /// Workers, each with at most one request in flight (HTTP/1.1: one connection each).
    pub concurrency: u32,
    pub stop: Stop,
    /// Open model: requests per second, latency measured from each request's intended send
    /// time (coordinated omission corrected). `None`: closed model.
    pub rate: Option<f64>,
    #[serde(with = "secs")]
    pub warmup: Duration,
    pub mix: Mix,
    /// Synthetic population the target serves (`--population N --seed S`).
    pub population: u64,
    pub seed: u64,
    /// Seed of the request draws (shape and person of each request).
    pub draw_seed: u64,
    /// This process's share of the request sequence.
    pub slice: Slice,
    pub http2: bool,
    /// Timeout of one HTTP exchange.
    #[serde(with = "secs")]
    pub timeout: Duration,
    /// Embedded simulator only: its chaos settings (`--sim-fault-rate`, `--sim-latency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_fault_rate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_latency: Option<String>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            target: "sim (embedded)".into(),
            auth: Auth::Mtls,
            concurrency: 16,
            stop: Stop::Duration(Duration::from_secs(10)),
            rate: None,
            warmup: Duration::ZERO,
            mix: Mix::default(),
            population: 100_000,
            seed: 1,
            draw_seed: 1,
            slice: Slice::default(),
            http2: false,
            timeout: Duration::from_secs(10),
            sim_fault_rate: None,
            sim_latency: None,
        }
    }
}
