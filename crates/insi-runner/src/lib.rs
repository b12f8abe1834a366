//! The run engine of insi-bench: replays a test package against a target and says, case by case,
//! whether the software behaved as the package expects.
//!
//! Principal types:
//! - [`TargetSpec`] → [`Target::resolve`] → [`Target`]: the embedded simulator (started here,
//!   once) or a remote INSi (credentials read and one exchange completed at resolve time); it
//!   hands out endpoints and [`insi_client::InsiClient`]s, for `run`, `search`, `verify` and the
//!   load mode alike;
//! - [`Runner`] with [`RunSettings`]: selects cases, loads card profiles ([`CardSet`]) and
//!   injection files once, runs cases concurrently, writes the [`Journal`] (fsync per case,
//!   `--resume` rules) and feeds a [`Sink`];
//! - per case: [`Outcome`] (what the client observed, with every [`Attempt`] and its raw
//!   evidence) → [`compare()`] against the case's `expect` → [`Mismatch`]es → [`CaseResult`] with
//!   its [`Status`] (`pass`, `fail`, `skip`, `xfail`, `xpass`);
//! - [`Run`]: every recorded case in package order, with its [`Header`] and [`Summary`]; the
//!   reports (`insi-report`) and the results history are written from it.
//!
//! Data flows: `insi_package::Package` + [`Target`] → [`Runner::new`] (setup errors:
//! [`RunError`]) → [`Runner::run`] → for each case: execute → [`Outcome`] → [`compare()`] →
//! [`CaseResult`] → journal (synced) → [`Sink::case`] → … → [`Sink::finish`] with the [`Run`].
//!
//! Boundaries (DESIGN.md §2, as moved by the engine-crates work): this crate is where the
//! client, the simulator and the card emulator meet — `insi-client` never depends on
//! `insi-sim`, nor `cpx`/`vitale` on `card-emu`; the runner wires them (it starts the embedded
//! simulator for a `sim` target and puts emulated cards behind the in-memory transport). It does
//! no printing: terminal, progress and files are [`Sink`]s and `insi-report` renderers.
//!
//! A publisher replays a package from their own `cargo test` (the test body is the example; the
//! hidden lines start the runtime the way `#[tokio::test]` does):
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use insi_runner::{Collect, EmbeddedSpec, RunSettings, Runner, Target, TargetSpec};
//!
//! let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/packages/cnda-public");
//! let package = insi_package::load(std::path::Path::new(root))?;
//! let spec = TargetSpec::embedded(EmbeddedSpec::default());
//! let target = Target::resolve(spec, std::time::Duration::from_secs(10)).await?;
//! let mut collected = Collect::default();
//! let run = Runner::new(&package, &target, RunSettings::default())?
//!     .run(&mut collected)
//!     .await?;
//! assert_eq!(run.summary.failed, 0, "{:?}", run.cases.iter().find(|c| !c.mismatches.is_empty()));
//! assert_eq!(collected.cases.len(), run.cases.len());
//! target.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! `examples/run_package.rs` is the same as a program. The package format is in
//! `docs/package-format.md`; the runner's behaviour in `docs/runner.md`.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod cards;
pub mod compare;
mod execute;
pub mod journal;
pub mod outcome;
pub mod result;
mod runner;
pub mod sink;
pub mod target;

pub use cards::CardSet;
pub use compare::{Mismatch, compare};
pub use journal::{Journal, JournalError};
pub use outcome::{Attempt, FaultValue, InsValue, Outcome, Refusal, TraitsValue};
pub use result::{CaseResult, Header, PERSONAL_DATA_NOTICE, Run, Status, Summary};
pub use runner::{
    JournalSettings, RUNNER_INSTANCE, RunError, RunSettings, Runner, check_production,
};
pub use sink::{Collect, Fanout, NoSink, Sink, SinkError};
pub use target::{
    ClientOptions, CpxAuth, DEFAULT_CREDENTIAL, EmbeddedSpec, Endpoint, Host, RemoteSpec, Software,
    Target, TargetError, TargetSpec,
};
