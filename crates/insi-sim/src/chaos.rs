//! Faults and chaos, reproducible with a seed: random `desir_1020` outages, random `insi_102`
//! technical errors on trait searches, connection resets, and a latency distribution.
//!
//! Draws come from one seeded generator shared by all connections: with one client sending
//! requests one at a time, the same seed gives the same sequence of outcomes. Concurrent clients
//! interleave, so only the rates are reproducible then.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use crate::fault::FaultCode;
use crate::rng::Rng;

/// How long the simulator waits before answering.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Latency {
    #[default]
    None,
    Fixed(Duration),
    /// Uniform between the two bounds.
    Uniform(Duration, Duration),
    /// Exponential with this mean (a long tail, like a loaded backend), capped at 20 × the mean.
    Exponential(Duration),
}

/// What `--fault-rate` and `--latency` configure.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ChaosConfig {
    pub seed: u64,
    /// Probability of a `siram_40`/`desir_1020` fault (service unavailable), any operation.
    pub desir_1020: f64,
    /// Probability of a `siram_40`/`insi_102` fault (technical error), trait searches only.
    pub insi_102: f64,
    /// Probability that the connection is dropped without an answer.
    pub reset: f64,
    pub latency: Latency,
}

/// The outcome of one draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChaosAction {
    pub delay: Duration,
    pub fault: Option<FaultCode>,
    pub reset: bool,
}

/// The chaos generator of a running simulator.
#[derive(Debug)]
pub struct Chaos {
    config: ChaosConfig,
    rng: Mutex<Rng>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChaosError {
    #[error(
        "fault rate '{0}' is not understood: write NAME=RATE[,NAME=RATE…] with NAME one of \
         desir_1020, insi_102, reset and RATE between 0 and 1 (e.g. desir_1020=0.01,reset=0.001)"
    )]
    FaultRate(String),
    #[error(
        "latency '{0}' is not understood: write 20ms, 10ms..50ms, or exp:20ms (exponential with \
         that mean); units ms or s, at most 60s"
    )]
    Latency(String),
}

impl Chaos {
    pub fn new(config: ChaosConfig) -> Chaos {
        let rng = Mutex::new(Rng::new(config.seed));
        Chaos { config, rng }
    }

    pub fn config(&self) -> &ChaosConfig {
        &self.config
    }

    /// Is anything configured at all (skips the lock on the fast path)?
    pub fn is_active(&self) -> bool {
        let c = &self.config;
        c.desir_1020 > 0.0 || c.insi_102 > 0.0 || c.reset > 0.0 || c.latency != Latency::None
    }

    /// Draws the fate of one request. `trait_search` says whether `insi_102` may apply.
    pub fn draw(&self, trait_search: bool) -> ChaosAction {
        if !self.is_active() {
            return ChaosAction::default();
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let c = &self.config;
        // Always draw the same number of values per request, so that one setting does not shift
        // the sequence of the others.
        let (r_reset, r_1020, r_102, r_lat) = (rng.unit(), rng.unit(), rng.unit(), rng.unit());
        let reset = r_reset < c.reset;
        let fault = if r_1020 < c.desir_1020 {
            Some(FaultCode::Desir1020)
        } else if trait_search && r_102 < c.insi_102 {
            Some(FaultCode::Insi102)
        } else {
            None
        };
        let delay = match c.latency {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => d,
            Latency::Uniform(lo, hi) => lo + (hi.saturating_sub(lo)).mul_f64(r_lat),
            Latency::Exponential(mean) => {
                let x = -(1.0 - r_lat).ln();
                mean.mul_f64(x.min(20.0))
            }
        };
        ChaosAction {
            delay,
            fault,
            reset,
        }
    }

    /// Parses `desir_1020=0.01,insi_102=0.005,reset=0.001` into `config`.
    pub fn parse_fault_rates(text: &str, config: &mut ChaosConfig) -> Result<(), ChaosError> {
        let bad = || ChaosError::FaultRate(text.to_owned());
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, rate) = part.split_once('=').ok_or_else(bad)?;
            let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(bad());
            }
            match name.trim() {
                "desir_1020" => config.desir_1020 = rate,
                "insi_102" => config.insi_102 = rate,
                "reset" => config.reset = rate,
                _ => return Err(bad()),
            }
        }
        Ok(())
    }
}

