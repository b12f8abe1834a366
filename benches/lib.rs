//! Criterion benchmarks for the workspace live in `benches/`; this library is empty.
//!
//! Run them with `cargo bench -p insi-bench-benches` (or `--bench NAME` for one file). Each bench
//! file measures a reference floor in the same run, so that figures can be read as ratios on a
//! noisy machine.
