//! `insi-bench run` through the real binary, against the embedded simulator over real mTLS.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::fs::copy_dir;

fn public_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/packages/cnda-public")
}

fn insi_bench() -> Command {
    Command::cargo_bin("insi-bench").expect("binary")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("json")
}

/// (id, status) of every case in a JSON report, in report order.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_public_package_passes_and_writes_every_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = insi_bench()
        .args(["run", "--no-progress", "--report-dir"])
        .arg(dir.path())
        .arg(public_package())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("30 cases: 30 passed, 0 failed"), "{stdout}");

    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["summary"]["failed"], 0);
    assert_eq!(report["target"], "sim (embedded)");
    let tchitchi = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == "2.07-cas1")
        .expect("2.07-cas1");
    let attempts = tchitchi["outcome"]["attempts"]
        .as_array()
        .expect("attempts");
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts[0]["request"]
            .as_str()
            .unwrap_or_default()
            .contains("<ins:Prenom>OLA</ins:Prenom>")
    );
    assert!(
        attempts[1]["response"]
            .as_str()
            .unwrap_or_default()
            .contains("2360663220836")
    );

    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).expect("junit");
    assert!(junit.contains("tests=\"30\" failures=\"0\""), "{junit}");
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("html");
    assert!(
        html.contains("2.07-cas1")
            && html.contains("&lt;ins:Prenom&gt;CATARINA&lt;/ins:Prenom&gt;")
    );
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).expect("journal");
    assert_eq!(journal.lines().count(), 31, "header + one line per case");
}

#[test]
fn a_wrong_expectation_fails_with_expected_and_actual() {
    let package = tempfile::tempdir().expect("tempdir");
    copy_dir(&public_package(), package.path());
    let cases = package.path().join("cases/2-recherche.toml");
    let text = std::fs::read_to_string(&cases).expect("read");
    std::fs::write(&cases, text.replace("cle = \"56\"", "cle = \"57\"")).expect("write");
    let reports = tempfile::tempdir().expect("tempdir");
    let out = insi_bench()
        .args([
            "run",
            "--no-progress",
            "--only",
            "2.07-cas1,2.07-cas2",
            "--report-dir",
        ])
        .arg(reports.path())
        .arg(package.path())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("ins.cle: expected 57, got 56"), "{stdout}");
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).expect("junit");
    assert!(junit.contains("tests=\"2\" failures=\"1\""), "{junit}");
    assert!(junit.contains("ins.cle: expected 57, got 56"), "{junit}");
}

#[test]
fn setup_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let code = |args: &[&str]| {
        insi_bench()
            .args(["run", "--report-dir"])
            .arg(dir.path())
            .args(args)
            .arg(public_package())
            .output()
            .expect("run")
            .status
            .code()
    };
    assert_eq!(code(&["--only", "9.99"]), Some(2), "unknown case id");
    assert_eq!(
        code(&["--target", "prod-mtls"]),
        Some(2),
        "production refused"
    );
    assert_eq!(
        code(&["--target", "qualif-mtls", "--pki", "/nonexistent"]),
        Some(2),
        "no credentials"
    );
    assert_eq!(code(&["--resume"]), Some(2), "nothing to resume");
}

/// A remote target that does not answer is one setup error with its cause and advice (exit 2),
/// before any case runs and before a journal exists — not one failed case per case.
#[test]
fn an_unreachable_target_is_one_setup_error() {
    let reports = tempfile::tempdir().expect("tempdir");
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pki");
    let out = insi_bench()
        .args([
            "run",
            "--no-progress",
            "--target",
            "https://127.0.0.1:9/lps",
            "--pki",
        ])
        .arg(&pki)
        .arg("--report-dir")
        .arg(reports.path())
        .arg(public_package())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("cannot reach https://127.0.0.1:9/lps"),
        "{stderr}"
    );
    assert!(stderr.contains("advice:"), "{stderr}");
    assert_eq!(stderr.matches("cannot reach").count(), 1, "{stderr}");
    assert!(!stdout.contains("FAIL"), "no case ran: {stdout}");
    assert!(!reports.path().join("journal.jsonl").exists());
}

