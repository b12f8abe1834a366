//! `package check`: the public package is sound; broken packages get located errors.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check(dir: &Path) -> (i32, Value) {
    let out = Command::cargo_bin("insi-bench")
        .expect("binary")
        .args(["--json", "package", "check"])
        .arg(dir)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{stdout:?}: {e}"));
    (out.status.code().unwrap_or(-1), json)
}

/// A copy of a minimal sound package, to break one file at a time.
fn package(case_file: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("cases")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("responses")).expect("mkdir");
    std::fs::write(
        dir.path().join("package.toml"),
        "format = 1\nname = \"t\"\nversion = \"1\"\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("responses/r.xml"), "<x/>").expect("write");
    std::fs::write(dir.path().join("cases/a.toml"), case_file).expect("write");
    dir
}

const SOUND: &str = r#"[[case]]
id = "c1"
title = "t"
operation = "search-traits"
inject = "responses/r.xml"

[case.input]
nom = "ADRUN"
prenoms = "ZOE"
sexe = "F"
naissance = "1975-12-31"

[case.expect]
cr = "00"
ins = { matricule = "2751263220749", cle = "74" }
"#;

fn problems(v: &Value) -> Vec<(String, Option<u64>, Option<u64>, String)> {
    v["problems"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p["file"].as_str().unwrap_or_default().to_owned(),
                        p["line"].as_u64(),
                        p["column"].as_u64(),
                        p["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_public_package_is_sound() {
    let (code, v) = check(&workspace_root().join("testdata/packages/cnda-public"));
    assert_eq!(code, 0, "{v}");
    let ids: Vec<&str> = v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    for id in [
        "1.10",
        "2.03-cas1",
        "2.03-cas2",
        "2.03-cas3",
        "2.04-cas1",
        "2.04-cas2",
        "2.05",
        "2.06-cas1",
        "2.06-cas2",
        "2.07-cas1",
        "2.07-cas2",
        "2.08-cas1",
        "2.08-cas2",
        "3.05-cas3",
    ] {
        assert!(ids.contains(&id), "missing CNDA case {id}");
    }
}

#[test]
fn a_sound_minimal_package_passes() {
    let dir = package(SOUND);
    let (code, v) = check(dir.path());
    assert_eq!(code, 0, "{v}");
}

#[test]
fn unknown_key_is_located() {
    // `prenom` instead of `prenoms`, on line 9.
    let dir = package(&SOUND.replace("prenoms = ", "prenom = "));
    let (code, v) = check(dir.path());
    assert_eq!(code, 2);
    let p = problems(&v);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].0.as_str(), p[0].1, p[0].2),
        ("cases/a.toml", Some(9), Some(1)),
        "{p:?}"
    );
    assert!(p[0].3.contains("unknown field `prenom`"), "{p:?}");
}

#[test]
fn typo_in_a_value_is_located() {
    let dir = package(&SOUND.replace("\"search-traits\"", "\"search-trait\""));
    let (code, v) = check(dir.path());
    assert_eq!(code, 2);
    let p = problems(&v);
    assert_eq!((p[0].1, p[0].2), (Some(4), Some(13)), "{p:?}");
    assert!(p[0].3.contains("search-trait"), "{p:?}");
}

#[test]
fn bad_dates_are_located() {
    // Unquoted: a TOML date that does not exist.
    let dir = package(&SOUND.replace("\"1975-12-31\"", "1975-02-30"));
    let (code, v) = check(dir.path());
    assert_eq!(code, 2);
    assert_eq!(problems(&v)[0].1, Some(11), "{v}");

    // Quoted in an expectation: the expectation is checked.
    let broken = format!("{SOUND}traits = {{ date_naissance = \"1975-13-01\" }}\n");
    let dir = package(&broken);
    let (code, v) = check(dir.path());
    assert_eq!(code, 2);
    let p = problems(&v);
    assert_eq!((p[0].1, p[0].2), (Some(16), Some(29)), "{p:?}");
    assert!(p[0].3.contains("1975-13-01"), "{p:?}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let broken = SOUND
        .replace(
            "inject = \"responses/r.xml\"",
            "inject = \"responses/missing.xml\"",
        )
        .replace("cle = \"74\"", "cle = \"7\"")
        + SOUND;
    let dir = package(&broken);
    let (code, v) = check(dir.path());
    assert_eq!(code, 2);
    let messages: Vec<String> = problems(&v).into_iter().map(|p| p.3).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("missing.xml") && m.contains("does not exist"))
    );
    assert!(messages.iter().any(|m| m.contains("not two digits")));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("already used at cases/a.toml:1")),
        "{messages:?}"
    );
}

#[test]
fn paths_may_not_leave_the_package() {
    let dir = package(&SOUND.replace("responses/r.xml", "../../etc/passwd"));
    let (code, v) = check(dir.path());
    assert_eq!(code, 2);
    assert!(
        problems(&v)[0].3.contains("relative path under responses/"),
        "{v}"
    );
}

#[test]
fn newer_format_is_refused_clearly() {
    let dir = package(SOUND);
    std::fs::write(
        dir.path().join("package.toml"),
        "format = 2\nname = \"t\"\nversion = \"1\"\nnew_key = true\n",
    )
    .expect("write");
    let (code, v) = check(dir.path());
    assert_eq!(code, 2);
    let p = problems(&v);
    assert_eq!(p.len(), 1);
    assert!(
        p[0].3.contains("format 2") && p[0].3.contains("upgrade insi-bench"),
        "{p:?}"
    );
}

#[test]
fn not_a_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, v) = check(dir.path());
    assert_eq!(code, 2);
    assert!(problems(&v)[0].3.contains("no package.toml"), "{v}");
}

#[test]
fn card_fields_are_checked_with_their_profiles() {
    let cases = r#"[[case]]
id = "v0"
title = "t"
operation = "search-vitale"

[case.input]
card = "cards/cps3.toml"
beneficiaire = 0

[case.expect]
cr = "00"

[[case]]
id = "x1"
title = "t"
operation = "search-traits"
auth = "cpx"

[case.input]
nom = "ADRUN"
prenoms = "ZOE"
sexe = "F"
naissance = "1975-12-31"
cpx_card = "cards/vitale.toml"
beneficiaire = 2

[case.expect]
cr = "00"
"#;
    let dir = package(cases);
    let cards = dir.path().join("cards");
    std::fs::create_dir_all(&cards).expect("mkdir");
    let shipped = workspace_root().join("testdata/cards");
    std::fs::copy(
        shipped.join("vitale2-famille.toml"),
        cards.join("vitale.toml"),
    )
    .expect("copy");
    std::fs::copy(shipped.join("cps3-demo.toml"), cards.join("cps3.toml")).expect("copy");
    let (code, v) = check(dir.path());
    assert_eq!(code, 2, "{v}");
    let messages: Vec<String> = problems(&v).into_iter().map(|p| p.3).collect();
    let has = |needle: &str| messages.iter().any(|m| m.contains(needle));
    assert!(
        has("cards/cps3.toml is a Cps3 card; this field takes a Vitale2 card"),
        "{messages:?}"
    );
    assert!(
        has("cards/vitale.toml is a Vitale2 card; this field takes a Cps3 card"),
        "{messages:?}"
    );
    assert!(has("is 1-based"), "{messages:?}");
    assert!(has("are for search-vitale"), "{messages:?}");
}
