//! `nir check` and `normalize` through the real binary.

use assert_cmd::Command;
use serde_json::{Value, json};

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("insi-bench")
        .expect("binary")
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn run_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, stdout) = run(&all);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{stdout:?}: {e}")),
    )
}

#[test]
fn nir_check_valid_and_invalid() {
    let (code, v) = run_json(&["nir", "check", "160012B020777", "13"]);
    assert_eq!(code, 0);
    assert_eq!(
        v,
        json!({"matricule":"160012B020777","key":"13","valid":true,"expected_key":"13"})
    );

    let (code, v) = run_json(&["nir", "check", "2810363220456", "10"]);
    assert_eq!(code, 1);
    assert_eq!(
        v,
        json!({"matricule":"2810363220456","key":"10","valid":false,"expected_key":"26"})
    );

    let (code, v) = run_json(&["nir", "check", "1 09 07 63 220 834 89"]);
    assert_eq!(code, 0);
    assert_eq!(v["key"], "89");

    let (code, v) = run_json(&["nir", "check", "1090763220834"]);
    assert_eq!(code, 0);
    assert_eq!(v["key"], Value::Null);
    assert_eq!(v["expected_key"], "89");

    let (code, v) = run_json(&["nir", "check", "10907632X0834"]);
    assert_eq!(code, 1);
    assert_eq!(v["valid"], false);
    assert!(
        v["error"]
            .as_str()
            .unwrap_or_default()
            .contains("position 9"),
        "{v}"
    );
}

#[test]
fn nir_check_usage_errors_exit_2() {
    assert_eq!(run(&["nir", "check"]).0, 2);
    assert_eq!(
        run(&["nir", "check", "109076322083489", "89"]).0,
        2,
        "key given twice"
    );
    assert_eq!(
        run(&["nir", "check", "1090763220834", "8"]).0,
        2,
        "one-digit key"
    );
}

#[test]
fn normalize_transliterates_and_refuses() {
    assert_eq!(
        run(&["normalize", "--nom", "D’ÆION"]),
        (0, "D'AEION\n".to_owned())
    );
    assert_eq!(
        run(&["normalize", "--prenoms", "CŒUR"]),
        (0, "COEUR\n".to_owned())
    );

    let (code, v) = run_json(&["normalize", "--nom", "D’ÆION"]);
    assert_eq!(
        (code, v),
        (0, json!({"input":"D’ÆION","normalized":"D'AEION"}))
    );

    let (code, v) = run_json(&["normalize", "--nom", "DUPONT2"]);
    assert_eq!(code, 1);
    assert_eq!(v["input"], "DUPONT2");
    assert_eq!(v["error"]["position"], 7);
    assert_eq!(v["error"]["char"], "2");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("'2'")
    );

    let (code, stdout) = run(&["normalize", "--prenoms", "JEAN--PIERRE"]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with("refused: "), "{stdout}");

    assert_eq!(run(&["normalize"]).0, 2, "neither --nom nor --prenoms");
    assert_eq!(
        run(&["normalize", "--nom", "A", "--prenoms", "B"]).0,
        2,
        "both"
    );
}
