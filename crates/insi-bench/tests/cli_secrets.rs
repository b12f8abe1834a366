//! The secret scan: every command that takes a secret runs with known, unique ones — a PKCS#12
//! password (a file generated here with OpenSSL) and card PINs (the package's card profiles,
//! rewritten with new PINs) — with the most verbose logs (`RUST_LOG=trace`), and everything they
//! print or write (stdout, stderr, the simulator's log, journals, reports, the history, load
//! results) is searched for them. The search is first shown to find a secret where it is meant to
//! be (the card profile), so that finding nothing elsewhere means something.
//!
//! Also: logs hold no personal data (names, birth dates, NIR) unless asked, and evidence files
//! say at their top that they hold personal data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;
use common::fs::copy_dir;
use common::sim::{start_with, url};
use common::{pki, workspace};

const PASSWORD: &str = "Pw-5tq9-Zr7m-K2xv";
const WRONG_PASSWORD: &str = "Wr-8hd3-Qa1p-M6yb";
const PINS: [(&str, &str); 2] = [("1234", "73915468"), ("4321", "86024179")];

fn needles() -> Vec<&'static str> {
    let mut all = vec![PASSWORD, WRONG_PASSWORD];
    all.extend(PINS.iter().map(|(_, new)| *new));
    all
}

/// The needles found in `bytes`.
fn found_in(bytes: &[u8]) -> Vec<&'static str> {
    needles()
        .into_iter()
        .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
        .collect()
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// One command run with the secrets in its environment and the loudest logs.
fn insi_bench(args: &[&str], password: &str) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    cmd.current_dir(workspace())
        .args(args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("RUST_LOG", "trace")
        .env("INSI_BENCH_P12_PASSWORD", password)
        .env(
            "INSI_BENCH_INSTANCE",
            "636c9d43-1a19-5b8c-a8b1-ac43227cfe46",
        )
        .stdin(Stdio::null());
    cmd.output().expect("insi-bench")
}

