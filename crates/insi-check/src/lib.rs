//! check-client: judges **the publisher's own INSi client** against a test package. The CNDA
//! qualifies the publisher's software (mostly Java, C#, TypeScript, PHP), not insi-bench's
//! client: here the simulator serves, the software under test calls it, and every request it
//! sends is assigned to the case under way and judged.
//!
//! Principal types:
//! - [`CheckCase`] (from an `insi_package` case): what to enter in the software
//!   ([`CheckCase::instruction`]), what the judge holds it to ([`Expected`]: a local refusal, or
//!   the calls of the reference strategy), the `checklist` lines for the human;
//! - [`Session`] with [`SessionConfig`]: the simulator on loopback with the package's personas,
//!   the shipped test PKI files and the IDAM the software is configured with ([`Endpoints`]);
//!   each case installs its response file while it is under way;
//! - a [`Driver`] plays the software's part: [`CommandDriver`] (`--drive 'CMD'`, once per case,
//!   `INSI_*` variables, timeout) or the CLI's interactive one;
//! - [`judge()`] (sans-IO): the case's exchanges + the case → [`insi_runner::Mismatch`]es and an
//!   [`insi_runner::Outcome`] (every exchange as an attempt with its raw request and response);
//! - [`check()`]: the loop, handing [`insi_runner::CaseResult`]s to an [`insi_runner::Sink`] and
//!   returning an [`insi_runner::Run`], so `insi-report` writes the reports of `run`.
//!
//! Data flows: package → [`CheckCase`]s → for each: [`Session::begin`] → [`Driver::drive`]
//! (the software sends requests; the simulator publishes an `insi_sim::exchange::Exchange` for
//! each) → [`Session::end`] → [`judge()`] → `CaseResult` → sink → … → `Run` → reports.
//!
//! What is judged and what cannot be (what the software does with an answer is out of sight:
//! the checklist) is in `docs/check-client.md`.
//!
//! ```
//! use insi_check::{CheckCase, Context, Expected, Memory, judge};
//!
//! let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/packages/cnda-public");
//! let package = insi_package::load(std::path::Path::new(root)).expect("package");
//! let cases = CheckCase::all(&package);
//! let refusal = cases.iter().find(|c| c.id == "refus-chiffre").expect("case");
//! assert!(matches!(refusal.expected, Ok(Expected::Refusal { .. })));
//! // The software sent nothing for DUPONT2: nothing to reproach it.
//! let cx = Context { idam: "INSIBENCH001".into() };
//! let judged = judge(refusal, &[], &cx, &mut Memory::default());
//! assert!(judged.mismatches.is_empty());
//! ```

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod case;
pub mod check;
pub mod drive;
pub mod error;
pub mod judge;
pub mod session;

pub use case::{CaseInput, CheckCase, Expected};
pub use check::{check, select, target_label};
pub use drive::{Brief, CommandDriver, Driven, Driver, EXIT_SKIP};
pub use error::CheckError;
pub use judge::{Context, Judgement, MAX_DESIR_1020_RETRIES, Memory, judge};
pub use session::{Endpoints, Session, SessionConfig, TEST_P12_PASSWORD};
