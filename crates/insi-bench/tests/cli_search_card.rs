//! `insi-bench search traits --auth cpx --card` with an emulated CPS3 in the private pcscd's
//! vpcd reader: the PIN is typed at a real pseudo-terminal (`script`, util-linux), never echoed,
//! presented once; the card signs the PS assertion that the embedded simulator's CPx host checks.

mod common;

use std::path::PathBuf;

use card_emu::Profile;
use card_emu::harness::{Session, acquire_or_skip};
use serde_json::Value;

fn demo_card() -> card_emu::Card {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards/cps3-demo.toml");
    Profile::load(path).unwrap().build().unwrap()
}

/// Runs `args` on a pseudo-terminal with the session's pcscd, types `typed` once `prompt`
/// shows; returns (code, output).
fn on_a_terminal(s: &Session, args: &str, prompt: &str, typed: &str) -> (i32, String) {
    let inner = format!("{} {args}", env!("CARGO_BIN_EXE_insi-bench"));
    common::terminal::on_a_terminal(
        &inner,
        &[("PCSCLITE_CSOCK_NAME", s.socket().as_os_str())],
        prompt,
        typed,
    )
}

fn tries_left(s: &Session) -> u64 {
    let out = assert_cmd::Command::cargo_bin("insi-bench")
        .unwrap()
        .env("PCSCLITE_CSOCK_NAME", s.socket())
        .args(["--json", "card", "info", "--reader", s.reader()])
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    info["pin"]["tries_left"].as_u64().unwrap()
}

#[test]
fn search_with_the_cpx_card_in_a_reader() {
    let Some(s) = acquire_or_skip("search_with_the_cpx_card_in_a_reader") else {
        return;
    };
    let _card = s.insert(demo_card()).unwrap();
    let search = format!(
        "search traits --nom ADRUN --prenoms ZOE --sexe F --naissance 1975-12-31 \
         --strategy single --auth cpx --card --reader '{}'",
        s.reader()
    );

    // A wrong PIN: one try spent, the tries left said, nothing retried, nothing sent.
    let (code, text) = on_a_terminal(&s, &search, "PIN of the CPx card", "9999");
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("2 tries left"), "{text}");
    assert!(!text.contains("9999"), "the PIN was echoed: {text}");
    assert_eq!(tries_left(&s), 2);

    // The right PIN: the card signs, the simulator's CPx host accepts, 00.
    let (code, text) = on_a_terminal(&s, &search, "PIN of the CPx card", "1234");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2751263220749"), "{text}");
    assert!(!text.contains("1234\r"), "the PIN was echoed: {text}");
    assert_eq!(tries_left(&s), 3, "the right PIN restores the counter");
}

#[test]
fn search_for_a_beneficiary_of_the_vitale_card_in_a_reader() {
    let Some(s) = acquire_or_skip("search_for_a_beneficiary_of_the_vitale_card_in_a_reader") else {
        return;
    };
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards/vitale2-famille.toml");
    let _card = s
        .insert(Profile::load(path).unwrap().build().unwrap())
        .unwrap();
    let run = |n: &str| {
        assert_cmd::Command::cargo_bin("insi-bench")
            .unwrap()
            .env("PCSCLITE_CSOCK_NAME", s.socket())
            .args(["--json", "search", "vitale", "--beneficiaire", n])
            .args(["--vitale-reader", s.reader()])
            .output()
            .unwrap()
    };
    let out = run("3");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cr"], "00", "{v}");
    assert_eq!(v["ins"]["matricule"], "2150275123079");
    assert_eq!(v["traits"]["nom_naissance"], "MARTIN-NGUYEN");

    let out = run("4");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds 3 beneficiaries"), "{err}");
}
