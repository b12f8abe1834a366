//! File targets: what a user, a colleague or an earlier run hands to insi-bench — test packages,
//! personas, card profiles, configuration, certificate files, result and journal JSON.

use std::path::Path;

use insi_client::config::Layer;
use insi_client::{CertificateFile, Password};
use insi_history::{RunSnapshot, Snapshot, Thresholds};
use insi_load::report::LoadReport;
use insi_package::{Problem, UncheckedCards};

use crate::text;

/// Where the file targets pretend their files live: nothing exists there, so the checks that
/// look for referenced files answer "does not exist" without touching real files.
const NOWHERE: &str = "/nonexistent/insi-fuzz";

/// A problem's location is inside the text it names.
fn located_inside(p: &Problem, text: &str) {
    let lines = text.split('\n').count();
    if let Some(line) = p.line {
        assert!(
            (1..=lines).contains(&line),
            "problem at line {line} of a {lines}-line file: {p}"
        );
    }
    assert!(!p.message.is_empty(), "a problem without a message");
    let _ = p.to_string();
}

/// The package loader on in-memory text: as `package.toml` (format check, strict parsing) and
/// as a case file (strict parsing, per-case checks, referenced files). Never panics; every
/// problem is located inside the text.
pub fn package_toml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Err(p) = insi_package::parse_manifest(text) {
        located_inside(&p, text);
    }
    let mut problems = Vec::new();
    let cases = insi_package::parse_cases(
        Path::new(NOWHERE),
        Path::new("cases/fuzz.toml"),
        text,
        &mut UncheckedCards,
        &mut problems,
    );
    for p in &problems {
        located_inside(p, text);
    }
    for c in &cases {
        assert!(c.line >= 1, "case '{}' at line 0", c.case.id);
    }
}

/// `Personas::parse` (the simulator's identities) never panics.
pub fn personas_toml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Err(e) = insi_sim::personas::Personas::parse(text) {
        let _ = e.to_string();
    }
}

/// `Profile::parse` (a card profile) never panics; a profile that needs no key files (Vitale,
/// unknown) builds a card that answers a SELECT and a READ BINARY.
pub fn card_profile_toml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let profile = match card_emu::Profile::parse(text, format!("{NOWHERE}/cards/fuzz.toml")) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    if profile.file.kind == card_emu::profile::Kind::Cps3 {
        // Building reads the key files it names, anywhere: not something to fuzz.
        return;
    }
    let mut card = match profile.build() {
        Ok(c) => card_emu::MemoryTransport::new(c),
        Err(e) => panic!(
            "a checked {} profile does not build: {e}",
            profile.file.kind.as_str()
        ),
    };
    let select = apdu::Command::new(0x00, 0xA4, 0x00, 0x00).with_data([0x3F, 0x00]);
    let _ = apdu::transceive(&mut card, &select);
    let _ = apdu::read_binary_sfi(&mut card, 2, 8192);
}

/// The configuration file: `Layer::from_toml`, then `merge` and `resolve` (the checks of the
/// merged settings) never panic.
pub fn config_toml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(layer) = Layer::from_toml(text) else {
        return;
    };
    let merged = Layer::default().merge(layer.clone());
    let _ = layer.resolve();
    let _ = merged.resolve();
}

/// `CertificateFile::parse` (PEM, DER or PKCS#12 given with `--cert`, `--p12`, `--ca`) never
/// panics, without a password and with the test PKI's; what parses becomes an identity or a
/// clear error.
pub fn pkcs12(data: &[u8]) {
    let password = Password::new("insi-bench".to_owned());
    for pw in [None, Some(&password)] {
        if let Ok(file) = CertificateFile::parse(data, "fuzz", pw) {
            let _ = file.into_identity("fuzz", None);
        }
    }
}

/// Result and journal JSON: `LoadReport::parse` (what `merge` and `compare` read) with its
/// histograms and a JSON round trip; `hdr::read_log` (an HdrHistogram interval log); a run
/// report, a history snapshot, a journal header and case line (what `compare` and
/// `--resume` read), each compared with itself. Never panics.
pub fn result_json(data: &[u8]) {
    let _ = insi_load::hdr::read_log(data).map(|intervals| insi_load::hdr::total(&intervals));
    let Some(text) = text(data) else { return };
    if let Ok(report) = LoadReport::parse(text, "fuzz") {
        let _ = report.latency_histogram();
        for i in &report.intervals {
            let _ = insi_load::report::decode_histogram(&i.histogram);
        }
        match serde_json::to_string(&report) {
            Ok(json) => match LoadReport::parse(&json, "again") {
                Ok(again) => assert_eq!(again, report, "load result JSON round trip"),
                Err(e) => panic!("a load result written back does not parse: {e}\n{json}"),
            },
            Err(e) => panic!("a parsed load result does not serialise: {e}"),
        }
        let merged = insi_load::report::merge(&[report.clone(), report], &[], None);
        let _ = merged.map(|m| m.wrong_answers());
    }
    let thresholds = Thresholds::default();
    if let Ok(run) = serde_json::from_str::<insi_runner::Run>(text) {
        let s = Snapshot::Run(RunSnapshot::of(&run));
        let _ = insi_history::compare(&s, &s, &thresholds);
    }
    if let Ok(s) = serde_json::from_str::<Snapshot>(text) {
        let _ = insi_history::compare(&s, &s, &thresholds);
    }
    let _ = serde_json::from_str::<insi_runner::Header>(text);
    let _ = serde_json::from_str::<insi_runner::CaseResult>(text);
}
