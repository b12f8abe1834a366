//! Test packages (format v1): the directory a CNDA-style qualification campaign is written in.
//!
//! Principal types:
//! - [`model`]: the TOML shape — [`Manifest`] (`package.toml`), [`Case`] with its [`Input`] and
//!   [`Expect`], the enums [`Operation`], [`Auth`], [`Strategy`], [`Verdict`];
//! - [`load`] reads a directory into a checked [`Package`] (every [`LoadedCase`] with its file and
//!   line), or returns [`PackageErrors`]: **every** [`Problem`] found, each located as
//!   `file:line:column`, never just the first one; [`parse_manifest`] and [`parse_cases`] do the
//!   same checks on text already in memory (what `load` uses for each file).
//!
//! Data flows: directory → format check (`format = 1` first, so a newer package gets "upgrade",
//! not a list of unknown keys) → strict parsing of each file (unknown keys are errors) → the
//! checks TOML cannot express (inputs an operation needs, unique ids, referenced files inside the
//! package) → [`Package`]. Nothing here runs a case or knows a card format: card profiles are
//! checked through the [`CardProfiles`] trait ([`load_checking`]), which the runner's `CardSet`
//! implements by loading each profile once.
//!
//! ```no_run
//! let package = match insi_package::load(std::path::Path::new("testdata/packages/cnda-public")) {
//!     Ok(package) => package,
//!     Err(errors) => {
//!         eprint!("{errors}"); // "the package has 2 problems:\n  cases/a.toml:3:1: …"
//!         return;
//!     }
//! };
//! for loaded in &package.cases {
//!     println!("{} {} {}", loaded.case.id, loaded.case.operation.as_str(), loaded.case.title);
//! }
//! ```
//!
//! The format is documented in `docs/package-format.md`.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod load;
pub mod model;

pub use load::{
    CardKind, CardProfiles, LoadedCase, Package, PackageErrors, Problem, UncheckedCards, load,
    load_checking, parse_cases, parse_manifest,
};
pub use model::{
    Auth, Case, Expect, ExpectAttempt, ExpectFault, ExpectIns, ExpectRefusal, ExpectTraits, Input,
    Manifest, Operation, RefusedField, Strategy, Verdict,
};
