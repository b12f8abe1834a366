//! The public package run gives the same journal, JSON, JUnit and HTML as the golden files in
//! `testdata/golden/cnda-public/`, timings and ids aside. The golden files were written by the
//! binary as it was before the run engine moved into the `insi-package` / `insi-runner` /
//! `insi-report` crates, so this test is the proof that the move changed no output.
//!
//! After an intended change of output: `INSI_BENCH_UPDATE_GOLDEN=1 cargo nextest run -p
//! insi-bench --test cli_golden`, then review the diff of `testdata/golden/` like code.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use regex::Regex;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Replaces what legitimately differs between two runs: timestamps, UUIDs (message ids, ContexteLPS
/// ids), base64 runs (signatures, digests), and timings. Journal lines are in completion order:
/// the case lines are sorted.
fn normalise(name: &str, text: &str) -> String {
    let rules = [
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "<ts>",
        ),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "<uuid>",
        ),
        (r"[A-Za-z0-9+/]{40,}={0,2}", "<b64>"),
        (r#""(ms|wall_ms)":\s*[0-9.e+-]+"#, "\"$1\":0"),
        (r#"time="[0-9.]+""#, "time=\"0\""),
        (r"<td>[0-9]+\.[0-9]</td>", "<td>0</td>"),
        (r"[0-9]+\.[0-9] ms</h3>", "0 ms</h3>"),
    ];
    let mut out = text.to_owned();
    for (pattern, with) in rules {
        out = Regex::new(pattern)
            .expect("pattern")
            .replace_all(&out, with)
            .into_owned();
    }
    if name == "journal.jsonl" {
        let mut lines: Vec<&str> = out.lines().collect();
        if lines.len() > 1 {
            lines[1..].sort_unstable();
        }
        out = lines.join("\n") + "\n";
    }
    out
}

#[test]
fn public_package_reports_match_the_golden_files() {
    let reports = tempfile::tempdir().expect("tempdir");
    let out = Command::cargo_bin("insi-bench")
        .expect("binary")
        .current_dir(workspace())
        .args(["run", "--no-progress", "--report-dir"])
        .arg(reports.path())
        .arg("testdata/packages/cnda-public")
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let golden = workspace().join("testdata/golden/cnda-public");
    let update = std::env::var_os("INSI_BENCH_UPDATE_GOLDEN").is_some();
    for name in ["journal.jsonl", "report.json", "junit.xml", "report.html"] {
        let text = std::fs::read_to_string(reports.path().join(name)).expect(name);
        let got = normalise(name, &text);
        let path = golden.join(name);
        if update {
            std::fs::write(&path, &got).expect("update golden");
            continue;
        }
        let want = std::fs::read_to_string(&path).expect("golden file");
        if got != want {
            // Point at the first difference rather than dumping two 100 KB files.
            let at = got
                .bytes()
                .zip(want.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(want.len()));
            let window = |s: &str| {
                let start = s.floor_char_boundary(at.saturating_sub(120));
                let end = s.ceil_char_boundary((at + 120).min(s.len()));
                s[start..end].to_owned()
            };
            panic!(
                "{name} differs from {} at byte {at}:\n  got:  {}\n  want: {}",
                path.display(),
                window(&got),
                window(&want)
            );
        }
    }
}