#[test]
fn no_secret_in_any_output_log_or_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");

    // The package, with its cards' PINs replaced by the needles.
    let package = dir.path().join("package");
    copy_dir(&workspace().join("testdata/packages/cnda-public"), &package);
    for card in files(&package.join("cards")) {
        let text = std::fs::read_to_string(&card).expect("card");
        let mut changed = text.clone();
        for (old, new) in PINS {
            changed = changed.replace(&format!("pin = \"{old}\""), &format!("pin = \"{new}\""));
        }
        std::fs::write(&card, changed).expect("card");
    }
    let profiles: Vec<u8> = files(&package.join("cards"))
        .iter()
        .flat_map(|p| std::fs::read(p).expect("card"))
        .collect();
    assert_eq!(
        found_in(&profiles).len(),
        PINS.len(),
        "the scan finds each PIN where it is meant to be"
    );

    // A PKCS#12 file protected by the known password.
    let p12 = dir.path().join("client.p12");
    let made = Command::new("openssl")
        .args(["pkcs12", "-export", "-in"])
        .arg(pki("insi-auto.pem"))
        .arg("-inkey")
        .arg(pki("insi-auto.key"))
        .arg("-passout")
        .arg(format!("pass:{PASSWORD}"))
        .arg("-out")
        .arg(&p12)
        .status()
        .expect("openssl (Debian's openssl package)");
    assert!(made.success());
    let p12 = p12.to_str().expect("utf-8 path").to_owned();

    // A standalone simulator logging everything it can.
    let sim_log = out_dir.join("sim.log");
    let mut server_cmd = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    server_cmd.env("RUST_LOG", "trace");
    let log_file = std::fs::File::create(&sim_log).expect("log");
    let (server, banner) = start_with(
        server_cmd,
        &["--record", out_dir.join("records").to_str().unwrap()],
        Stdio::from(log_file),
    );
    let url = url(&banner);
    let ca = pki("ca.pem");
    let reports = out_dir.join("reports");
    let history = out_dir.join("history.sqlite");
    let (pkg, rep, hist) = (
        package.to_str().unwrap(),
        reports.to_str().unwrap(),
        history.to_str().unwrap(),
    );
    let load_json = out_dir.join("load.json");
    let load_html = out_dir.join("load.html");
    let load_hdr = out_dir.join("load.hlog");
    let traits = common::ADRUN_ZOE;
    let remote = [
        "--env",
        &url,
        "--ca",
        &ca,
        "--p12",
        &p12,
        "--idam",
        "INSIBENCH001",
    ];

    let mut runs: Vec<(String, Output)> = Vec::new();
    let mut go = |label: &str, args: Vec<&str>, password: &str| {
        runs.push((label.to_owned(), insi_bench(&args, password)));
    };
    go("cert inspect", vec!["cert", "inspect", &p12], PASSWORD);
    go(
        "cert inspect --json",
        vec!["--json", "cert", "inspect", &p12],
        PASSWORD,
    );
    go(
        "cert inspect, wrong password",
        vec!["cert", "inspect", &p12],
        WRONG_PASSWORD,
    );
    go(
        "search",
        [&["search", "traits"][..], &traits, &remote].concat(),
        PASSWORD,
    );
    go(
        "search --json",
        [&["--json", "search", "traits"][..], &traits, &remote].concat(),
        PASSWORD,
    );
    go(
        "search, wrong password",
        [&["search", "traits"][..], &traits, &remote].concat(),
        WRONG_PASSWORD,
    );
    go(
        "verify",
        [
            &[
                "verify",
                "--matricule",
                "2751263220749",
                "--oid",
                "1.2.250.1.213.1.4.8",
            ][..],
            &traits,
            &remote,
        ]
        .concat(),
        PASSWORD,
    );
    go(
        "run (embedded, CPx cases sign with the profile PINs)",
        vec![
            "run",
            "--no-progress",
            "--report-dir",
            rep,
            "--history",
            hist,
            pkg,
        ],
        PASSWORD,
    );
    go(
        "run --resume --json",
        vec!["--json", "run", "--resume", "--report-dir", rep, pkg],
        PASSWORD,
    );
    go(
        "run against the standalone simulator",
        vec![
            "run",
            "--no-progress",
            "--target",
            &url,
            "--report-dir",
            out_dir.join("remote").to_str().unwrap(),
            "--only",
            "2.05",
            pkg,
        ],
        PASSWORD,
    );
    go(
        "load",
        vec![
            "load",
            "--no-progress",
            "--requests",
            "50",
            "--population",
            "1000",
            "--json-report",
            load_json.to_str().unwrap(),
            "--html",
            load_html.to_str().unwrap(),
            "--hdr",
            load_hdr.to_str().unwrap(),
            "--history",
            hist,
        ],
        PASSWORD,
    );
    go("history", vec!["history", hist], PASSWORD);
    drop(server);

    let mut leaks = Vec::new();
    for (label, out) in &runs {
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            for needle in found_in(bytes) {
                leaks.push(format!("{label}: {stream} holds {needle}"));
            }
        }
    }
    let log_len = std::fs::metadata(&sim_log).expect("log").len();
    assert!(
        log_len > 1000,
        "the simulator logged at trace level ({log_len} bytes)"
    );
    let written = files(&out_dir);
    assert!(
        written.len() >= 10,
        "the commands wrote their files: {written:?}"
    );
    for file in &written {
        for needle in found_in(&std::fs::read(file).expect("read")) {
            leaks.push(format!("{} holds {needle}", file.display()));
        }
    }
    let outputs: Vec<String> = runs
        .iter()
        .map(|(label, out)| {
            format!(
                "== {label} (exit {:?})\n{}{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .collect();
    assert!(leaks.is_empty(), "{leaks:#?}\n{}", outputs.join("\n"));

    // The commands did their work (a scan of failed commands would prove little).
    let code = |label: &str| {
        runs.iter()
            .find(|(l, _)| l == label)
            .map(|(_, o)| o.status.code())
            .expect("ran")
    };
    for label in [
        "cert inspect",
        "search",
        "verify",
        "run against the standalone simulator",
        "load",
    ] {
        assert_eq!(code(label), Some(0), "{label}\n{}", outputs.join("\n"));
    }
    let run_code = code("run (embedded, CPx cases sign with the profile PINs)");
    assert_eq!(run_code, Some(0), "{}", outputs.join("\n"));
    assert_ne!(code("cert inspect, wrong password"), Some(0));
    assert_ne!(code("search, wrong password"), Some(0));

    // Logs (stderr at trace level, the simulator's log) carry no personal data without
    // --log-personal-data: the traits searched and the INS answered are redacted.
    let personal = ["ADRUN", "1975-12-31", "2751263220749"];
    let mut in_logs = Vec::new();
    for (label, out) in &runs {
        let stderr = String::from_utf8_lossy(&out.stderr);
        for p in personal {
            if stderr.contains(p) {
                in_logs.push(format!("{label}: stderr holds {p}"));
            }
        }
    }
    let log = std::fs::read_to_string(&sim_log).expect("log");
    for p in personal {
        if log.contains(p) {
            in_logs.push(format!("the simulator's log holds {p}"));
        }
    }
    assert!(in_logs.is_empty(), "{in_logs:#?}");
    // … while the search's own answer, on stdout, shows them: the check looks at the right text.
    let search = &runs.iter().find(|(l, _)| l == "search").expect("search").1;
    assert!(String::from_utf8_lossy(&search.stdout).contains("2751263220749"));

    // Evidence files open with the personal-data notice.
    for name in ["journal.jsonl", "report.json", "junit.xml", "report.html"] {
        let text = std::fs::read_to_string(reports.join(name)).expect("evidence");
        let top: String = text.chars().take(600).collect();
        assert!(
            top.contains("This file holds personal data"),
            "{name} does not say it at its top:\n{top}"
        );
    }
}
