//! Helpers shared by bench files and the benches' examples (not a bench target: Cargo
//! discovers only `benches/*.rs`).

// Each user takes what it needs.
#![allow(dead_code)]

pub mod fixed_sim;
pub mod raw_http;
