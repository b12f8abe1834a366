//! The fuzz targets of insi-bench, as plain functions: one per parser of untrusted bytes.
//!
//! Each target is a `fn(&[u8])` that feeds the bytes to one parser and checks its property:
//! it never panics, never hangs, and, where it is cheap to state, a round trip holds (a decoded
//! RESULTAT re-encoded decodes to the same value, exclusive c14n is idempotent, a BER-TLV tree
//! re-encoded parses to the same tree). A broken property is a panic, which is what a fuzzer
//! reports. [`TARGETS`] lists them all by name.
//!
//! Two drivers run the same functions:
//! - `fuzz/fuzz_targets/NAME.rs` (cargo-fuzz, nightly): one line calling [`TARGETS`]' function;
//! - `tests/corpora.rs` (stable, part of `cargo nextest run --workspace`): replays every file of
//!   `fuzz/corpus/NAME/` and `fuzz/regressions/NAME/` through it, and fails when a target has no
//!   corpus. So a crash found once is replayed by CI forever, without nightly.
//!
//! Modules: [`soap`] (responses, requests, assertions, c14n), [`envelope`] (the structure-aware
//! SOAP envelope generator), [`card`] (APDUs, BER-TLV, vpcd, PKCS#15, Vitale, hostile cards
//! through [`script::ScriptedCard`]), [`files`] (TOML, PKCS#12, result JSON).
//!
//! ```
//! // Any bytes: a target returns normally or panics with what property broke.
//! insi_fuzz::run("ber_tlv", &[0x70, 0x03, 0x80, 0x01, 0x41]);
//! assert!(insi_fuzz::TARGETS.iter().any(|(name, _)| *name == "decode_response"));
//! ```
//!
//! How to fuzz, and what each target checks: `docs/fuzzing.md`.

// Library code never unwraps input-derived data; the targets assert their properties on purpose.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod card;
pub mod envelope;
pub mod files;
pub mod script;
pub mod soap;

/// A fuzz target: feeds the bytes to a parser, panics when a property breaks.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/NAME.rs` and `fuzz/corpus/NAME/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("decode_response", soap::decode_response),
    (
        "decode_response_structured",
        soap::decode_response_structured,
    ),
    ("decode_request", soap::decode_request),
    ("verify_assertion", soap::verify_assertion),
    ("c14n", soap::c14n),
    ("apdu_response", card::apdu_response),
    ("apdu_command", card::apdu_command),
    ("ber_tlv", card::ber_tlv),
    ("vpcd_framing", card::vpcd_framing),
    ("pkcs15", card::pkcs15),
    ("vitale_records", card::vitale_records),
    ("card_host", card::card_host),
    ("package_toml", files::package_toml),
    ("personas_toml", files::personas_toml),
    ("card_profile_toml", files::card_profile_toml),
    ("config_toml", files::config_toml),
    ("pkcs12", files::pkcs12),
    ("result_json", files::result_json),
];

/// Runs the target `name` on `data`.
///
/// # Panics
/// When `name` is not in [`TARGETS`], or when the target's property breaks.
pub fn run(name: &str, data: &[u8]) {
    match TARGETS.iter().find(|(n, _)| *n == name) {
        Some((_, target)) => target(data),
        None => panic!("no fuzz target named {name}: see insi_fuzz::TARGETS"),
    }
}

/// The text of a target's input when it is UTF-8 (text parsers take `&str`).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}