/// Kill -9 in the middle of a run, then --resume: the final report has every case exactly once,
/// with the same results as a run that was never interrupted.
#[test]
fn killed_run_resumes_without_loss_or_duplicates() {
    // Many cases, one at a time, so that the kill lands in the middle of the run.
    let package = tempfile::tempdir().expect("tempdir");
    copy_dir(&public_package(), package.path());
    let base =
        std::fs::read_to_string(package.path().join("cases/2-recherche.toml")).expect("read");
    for i in 0..12 {
        let renamed = base.replace("\nid = \"", &format!("\nid = \"r{i}-"));
        std::fs::write(
            package.path().join(format!("cases/9-repeat-{i:02}.toml")),
            renamed,
        )
        .expect("write");
    }
    let total = 30 + 12 * 14;

    let full = tempfile::tempdir().expect("tempdir");
    let status = insi_bench()
        .args(["run", "--no-progress", "--jobs", "1", "--report-dir"])
        .arg(full.path())
        .arg(package.path())
        .output()
        .expect("run")
        .status;
    assert_eq!(status.code(), Some(0));
    let expected = statuses(&read_json(&full.path().join("report.json")));
    assert_eq!(expected.len(), total);

    let killed = tempfile::tempdir().expect("tempdir");
    let journal = killed.path().join("journal.jsonl");
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("insi-bench"))
        .args(["run", "--no-progress", "--jobs", "1", "--report-dir"])
        .arg(killed.path())
        .arg(package.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lines = std::fs::read_to_string(&journal)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines > 10 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    let recorded = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .count()
        - 1;
    assert!(
        recorded < total,
        "the run finished before the kill ({recorded} cases): nothing tested"
    );

    let out = insi_bench()
        .args([
            "run",
            "--no-progress",
            "--jobs",
            "1",
            "--resume",
            "--report-dir",
        ])
        .arg(killed.path())
        .arg(package.path())
        .output()
        .expect("resume");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("(resumed: "), "{stdout}");
    let resumed = statuses(&read_json(&killed.path().join("report.json")));
    assert_eq!(
        resumed, expected,
        "same cases, same order, same results, none twice"
    );
}

/// `--target` pointing at a standalone `sim serve` (committed test PKI) gives the same outcome
/// as the embedded default.
#[test]
fn standalone_simulator_target_gives_the_same_outcome() {
    use std::io::{BufRead, BufReader};
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut server = StdCommand::new(assert_cmd::cargo::cargo_bin("insi-bench"))
        .current_dir(&workspace)
        .args([
            "--json",
            "sim",
            "serve",
            "--mode",
            "both",
            "--listen",
            "127.0.0.1:0",
            "--listen-cpx",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sim serve");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("banner");
    let _server = Kill(server);
    let banner: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let host = |mode: &str| -> String {
        banner["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .find(|u| u[1] == mode)
            .and_then(|u| u[0].as_str())
            .unwrap_or_else(|| panic!("no {mode} host in {line}"))
            .to_owned()
    };
    let (url, cpx_url) = (host("mtls"), host("cpx"));

    let embedded = tempfile::tempdir().expect("tempdir");
    let standalone = tempfile::tempdir().expect("tempdir");
    for (dir, target, cpx) in [
        (&embedded, "sim", None),
        (&standalone, url.as_str(), Some(cpx_url.as_str())),
    ] {
        let out = insi_bench()
            .current_dir(&workspace)
            .args(["run", "--no-progress", "--target", target, "--report-dir"])
            .arg(dir.path())
            .args(cpx.map(|c| ["--cpx-target", c]).into_iter().flatten())
            .arg(public_package())
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{target}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let a = read_json(&embedded.path().join("report.json"));
    let b = read_json(&standalone.path().join("report.json"));
    assert_eq!(b["target"], url.as_str());
    assert_eq!(statuses(&a), statuses(&b));
    // Same answers, call by call (message ids and timings aside).
    let calls = |r: &Value| -> Vec<(Value, Value, Value)> {
        r["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .flat_map(|c| {
                c["outcome"]["attempts"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| (a["prenom"].clone(), a["cr"].clone(), a["fault"].clone()))
            })
            .collect()
    };
    assert_eq!(calls(&a), calls(&b));
}
