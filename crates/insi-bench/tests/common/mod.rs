//! Helpers shared by the CLI tests (each test file that uses them declares `mod common;`).

#![allow(dead_code)] // each test binary uses its own part of these helpers

pub mod fs;
pub mod sim;
pub mod terminal;
