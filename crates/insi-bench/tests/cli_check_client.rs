//! `insi-bench check-client` through the real binary: the simulator serves on loopback, a
//! `--drive` command plays the software under test once per case, and its requests are judged.
//! Two "softwares": insi-bench's own CLI (testdata/check-client/insi-bench-driver.sh), which
//! must pass, and a deliberately wrong curl client (wrong-client.sh), which must fail with
//! precise messages.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `check-client` on the public package, every port ephemeral, reports in `dir`.
fn check_client(dir: &Path, drive: &str, extra: &[&str]) -> (Option<i32>, String, Value) {
    let root = repo();
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("home");
    let out = Command::cargo_bin("insi-bench")
        .expect("binary")
        .arg("check-client")
        .arg(root.join("testdata/packages/cnda-public"))
        .args(["--listen", "127.0.0.1:0", "--listen-cpx", "127.0.0.1:0"])
        .arg("--pki")
        .arg(root.join("testdata/pki"))
        .arg("--cpx-ca")
        .arg(root.join("testdata/cards/cpx-ca.pem"))
        .arg("--cpx-ca")
        .arg(root.join("testdata/pki/cpx-ca.pem"))
        .args(["--drive", drive])
        .arg("--report-dir")
        .arg(dir)
        .args(extra)
        .args(if extra.contains(&"--case-timeout") {
            &[][..]
        } else {
            &["--case-timeout", "60"][..]
        })
        // The driver's own CLI reads no user configuration.
        .env("HOME", &home)
        .env_remove("INSI_BENCH_CONFIG")
        .env("INSI_BENCH_BIN", assert_cmd::cargo::cargo_bin("insi-bench"))
        .output()
        .expect("check-client");
    let stdout = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(dir.join("report.json"))
        .map(|t| serde_json::from_str(&t).expect("json"))
        .unwrap_or(Value::Null);
    (out.status.code(), stdout, report)
}

fn driver(name: &str) -> String {
    repo()
        .join("testdata/check-client")
        .join(name)
        .display()
        .to_string()
}

fn case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

fn messages(case: &Value) -> Vec<String> {
    case["mismatches"]
        .as_array()
        .expect("mismatches")
        .iter()
        .map(|m| {
            format!(
                "{}: expected {}, got {}",
                m["field"].as_str().unwrap_or(""),
                m["expected"].as_str().unwrap_or(""),
                m["actual"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn our_own_cli_as_the_software_passes_the_public_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, report) = check_client(dir.path(), &driver("insi-bench-driver.sh"), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("mTLS URL        https://127.0.0.1:"), "{out}");
    assert!(out.contains("password insi-bench"), "{out}");
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 30);
    // wrong-cn.p12 exists once the RSA test PKI lands; before that the case is a skip.
    let has_wrong_cn = repo().join("testdata/pki/wrong-cn.p12").is_file();
    for c in cases {
        let id = c["id"].as_str().unwrap_or_default();
        let want = if id.starts_with("vitale-") || (id == "auth-desir-560" && !has_wrong_cn) {
            "skip"
        } else {
            "pass"
        };
        assert_eq!(c["status"], want, "{id}: {:?}\n{out}", messages(c));
    }
    // The calls judged are the client's: the TCHITCHI loop as sent, with raw evidence.
    let tchitchi = case(&report, "2.07-cas1");
    let attempts = tchitchi["outcome"]["attempts"]
        .as_array()
        .expect("attempts");
    let prenoms: Vec<&str> = attempts
        .iter()
        .map(|a| a["prenom"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(prenoms, ["OLA", "CATARINA"]);
    assert!(
        attempts[0]["request"]
            .as_str()
            .unwrap_or("")
            .contains("<ins:Prenom>OLA</ins:Prenom>")
    );
    // What cannot be seen is said: checklist lines for the human.
    let warnings = case(&report, "2.04-cas2")["outcome"]["warnings"].to_string();
    assert!(
        warnings.contains("check by hand: the software keeps the 2 INSHISTO entries"),
        "{warnings}"
    );
    // A case's own checklist line (package format: `checklist`) comes first.
    let warnings = case(&report, "2.08-cas2")["outcome"]["warnings"].to_string();
    assert!(
        warnings
            .contains("check by hand: the software flags the key 10 of the INSHISTO 2810363220456"),
        "{warnings}"
    );
    // Injection is per case: 2.04-cas1 (live) and 1.10 (injected) share the identity.
    assert_eq!(
        case(&report, "1.10")["outcome"]["ins"]["oid"],
        "1.2.250.1.213.1.4.9"
    );
    assert_eq!(
        case(&report, "2.04-cas1")["outcome"]["ins"]["oid"],
        "1.2.250.1.213.1.4.8"
    );
    for file in ["junit.xml", "report.html"] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
}

#[test]
fn a_wrong_client_fails_with_precise_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, report) = check_client(
        dir.path(),
        &driver("wrong-client.sh"),
        &[
            "--only",
            "2.07-cas1,2.07-cas2,refus-chiffre,erreur-insi-102",
        ],
    );
    assert_eq!(code, Some(1), "{out}");
    for c in report["cases"].as_array().expect("cases") {
        assert_eq!(c["status"], "fail", "{}", c["id"]);
    }
    let expect = |id: &str, wanted: &[&str]| {
        let got = messages(case(&report, id));
        for w in wanted {
            assert!(got.iter().any(|m| m == w), "{id}: no {w:?} in {got:#?}");
        }
    };
    expect(
        "2.07-cas1",
        &[
            "call 1: Prenom: expected 'OLA' (the first-name loop: each prénom alone, in order, until CR 00), got 'ola catarina bella'",
            "call 1: NomNaissance: expected 'TCHITCHI' (normalised as INSi requires: upper case, no diacritics (§6.1)), got 'tchitchi'",
            "call 2: expected Prenom 'CATARINA' (the first-name loop: each prénom alone, in order, until CR 00), got no call after CR 01",
            "call 1: ContexteLPS/Emetteur: expected 'TESTBENCH01' (the certificate OU), got (absent)",
        ],
    );
    expect(
        "2.07-cas2",
        &[
            "call 1: wsa:MessageID: expected a fresh MessageID for every request, got 'uuid:0e2f6f5c-1b1a-4c2e-9d51-000000000001' again (first sent in case 2.07-cas1, call 1)",
            "call 1: Prenom: expected 'PIERRE' (the first-name loop: each prénom alone, in order, until CR 00), got 'pierre paul jacques'",
        ],
    );
    expect(
        "refus-chiffre",
        &[
            "calls: expected input refused locally (field nom, character '2' at position 7): no call at all, got 1 call(s) sent; INSi must never receive traits the software should have refused",
        ],
    );
    expect(
        "erreur-insi-102",
        &[
            "call 2: expected no call: the search was over after call 1 (insi_102: a business fault is final, never retried automatically), got another call (Prenom 'ariana')",
            "calls: expected 1, got 2",
        ],
    );
}

#[test]
fn a_driver_that_hangs_is_killed_and_one_that_cannot_is_a_skip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, report) = check_client(
        dir.path(),
        r#"[ "$INSI_CASE" = adrun-zoe ] && exec sleep 30; exit 77"#,
        &["--only", "adrun-zoe,2.05", "--case-timeout", "0.5"],
    );
    assert_eq!(code, Some(1), "{out}");
    let hung = case(&report, "adrun-zoe");
    assert_eq!(hung["status"], "fail");
    assert!(
        messages(hung).iter().any(|m| m == "driver: expected the software finishes the case within 0.5 s, got killed after 0.5 s"),
        "{:?}",
        messages(hung)
    );
    let cannot = case(&report, "2.05");
    assert_eq!(cannot["status"], "skip");
    assert!(
        cannot["reason"]
            .as_str()
            .unwrap_or("")
            .contains("exited 77")
    );
}

