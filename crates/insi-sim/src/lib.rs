//! INSi simulator (work in progress).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod fault;
pub mod identity;
pub mod personas;
pub mod pki;
pub mod population;
pub mod rng;
pub mod search;
pub mod store;
