//! Exclusive c14n and enveloped XML-DSig (placeholder, being written).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