impl FromStr for Latency {
    type Err = ChaosError;
    fn from_str(text: &str) -> Result<Latency, ChaosError> {
        let bad = || ChaosError::Latency(text.to_owned());
        let duration = |s: &str| -> Result<Duration, ChaosError> {
            let s = s.trim();
            let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
                (n, 0.001)
            } else if let Some(n) = s.strip_suffix('s') {
                (n, 1.0)
            } else {
                return Err(bad());
            };
            let value: f64 = number.trim().parse().map_err(|_| bad())?;
            let secs = value * scale;
            if !(0.0..=60.0).contains(&secs) {
                return Err(bad());
            }
            Ok(Duration::from_secs_f64(secs))
        };
        let text_t = text.trim();
        if text_t.is_empty() || text_t == "0" || text_t == "none" {
            return Ok(Latency::None);
        }
        if let Some(mean) = text_t.strip_prefix("exp:") {
            return Ok(Latency::Exponential(duration(mean)?));
        }
        if let Some((lo, hi)) = text_t.split_once("..") {
            let (lo, hi) = (duration(lo)?, duration(hi)?);
            if lo > hi {
                return Err(bad());
            }
            return Ok(Latency::Uniform(lo, hi));
        }
        Ok(Latency::Fixed(duration(text_t)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates_and_latencies() {
        let mut c = ChaosConfig::default();
        Chaos::parse_fault_rates("desir_1020=0.25, insi_102=0.5,reset=0", &mut c).unwrap();
        assert_eq!((c.desir_1020, c.insi_102, c.reset), (0.25, 0.5, 0.0));
        for bad in ["desir_1020", "desir_1020=2", "other=0.1", "reset=x"] {
            let err = Chaos::parse_fault_rates(bad, &mut c).unwrap_err();
            assert!(err.to_string().contains("NAME=RATE"), "{bad}");
        }
        assert_eq!(
            "20ms".parse(),
            Ok(Latency::Fixed(Duration::from_millis(20)))
        );
        assert_eq!(
            "10ms..1s".parse(),
            Ok(Latency::Uniform(
                Duration::from_millis(10),
                Duration::from_secs(1)
            ))
        );
        assert_eq!(
            "exp:5ms".parse(),
            Ok(Latency::Exponential(Duration::from_millis(5)))
        );
        for bad in ["20", "2h", "50ms..10ms", "exp:", "-1ms", "61s"] {
            assert!(bad.parse::<Latency>().is_err(), "{bad}");
        }
    }

    #[test]
    fn same_seed_same_fates_and_rates_hold() {
        let config = ChaosConfig {
            seed: 5,
            desir_1020: 0.1,
            insi_102: 0.2,
            reset: 0.05,
            latency: Latency::Uniform(Duration::from_millis(1), Duration::from_millis(3)),
        };
        let a: Vec<_> = {
            let c = Chaos::new(config.clone());
            (0..2000).map(|_| c.draw(true)).collect()
        };
        let c = Chaos::new(config);
        let b: Vec<_> = (0..2000).map(|_| c.draw(true)).collect();
        assert_eq!(a, b);
        let count = |f: &dyn Fn(&ChaosAction) -> bool| a.iter().filter(|x| f(x)).count();
        let d1020 = count(&|x| x.fault == Some(FaultCode::Desir1020));
        let i102 = count(&|x| x.fault == Some(FaultCode::Insi102));
        let resets = count(&|x| x.reset);
        assert!((150..250).contains(&d1020), "{d1020}");
        assert!((280..440).contains(&i102), "{i102}");
        assert!((60..140).contains(&resets), "{resets}");
        assert!(
            a.iter()
                .all(|x| (Duration::from_millis(1)..=Duration::from_millis(3)).contains(&x.delay))
        );
        let quiet = Chaos::new(ChaosConfig::default());
        assert_eq!(quiet.draw(true), ChaosAction::default());
    }
}
