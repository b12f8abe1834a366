//! `insi-bench sim serve` through the real binary, smoke-tested with `curl` and the committed
//! test PKI: the printed curl example works as pasted, a wrong CN gets DESIR_560, SIGTERM stops
//! the server cleanly; every exchange is logged (redacted), recorded (`--record`) and listed by
//! the inspector page, loaded in headless Chromium (`--inspect`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::sim::{Server, start, start_with};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn curl(args: &[&str]) -> (String, String) {
    let out = Command::new("curl")
        .current_dir(workspace())
        .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl is installed by scripts/test");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or((&text, ""));
    (body.to_owned(), code.to_owned())
}

#[test]
fn serve_answers_curl_and_stops_on_sigterm() {
    let (mut server, banner) = start(&[]);
    assert_eq!(banner["idams"][0], "INSIBENCH001");
    assert!(banner["identities"].as_u64().unwrap() >= 14, "{banner}");
    let url = banner["urls"][0][0].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("https://127.0.0.1:") && url.ends_with("/lps"),
        "{url}"
    );

    // The printed example, pasted into a shell as is (with -w to see the status).
    let example = banner["curl"].as_str().unwrap();
    let out = Command::new("sh")
        .current_dir(workspace())
        .arg("-c")
        .arg(format!(
            "{example} -sS --max-time 10 -w '\\n%{{http_code}}'"
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.ends_with("\n200"), "{text}");
    assert!(text.contains("<CodeCR>00</CodeCR>"), "{text}");
    assert!(
        text.contains("<NumIdentifiant>2751263220749</NumIdentifiant>"),
        "{text}"
    );

    // A certificate with the wrong CN: DESIR_560 in a SOAP fault, HTTP 500.
    let request = example
        .split("--data-binary '")
        .nth(1)
        .and_then(|b| b.split("' \\").next())
        .unwrap()
        .to_owned();
    let (body, code) = curl(&[
        "--cacert",
        "testdata/pki/ca.pem",
        "--cert",
        "testdata/pki/wrong-cn.pem",
        "--key",
        "testdata/pki/wrong-cn.key",
        "-H",
        "Content-Type: application/soap+xml; charset=utf-8",
        "--data-binary",
        &request,
        &url,
    ]);
    assert_eq!(code, "500", "{body}");
    assert!(body.contains("DESIR_560"), "{body}");

    // The PKCS#12 file works too (password insi-bench).
    let (body, code) = curl(&[
        "--cacert",
        "testdata/pki/ca.pem",
        "--cert-type",
        "P12",
        "--cert",
        "testdata/pki/insi-manu.p12:insi-bench",
        "-H",
        "Content-Type: application/soap+xml; charset=utf-8",
        "--data-binary",
        &request,
        &url,
    ]);
    assert_eq!(code, "200", "{body}");

    // No client certificate: refused during the handshake.
    let (_, code) = curl(&[
        "--cacert",
        "testdata/pki/ca.pem",
        "--data-binary",
        &request,
        &url,
    ]);
    assert_ne!(code, "200");

    // SIGTERM: clean shutdown, exit 0.
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_refuses_bad_options_with_a_clear_message() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_insi-bench"));
    let run = |args: &[&str]| {
        let out = Command::new(&bin)
            .current_dir(workspace())
            .args(["sim", "serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--fault-rate", "desir_1020=7"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("NAME=RATE"), "{err}");
    let (code, err) = run(&["--latency", "fast"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("10ms..50ms"), "{err}");
    let (code, err) = run(&["--pki", "/nonexistent"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("scripts/gen-test-pki"), "{err}");
    let (code, err) = run(&["--inject", "NOBODY"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("NOM/PRENOM=FILE"), "{err}");
    let (code, err) = run(&["--inspect", "0.0.0.0:0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("loopback only"), "{err}");
}

#[test]
fn serve_both_hosts_cpx_demands_an_assertion() {
    let (_server, banner) = start(&["--mode", "both", "--listen-cpx", "127.0.0.1:0"]);
    let urls = banner["urls"].as_array().unwrap();
    let url_of = |mode: &str| {
        urls.iter()
            .find(|u| u[1] == mode)
            .and_then(|u| u[0].as_str())
            .unwrap()
            .to_owned()
    };
    let request = banner["curl"]
        .as_str()
        .unwrap()
        .split("--data-binary '")
        .nth(1)
        .and_then(|b| b.split("' \\").next())
        .unwrap()
        .to_owned();
    // Server-auth TLS only: no client certificate needed to reach SOAP, but no assertion.
    let (body, code) = curl(&[
        "--cacert",
        "testdata/pki/ca.pem",
        "-H",
        "Content-Type: application/soap+xml; charset=utf-8",
        "--data-binary",
        &request,
        &url_of("cpx"),
    ]);
    assert_eq!(code, "500", "{body}");
    assert!(
        body.contains("insisim_assertion") && body.contains("no saml:Assertion"),
        "{body}"
    );
    // The mTLS host of the same process answers as usual.
    let (body, code) = curl(&[
        "--cacert",
        "testdata/pki/ca.pem",
        "--cert",
        "testdata/pki/insi-auto.pem",
        "--key",
        "testdata/pki/insi-auto.key",
        "--data-binary",
        &request,
        &url_of("mtls"),
    ]);
    assert_eq!(code, "200", "{body}");
}

/// Starts `sim serve` with stderr (the log) going to a file.
fn start_logged(extra: &[&str], log: &Path) -> (Server, serde_json::Value) {
    start_logged_with(extra, log, None)
}

fn start_logged_with(
    extra: &[&str],
    log: &Path,
    rust_log: Option<&str>,
) -> (Server, serde_json::Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    command.env_remove("RUST_LOG");
    if let Some(filter) = rust_log {
        command.env("RUST_LOG", filter);
    }
    let log = std::fs::File::create(log).unwrap();
    start_with(command, extra, Stdio::from(log))
}

/// The banner's example request, for another persona.
fn request_for(banner: &serde_json::Value, nom: &str, prenom: &str, date: &str) -> String {
    banner["curl"]
        .as_str()
        .unwrap()
        .split("--data-binary '")
        .nth(1)
        .and_then(|b| b.split("' \\").next())
        .unwrap()
        .replace(">ADRUN<", &format!(">{nom}<"))
        .replace(">ZOE<", &format!(">{prenom}<"))
        .replace(">1975-12-31<", &format!(">{date}<"))
}

fn post_mtls(url: &str, body: &str) -> String {
    let (body, code) = curl(&[
        "--cacert",
        "testdata/pki/ca.pem",
        "--cert",
        "testdata/pki/insi-auto.pem",
        "--key",
        "testdata/pki/insi-auto.key",
        "-H",
        "Content-Type: application/soap+xml; charset=utf-8",
        "--data-binary",
        body,
        url,
    ]);
    assert_eq!(code, "200", "{body}");
    body
}

/// Waits (bounded) until the log file holds `n` lines.
fn log_lines(log: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<String> = text
            .lines()
            .filter(|l| l.contains("insi_bench::exchange"))
            .map(str::to_owned)
            .collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "{n} exchange lines expected in:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(mut server: Server) {
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            return;
        }
        assert!(Instant::now() < deadline, "server did not stop within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Chromium-family browser, or why there is none. On CI (`INSI_BENCH_REQUIRE_CHROMIUM=1`,
/// set by scripts/test, which installs Debian's `chromium`) a missing browser is a failure.
fn chromium() -> Option<&'static str> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return Some(name);
        }
    }
    assert!(
        std::env::var_os("INSI_BENCH_REQUIRE_CHROMIUM").is_none(),
        "INSI_BENCH_REQUIRE_CHROMIUM is set but no chromium is installed (apt-get install chromium)"
    );
    eprintln!("skipping the headless-browser check: no chromium found (apt-get install chromium)");
    None
}

#[test]
fn serve_logs_records_and_inspects_every_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let records = dir.path().join("records");
    let (server, banner) = start_logged(
        &[
            "--inspect",
            "127.0.0.1:0",
            "--record",
            records.to_str().unwrap(),
        ],
        &log,
    );
    let url = banner["urls"][0][0].as_str().unwrap().to_owned();
    let inspect = banner["inspect"].as_str().unwrap().to_owned();
    assert!(inspect.starts_with("http://127.0.0.1:"), "{inspect}");
    let record = PathBuf::from(banner["record"].as_str().unwrap());

    let adrun = request_for(&banner, "ADRUN", "ZOE", "1975-12-31");
    assert!(post_mtls(&url, &adrun).contains("<CodeCR>00</CodeCR>"));
    let ola = request_for(&banner, "TCHITCHI", "OLA", "1936-06-21");
    assert!(post_mtls(&url, &ola).contains("<CodeCR>01</CodeCR>"));

    // The log: one line per exchange, personal data redacted.
    let lines = log_lines(&log, 2);
    assert!(
        lines[0].contains("#1 mtls rechercherInsAvecTraitsIdentite 200 CR 00 — CR 00: <nom> <prénom> matches one identity"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("200 CR 01 — CR 01: <nom> answers 00 only for the first name <prénom>"),
        "{lines:?}"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    for personal in [
        "ADRUN",
        "ZOE",
        "TCHITCHI",
        "OLA",
        "CATARINA",
        "1936-06-21",
        "2751263220749",
    ] {
        assert!(!text.contains(personal), "{personal} in the log:\n{text}");
    }

    // The inspector page, loaded by a real browser: the exchange is in the DOM, and its detail
    // (opened by the #x=2 link) shows the request indented and escaped.
    if let Some(browser) = chromium() {
        let out = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=5000",
                "--dump-dom",
            ])
            .arg(format!("{inspect}#x=2"))
            .stderr(Stdio::null())
            .output()
            .unwrap();
        let dom = String::from_utf8_lossy(&out.stdout);
        assert!(dom.contains(r#"<tr id="x1" data-id="1">"#), "{dom}");
        assert!(
            dom.contains(r#"<tr id="x2" data-id="2" class="selected">"#),
            "{dom}"
        );
        assert!(
            dom.contains("CR 01: TCHITCHI answers 00 only for the first name CATARINA"),
            "{dom}"
        );
        assert!(dom.contains("Personal data shown unredacted"), "{dom}");
        assert!(
            dom.contains("\n    &lt;ins:RECSANSVITALE xmlns:ins=\"http://www.cnamts.fr/INSiRecSans\"&gt;\n      &lt;ins:NomNaissance&gt;TCHITCHI&lt;/ins:NomNaissance&gt;\n      &lt;ins:Prenom&gt;OLA&lt;/ins:Prenom&gt;"),
            "{dom}"
        );
        assert!(dom.contains("&lt;CodeCR&gt;01&lt;/CodeCR&gt;"), "{dom}");
    }
    // The page refuses a Host that is not loopback (DNS rebinding).
    let (_, code) = curl(&["-H", "Host: inspector.example", &inspect]);
    assert_eq!(code, "403");

    // The record: a notice line, then one JSON line per exchange, unredacted, after a clean stop.
    stop(server);
    let text = std::fs::read_to_string(&record).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let notice = lines.remove(0);
    assert!(
        notice["personal_data"]
            .as_str()
            .unwrap()
            .starts_with("This file holds personal data"),
        "{text}"
    );
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["request"], adrun.as_str());
    assert_eq!(lines[1]["cr"], "01");
    assert_eq!(lines[1]["status"], 200);
    assert_eq!(lines[1]["client_cn"], "INSI-AUTO");
    assert!(
        lines[1]["client_subject"]
            .as_str()
            .unwrap()
            .contains("CN=INSI-AUTO"),
        "{text}"
    );
    assert!(
        lines[1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("CR 01: TCHITCHI answers 00 only for the first name CATARINA"),
        "{text}"
    );
    assert!(lines[1]["duration_ms"].as_f64().unwrap() > 0.0);
    assert!(
        lines[1]["response"]
            .as_str()
            .unwrap()
            .contains("<CodeCR>01</CodeCR>")
    );
}

#[test]
fn serve_logs_json_with_personal_data_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let (server, banner) = start_logged(&["--log-format", "json", "--log-personal-data"], &log);
    let url = banner["urls"][0][0].as_str().unwrap().to_owned();
    post_mtls(&url, &request_for(&banner, "TCHITCHI", "OLA", "1936-06-21"));
    let line = log_lines(&log, 1).remove(0);
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
    let f = &v["fields"];
    assert_eq!(f["operation"], "rechercherInsAvecTraitsIdentite", "{v}");
    assert_eq!(f["status"], 200, "{v}");
    assert_eq!(f["verdict"], "CR 01", "{v}");
    assert_eq!(f["client_cn"], "INSI-AUTO", "{v}");
    assert!(
        f["reason"]
            .as_str()
            .unwrap()
            .starts_with("CR 01: TCHITCHI answers 00 only for the first name CATARINA"),
        "{v}"
    );
    stop(server);
}

#[test]
fn rust_log_warn_turns_the_exchange_lines_off() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let (server, banner) = start_logged_with(&[], &log, Some("warn"));
    let url = banner["urls"][0][0].as_str().unwrap().to_owned();
    post_mtls(&url, &request_for(&banner, "ADRUN", "ZOE", "1975-12-31"));
    // After a clean stop every line the process wrote is in the file.
    stop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("insi_bench::exchange"), "{text}");
}
