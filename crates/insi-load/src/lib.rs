//! Load generation for INSi services: `insi-bench load` and `insi-bench merge`.
//!
//! Split as oha splits a load tool, sending / watching / printing / measuring, with the
//! protocol-free parts sans-IO and unit-tested:
//! - [`workload::Workload`] plans request `k` (shape from the [`mix::Mix`], person from the
//!   seeded [`oracle::Population`], the answer it must get from the [`oracle`]) — pure;
//! - [`schedule::Schedule`] says when a ticket goes and whether it is measured: closed model, or
//!   open model at `--rate` with latency from the intended send time (coordinated omission
//!   corrected as wrk2 does) — pure;
//! - [`send::run`] (sending) drives the workers through an [`target::Target`]'s shared
//!   `insi_client::InsiClient` (HTTP/1.1 keep-alive pool sized to the concurrency);
//! - [`classify`] turns each outcome into a [`classify::Class`] — `ok` (the right answer, the
//!   only latency sample), `wrong-answer`, `fault:CODE`, `http:STATUS`, `connect`, `tls`,
//!   `timeout`, `transport`, `decode` — pure;
//! - [`measure`] keeps per-shard HdrHistograms and counts, gathered once per second; memory does
//!   not grow with the number of requests;
//! - [`watch::Watcher`] (watching) draws the live line; [`print::table`] (printing) the final
//!   table; [`report::LoadReport`] is the JSON result (format 1, `docs/load-result.schema.json`),
//!   read back with [`report::LoadReport::read`] and combined with [`report::merge`];
//!   [`hdr::write_log`] writes the HdrHistogram interval log, [`html::write`] the HTML page.
//!
//! Data flows: ticket → `Schedule` → `Workload::plan` → client search → `classify` → shard
//! `Tally` → per-second `Interval` → `LoadReport` → JSON / interval log / HTML / table.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::{Arc, atomic::AtomicBool};
//! use insi_load::{config::{Auth, LoadConfig, Stop}, oracle::Population, target::{Target, TargetSpec}};
//!
//! let config = LoadConfig { stop: Stop::Requests(1_000), population: 20_000, ..LoadConfig::default() };
//! let personas = insi_sim::personas::Personas::parse(insi_sim::embedded::SHIPPED_PERSONAS)?;
//! let population = Population::new(config.population, config.seed, &personas);
//! let workload = Arc::new(insi_load::workload::Workload::new(population, config.mix.clone(), config.draw_seed)?);
//! let spec = TargetSpec::Embedded { population: config.population, seed: config.seed, chaos: Default::default() };
//! let target = Target::resolve(&spec, Auth::Mtls, 16, false, config.timeout).await?;
//! let report = insi_load::send::run(&target, workload, &config, None, Arc::new(AtomicBool::new(false)), |_| {}).await?;
//! println!("{}", insi_load::print::table(&report));
//! assert_eq!(report.wrong_answers(), 0);
//! target.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! `docs/load.md` describes the command, the result format and the scale-out recipe.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod classify;
pub mod config;
pub mod hdr;
pub mod html;
pub mod measure;
pub mod mix;
pub mod oracle;
pub mod print;
pub mod report;
pub mod schedule;
pub mod send;
pub mod target;
pub mod watch;
pub mod workload;
