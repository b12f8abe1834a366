//! See `insi_fuzz::TARGETS` and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| insi_fuzz::run("vpcd_framing", data));
