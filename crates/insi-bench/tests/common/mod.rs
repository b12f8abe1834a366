//! Helpers shared by the CLI tests (each test file that uses them declares `mod common;`).

#![allow(dead_code)] // each test binary uses its own part of these helpers

pub mod fs;
pub mod sim;
pub mod terminal;

use std::path::{Path, PathBuf};

/// The trait flags of ADRUN ZOE, a public test persona of the qualification service
/// (INSI-PROTOCOL.md §5.3): `00` from the simulator, refused by the production guard.
pub const ADRUN_ZOE: [&str; 8] = [
    "--nom",
    "ADRUN",
    "--prenoms",
    "ZOE",
    "--sexe",
    "F",
    "--naissance",
    "1975-12-31",
];

/// The workspace root: where the committed test PKI, packages and samples are found.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the committed test PKI (`testdata/pki/NAME`), as a string argument.
pub fn pki(name: &str) -> String {
    workspace()
        .join("testdata/pki")
        .join(name)
        .display()
        .to_string()
}
