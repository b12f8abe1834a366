//! `run --history`, `history` and `compare` through the real binary: two runs of the same build
//! compare quietly; a deliberately broken persona is flagged with the case and its mismatch;
//! result files compare without a history; a foreign history file is refused before any case.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::fs::copy_dir;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn insi_bench() -> Command {
    let mut cmd = Command::cargo_bin("insi-bench").expect("binary");
    cmd.current_dir(workspace());
    cmd
}

/// Runs the first-name-loop cases of `package` into `history`; returns the exit code.
fn run(package: &Path, reports: &Path, history: &Path, label: &str) -> i32 {
    let out = insi_bench()
        .args(["run", "--no-progress", "--only", "2.07-cas1,2.07-cas2,2.05"])
        .arg("--report-dir")
        .arg(reports)
        .arg("--history")
        .arg(history)
        .args(["--label", label])
        .arg(package)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("history: run #"), "{stdout}");
    out.status.code().unwrap_or(-1)
}

fn compare(args: &[&str]) -> (i32, String) {
    let out = insi_bench()
        .arg("compare")
        .args(args)
        .output()
        .expect("compare");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn compare_is_quiet_on_the_same_build_and_flags_a_broken_persona() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("history.sqlite");
    let public = workspace().join("testdata/packages/cnda-public");
    assert_eq!(run(&public, &dir.path().join("r1"), &history, "build-1"), 0);
    let h = history.to_str().expect("utf-8 path");
    let (code, text) = compare(&["--history", h]);
    assert_eq!(code, 0, "the first run has nothing to compare with: {text}");
    assert!(text.contains("nothing to compare #1 with"), "{text}");
    assert_eq!(run(&public, &dir.path().join("r2"), &history, "build-1"), 0);
    let (code, text) = compare(&["--history", h]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("compare #1 (base) → #2 (new)"), "{text}");
    assert!(text.contains("no regression"), "{text}");

    // The same package, but the simulator serves TCHITCHI under another (valid) matricule.
    let broken = dir.path().join("broken");
    copy_dir(&public, &broken);
    let personas =
        std::fs::read_to_string(workspace().join("testdata/personas.toml")).expect("personas");
    let personas = personas.replacen(
        "matricule = \"2360663220836\"\ncle = \"56\"",
        "matricule = \"2360663220837\"\ncle = \"55\"",
        1,
    );
    std::fs::write(broken.join("personas.toml"), personas).expect("write");
    assert_eq!(run(&broken, &dir.path().join("r3"), &history, "build-2"), 1);
    let (code, text) = compare(&["--history", h]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "REGRESSION  2.07-cas1: passed in the base, fails now: \
             ins.matricule: expected 2360663220836, got 2360663220837"
        ),
        "{text}"
    );
    assert!(text.contains("1 regression"), "{text}");

    // The same verdict from the two report files, without the history.
    let r1 = dir.path().join("r1/report.json");
    let r3 = dir.path().join("r3/report.json");
    let (code, text) = compare(&[
        r1.to_str().expect("utf-8"),
        r3.to_str().expect("utf-8"),
        "--history",
        "/nonexistent/history.sqlite",
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("2.07-cas1"), "{text}");

    // The listing, newest first, with labels.
    let out = insi_bench()
        .args(["--json", "history"])
        .arg(&history)
        .output()
        .expect("history");
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["label"], "build-2");
    assert_eq!(list[0]["ok"], false);
    assert_eq!(list[2]["summary"], "3 cases: 3 passed, 0 failed");
}

#[test]
fn a_foreign_history_file_is_refused_before_any_case_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("notes.txt");
    std::fs::write(
        &file,
        "my notes, not a database, please keep them\n".repeat(20),
    )
    .expect("w");
    let before = std::fs::read(&file).expect("read");
    let out = insi_bench()
        .args(["run", "--no-progress", "--report-dir"])
        .arg(dir.path().join("reports"))
        .arg("--history")
        .arg(&file)
        .arg("testdata/packages/cnda-public")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is not an insi-bench history file"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("reports/journal.jsonl").exists(),
        "no case ran"
    );
    assert_eq!(std::fs::read(&file).expect("read"), before);
    let (code, text) = compare(&["--history", "/nonexistent/h.sqlite"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("record runs with `insi-bench run --history"),
        "{text}"
    );
}
