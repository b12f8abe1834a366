//! Helpers shared by the CLI tests (each test file that uses them declares `mod common;`).

pub mod terminal;
