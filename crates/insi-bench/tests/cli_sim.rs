//! `insi-bench sim serve` through the real binary, smoke-tested with `curl` and the committed
//! test PKI: the printed curl example works as pasted, a wrong CN gets DESIR_560, SIGTERM stops
//! the server cleanly.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Kills the server if a test fails half-way.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(extra: &[&str]) -> (Server, serde_json::Value) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_insi-bench"));
    let mut child = Command::new(bin)
        .current_dir(workspace())
        .args(["--json", "sim", "serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let banner: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("banner {line:?}: {e}"));
    (Server(child), banner)
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
