//! The runner when the disk fails it: a report that cannot be written (`/dev/full`), a report
//! directory that cannot be created, a journal on a file system that fills up mid-run (a tmpfs
//! of a few KiB), and a damaged history file. Each gives one clear error saying what is safe and
//! what to do, and nothing already recorded is lost: `--resume` finishes the run.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::fs::copy_dir;
use common::workspace;

const PACKAGE: &str = "testdata/packages/cnda-public";

fn run(args: &[&str], reports: &Path) -> Output {
    Command::cargo_bin("insi-bench")
        .expect("binary")
        .current_dir(workspace())
        .args(["run", "--no-progress", "--report-dir"])
        .arg(reports)
        .args(args)
        .arg(PACKAGE)
        .output()
        .expect("run")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The case lines of a journal (header excluded), each checked to be whole JSON.
fn journal_cases(reports: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(reports.join("journal.jsonl")).expect("journal");
    assert!(text.ends_with('\n'), "the journal ends with a torn line");
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().expect("header")).expect("header");
    assert_eq!(header["package"], "cnda-public");
    lines
        .map(|l| serde_json::from_str(l).expect("a whole journal line"))
        .collect()
}

fn ids(cases: &[Value]) -> Vec<String> {
    cases
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn a_report_on_a_full_disk_keeps_the_journal_and_resume_writes_it_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reports = dir.path().join("reports");
    let out = run(&["--junit", "/dev/full"], &reports);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("30 cases: 30 passed"),
        "summary still shown: {stdout}"
    );
    assert!(
        stderr.contains("cannot write /dev/full: No space left on device"),
        "{stderr}"
    );
    assert!(stderr.contains("--resume"), "says how to recover: {stderr}");
    assert_eq!(
        stderr.matches("No space left on device").count(),
        1,
        "the cause is said once: {stderr}"
    );
    // The other reports were still written, and the journal holds the whole run.
    assert!(reports.join("report.json").exists());
    assert!(reports.join("report.html").exists());
    assert_eq!(journal_cases(&reports).len(), 30);

    // `--resume` runs nothing and writes the report that was lost.
    let junit = dir.path().join("junit.xml");
    let out = run(&["--resume", "--junit", junit.to_str().unwrap()], &reports);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("30 cases were already recorded"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("tests=\"30\" failures=\"0\""), "{xml}");
    assert_eq!(journal_cases(&reports).len(), 30, "nothing recorded twice");
}

#[test]
fn a_report_directory_that_cannot_be_made_is_a_setup_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").expect("write");
    let out = run(&[], &file.join("reports"));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("cannot create the report directory") && stderr.contains("a-file"),
        "{stderr}"
    );
    assert!(!stdout.contains("PASS"), "no case ran: {stdout}");
}

/// A tmpfs of `kib` KiB at a new directory, unmounted on drop. `None` when this process may not
/// mount (not root, no mount namespace): the test says so, unless `INSI_BENCH_REQUIRE_TMPFS=1`
/// (set by `scripts/test` when it runs as root) makes that a failure.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(kib: u32) -> Option<(tempfile::TempDir, Tmpfs)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = dir.path().join("tiny");
        std::fs::create_dir(&at).expect("mkdir");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&at)
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => Some((dir, Tmpfs(at))),
            _ if std::env::var_os("INSI_BENCH_REQUIRE_TMPFS").is_some_and(|v| v == "1") => {
                panic!("INSI_BENCH_REQUIRE_TMPFS=1 but a tmpfs cannot be mounted here")
            }
            _ => {
                eprintln!("skipped: cannot mount a tmpfs here (needs root)");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_journal_on_a_disk_that_fills_up_mid_run_loses_nothing_and_resumes() {
    // 24 KiB holds the header and a few cases, not 30 (each carries its raw exchanges).
    let Some((_dir, tiny)) = Tmpfs::mount(24) else {
        return;
    };
    let reports = tiny.0.join("reports");
    let out = run(&[], &reports);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("cannot add a finished case to the journal")
            && stderr.contains("No space left on device")
            && stderr.contains("--resume"),
        "{stderr}"
    );
    let kept = journal_cases(&reports);
    assert!(
        !kept.is_empty() && kept.len() < 30,
        "{} cases kept",
        kept.len()
    );
    let said = format!("the {} cases recorded before are intact", kept.len());
    assert!(stderr.contains(&said), "{stderr}");

    // Moved to a disk with room, the run resumes: every case exactly once, the first ones kept.
    let roomy = tempfile::tempdir().expect("tempdir");
    let moved = roomy.path().join("reports");
    copy_dir(&reports, &moved);
    let out = run(&["--resume"], &moved);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let all = journal_cases(&moved);
    assert_eq!(all.len(), 30);
    assert_eq!(
        &all[..kept.len()],
        &kept[..],
        "recorded cases are kept as they were"
    );
    let mut unique = ids(&all);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 30, "no case recorded twice");
}

#[test]
fn a_damaged_history_file_is_refused_before_any_case_and_left_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("history.sqlite");
    let reports = dir.path().join("reports");
    let out = run(
        &["--only", "2.05", "--history", history.to_str().unwrap()],
        &reports,
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    // Damage every page after the first (the header stays, so it still looks like ours).
    let mut bytes = std::fs::read(&history).expect("read");
    assert!(bytes.len() > 4096, "{} bytes", bytes.len());
    for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
        *b = (i % 251) as u8;
    }
    std::fs::write(&history, &bytes).expect("write");

    let again = dir.path().join("again");
    let out = run(
        &["--only", "2.05", "--history", history.to_str().unwrap()],
        &again,
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(history.to_str().unwrap()),
        "names the file: {stderr}"
    );
    assert!(
        stderr.contains("damaged") || stderr.contains("malformed"),
        "says what is wrong: {stderr}"
    );
    assert!(!again.join("journal.jsonl").exists(), "no case ran");
    assert_eq!(
        std::fs::read(&history).expect("read"),
        bytes,
        "left as it was"
    );
}