#[test]
fn without_a_terminal_it_asks_for_drive_and_it_serves_loopback_only() {
    let root = repo();
    let out = Command::cargo_bin("insi-bench")
        .expect("binary")
        .arg("check-client")
        .arg(root.join("testdata/packages/cnda-public"))
        .output()
        .expect("check-client");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--drive"));
    let out = Command::cargo_bin("insi-bench")
        .expect("binary")
        .arg("check-client")
        .arg(root.join("testdata/packages/cnda-public"))
        .args([
            "--listen",
            "0.0.0.0:0",
            "--drive",
            "true",
            "--only",
            "adrun-zoe",
        ])
        .arg("--pki")
        .arg(root.join("testdata/pki"))
        .output()
        .expect("check-client");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a loopback address"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Interactive: on a real pseudo-terminal the case is printed with what to enter and its
/// checklist; Enter ends it, `s` skips it.
fn on_a_terminal(only: &str, typed: &str) -> (i32, String, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = repo();
    let inner = format!(
        "{} check-client {} --listen 127.0.0.1:0 --pki {} --only {only} --report-dir {}",
        env!("CARGO_BIN_EXE_insi-bench"),
        root.join("testdata/packages/cnda-public").display(),
        root.join("testdata/pki").display(),
        dir.path().display()
    );
    let (code, text) = common::terminal::on_a_terminal(&inner, &[], "press Enter when", typed);
    let report = std::fs::read_to_string(dir.path().join("report.json"))
        .map(|t| serde_json::from_str(&t).expect("json"))
        .unwrap_or(Value::Null);
    (code, text, report)
}

#[test]
fn at_a_terminal_enter_ends_a_case_and_s_skips_it() {
    let (code, text, report) = on_a_terminal("refus-chiffre", "");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("in the software: search by traits: nom \"DUPONT2\""),
        "{text}"
    );
    assert!(
        text.contains("expect a local refusal: nothing may be sent"),
        "{text}"
    );
    assert!(
        text.contains("then check: the software refuses the input and names the field nom"),
        "{text}"
    );
    assert_eq!(case(&report, "refus-chiffre")["status"], "pass");

    let (code, text, report) = on_a_terminal("adrun-zoe", "s");
    assert_eq!(code, 0, "{text}");
    let skipped = case(&report, "adrun-zoe");
    assert_eq!(skipped["status"], "skip");
    assert_eq!(skipped["reason"], "skipped at the terminal");
}
