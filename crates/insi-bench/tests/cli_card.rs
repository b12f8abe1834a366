//! `insi-bench card …` through the real binary, a private pcscd and emulated cards in vpcd.

use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use card_emu::Profile;
use card_emu::harness::{Session, acquire_or_skip};
use serde_json::Value;

fn cards() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards")
}

/// Runs the binary against the session's pcscd.
fn run(s: &Session, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("insi-bench")
        .expect("binary")
        .env("PCSCLITE_CSOCK_NAME", s.socket())
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(s: &Session, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(s, &all);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{stdout:?}: {e}"))
}

/// `card emulate` as a child process, killed (by its pid) when dropped, even on test failure.
struct Emulator(Child);

impl Emulator {
    fn start(s: &Session, profile: &str) -> Self {
        let bin = assert_cmd::cargo::cargo_bin("insi-bench");
        let child = Process::new(bin)
            .args(["card", "emulate", "--profile"])
            .arg(cards().join(profile))
            .args(["--port", &s.port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn card emulate");
        let me = Self(child);
        s.context()
            .unwrap()
            .wait_for_card(s.reader(), Duration::from_secs(20))
            .unwrap();
        me
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn list_and_info_of_an_emulated_cps3() {
    let Some(s) = acquire_or_skip("list_and_info_of_an_emulated_cps3") else {
        return;
    };
    let started = Instant::now();
    let _emulator = Emulator::start(&s, "cps3-demo.toml");

    let list = json(&s, &["card", "list"]);
    let readers = list.as_array().unwrap();
    assert_eq!(readers.len(), card_emu::harness::SLOTS, "{list}");
    let mine = readers.iter().find(|r| r["reader"] == s.reader()).unwrap();
    assert_eq!(mine["card_present"], true);
    assert_eq!(mine["card_type"], "CPS3 (CPx)");
    assert_eq!(
        mine["atr"],
        "3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00"
    );
    assert!(
        readers
            .iter()
            .filter(|r| r["reader"] != s.reader())
            .all(|r| r["card_present"] == false)
    );

    let info = json(&s, &["card", "info"]);
    assert_eq!(info["reader"], s.reader());
    assert_eq!(info["serial"], "2900995235");
    assert_eq!(info["model"], "Cps3");
    assert_eq!(info["pin"]["tries_left"], 3);
    assert_eq!(info["pin"]["max_tries"], 3);
    let certs = info["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2);
    let sign = certs.iter().find(|c| c["role"] == "signature").unwrap();
    assert_eq!(sign["card_type"], "CPS");
    assert!(
        sign["issuer"]
            .as_str()
            .unwrap()
            .contains("TEST AC INSI-BENCH CPX")
    );
    assert!(sign["subject"].as_str().unwrap().contains("899700123456"));

    let (code, text, _) = run(&s, &["card", "info", "--reader", s.reader()]);
    assert_eq!(code, 0);
    assert!(text.contains("serial number: 2900995235"), "{text}");
    assert!(text.contains("PIN tries:     3 of 3"), "{text}");
    assert!(
        text.contains("PS identity:   NameID 899700123456 (NameQualifier CPS)"),
        "{text}"
    );
    let (_, text, _) = run(&s, &["card", "list"]);
    assert!(
        text.contains(&format!("{}: CPS3 (CPx)", s.reader())),
        "{text}"
    );
    eprintln!("pcscd tier, card list + card info: {:?}", started.elapsed());
}

#[test]
fn vitale_and_unknown_cards() {
    let Some(s) = acquire_or_skip("vitale_and_unknown_cards") else {
        return;
    };
    let vitale = Profile::load(cards().join("vitale2-famille.toml"))
        .unwrap()
        .build()
        .unwrap();
    let inserted = s.insert(vitale).unwrap();
    let people = json(&s, &["card", "vitale"]);
    assert_eq!(people.as_array().unwrap().len(), 3);
    assert_eq!(people[0]["prenom"], "CLÉMENCE");
    assert_eq!(people[2]["nom"], "MARTIN-NGUYÊN");
    assert_eq!(people[0]["qualite"], Value::Null);
    let (code, _, err) = run(&s, &["card", "info"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no CPx card found") && err.contains("Vitale 2"),
        "{err}"
    );
    s.eject(inserted).unwrap();

    let unknown = Profile::load(cards().join("unknown.toml"))
        .unwrap()
        .build()
        .unwrap();
    let _inserted = s.insert(unknown).unwrap();
    let (code, _, err) = run(&s, &["card", "info", "--reader", s.reader()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a CPx (ATR 3B 67 00 00 2D 20 16 01 78 90 00)"),
        "{err}"
    );
}

#[test]
fn no_pcscd_is_a_clear_error() {
    let out = Command::cargo_bin("insi-bench")
        .unwrap()
        .env("PCSCLITE_CSOCK_NAME", "/nonexistent/insi-bench/pcscd.comm")
        .args(["card", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pcscd) is not running"), "{err}");
}
