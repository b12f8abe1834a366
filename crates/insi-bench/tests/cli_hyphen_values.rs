//! Trait values that start with `-` (`--nom -DUPONT`) are values, not flags: they reach the
//! validator and get its refusal, for every command that takes traits.

use std::path::Path;

use assert_cmd::Command;

/// Runs the binary with a clean configuration environment (no user file, no INSI_BENCH_*).
fn run(args: &[&str], home: &Path) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("insi-bench").expect("binary");
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home);
    for (key, _) in std::env::vars() {
        if key.starts_with("INSI_BENCH_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn normalize_refuses_a_leading_hyphen_with_exit_1() {
    let home = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--nom", "-DUPONT"),
        ("--prenoms", "-JEAN"),
        ("--nom", "--"),
    ] {
        let (code, stdout, stderr) = run(&["normalize", flag, value], home.path());
        assert_eq!(code, 1, "{flag} {value}: {stdout} {stderr}");
        assert!(
            stdout.starts_with("refused: "),
            "{flag} {value}: {stdout} {stderr}"
        );
        assert!(stderr.is_empty(), "{stderr}");
    }
    let (code, stdout, _) = run(&["--json", "normalize", "--nom", "-DUPONT"], home.path());
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["input"], "-DUPONT");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("starts with a hyphen"),
        "{v}"
    );
    // The `=` form was already a value; both give the same answer.
    let spaced = run(&["normalize", "--nom", "-DUPONT"], home.path());
    let joined = run(&["normalize", "--nom=-DUPONT"], home.path());
    assert_eq!(spaced, joined);
}

/// `search traits` and `verify` refuse traits before sending anything (their exit code for a
/// refusal is 2, `crates/insi-bench/src/cmd/search.rs`), whatever the value starts with.
#[test]
fn search_and_verify_take_hyphen_values_to_the_validator() {
    let home = tempfile::tempdir().unwrap();
    let traits = |nom: &'static str,
                  prenoms: &'static str,
                  sexe: &'static str,
                  date: &'static str,
                  lieu: &'static str| {
        vec![
            "--nom",
            nom,
            "--prenoms",
            prenoms,
            "--sexe",
            sexe,
            "--naissance",
            date,
            "--lieu",
            lieu,
        ]
    };
    let cases = [
        (
            traits("-DUPONT", "JEAN", "M", "1990-01-01", "63220"),
            "hyphen",
        ),
        (
            traits("DUPONT", "-JEAN", "M", "1990-01-01", "63220"),
            "hyphen",
        ),
        (
            traits("DUPONT", "JEAN", "-M", "1990-01-01", "63220"),
            "M or F",
        ),
        (
            traits("DUPONT", "JEAN", "M", "-1990-01-01", "63220"),
            "-1990-01-01",
        ),
        (
            traits("DUPONT", "JEAN", "M", "1990-01-01", "-63220"),
            "-63220",
        ),
    ];
    for (t, why) in &cases {
        let mut search = vec!["search", "traits"];
        search.extend(t);
        let (code, stdout, stderr) = run(&search, home.path());
        assert_eq!(code, 2, "{t:?}: {stdout} {stderr}");
        assert!(stderr.contains("nothing was sent"), "{t:?}: {stderr}");
        assert!(stderr.contains(why), "{t:?}: {stderr}");
        assert!(!stderr.contains("unexpected argument"), "{stderr}");

        let mut verify = vec![
            "verify",
            "--matricule",
            "2751263220749",
            "--cle",
            "74",
            "--oid",
            "1.2.250.1.213.1.4.8",
        ];
        verify.extend(t);
        let (code, stdout, stderr) = run(&verify, home.path());
        assert_eq!(code, 2, "{t:?}: {stdout} {stderr}");
        assert!(stderr.contains("nothing was sent"), "{t:?}: {stderr}");
    }
    // verify's own values too: a matricule starting with '-' is the validator's to refuse.
    let mut verify = vec![
        "verify",
        "--matricule",
        "-2751263220749",
        "--oid",
        "1.2.250.1.213.1.4.8",
    ];
    verify.extend(traits("ADRUN", "ZOE", "F", "1975-12-31", "63220"));
    let (code, _, stderr) = run(&verify, home.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("matricule refused"), "{stderr}");
}
