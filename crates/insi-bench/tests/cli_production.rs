//! The production guard through the real binary, for `run`, `load`, `search` and `verify`: test
//! packages, public test personas and test OIDs are refused against production — named, by
//! configuration, or by URL — before any network traffic, with a message naming
//! `--i-know-this-is-production`; with the flag the guard lets the call through (`load` never:
//! load runs against production are refused outright).
//!
//! Nothing leaves the machine: every run has `HTTPS_PROXY` pointing at [`Proxy`], a listener on
//! 127.0.0.1 that records each connection's request line and closes it. "No traffic" is proved
//! by the proxy seeing nothing; "the guard let it through" by the proxy seeing `CONNECT
//! services-ps-tlsm.ameli.fr:443`. Each test first checks with [`Proxy::honoured`] that the
//! binary does use the proxy (with a `.invalid` host, RFC 6761), so that a client ignoring it
//! fails the test before any run could reach the real service, even with a broken guard.

mod common;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assert_cmd::Command;

const PROD_HOST: &str = "services-ps-tlsm.ameli.fr";
/// What the proxy sees when the binary heads for the production mTLS host.
const PROD_CONNECT: &str = "CONNECT services-ps-tlsm.ameli.fr:443 HTTP/1.1";
const FLAG: &str = "--i-know-this-is-production";
/// Sent by the test itself after a run: once the proxy has seen it, it has seen every earlier
/// connection (it serves them one at a time, in order).
const MARKER: &str = "MARKER / HTTP/1.1";

fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .display()
        .to_string()
}

/// A listener on 127.0.0.1 standing in for an HTTPS proxy: it records the first line of each
/// connection and answers `403`, so the binary's call fails right there.
struct Proxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut conn) = conn else { continue };
                    let line = request_line(&mut conn);
                    seen.lock().unwrap().push(line);
                    let _ = conn.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
                }
            })
        };
        Proxy {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// The request lines of every connection made so far, the test's own marker excluded.
    fn seen(&self) -> Vec<String> {
        let mut c = TcpStream::connect(self.addr).unwrap();
        c.write_all(format!("{MARKER}\r\n\r\n").as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = c.read_to_end(&mut answer);
        let lines: Vec<String> = self.seen.lock().unwrap().drain(..).collect();
        lines.into_iter().filter(|l| l != MARKER).collect()
    }

    /// Runs the binary with this proxy for every scheme and no exception list.
    fn run(&self, args: &[&str], home: &Path) -> (i32, String, String) {
        self.run_env(args, home, &[])
    }

    /// [`Proxy::run`] with more environment variables.
    fn run_env(&self, args: &[&str], home: &Path, vars: &[(&str, &str)]) -> (i32, String, String) {
        let mut cmd = Command::cargo_bin("insi-bench").expect("binary");
        let proxy = format!("http://{}", self.addr);
        cmd.args(args)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home);
        for (key, _) in std::env::vars() {
            let upper = key.to_ascii_uppercase();
            if key.starts_with("INSI_BENCH_") || upper.ends_with("_PROXY") {
                cmd.env_remove(key);
            }
        }
        for key in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
            cmd.env(key, &proxy);
        }
        // What `search`/`verify` need for a real environment, but the environment itself.
        cmd.env("INSI_BENCH_CA", repo("testdata/pki/ca.pem"))
            .env("INSI_BENCH_CERT", repo("testdata/pki/insi-auto.pem"))
            .env("INSI_BENCH_KEY", repo("testdata/pki/insi-auto.key"))
            .env("INSI_BENCH_IDAM", "INSIBENCH001")
            .env(
                "INSI_BENCH_INSTANCE",
                "636c9d43-1a19-5b8c-a8b1-ac43227cfe46",
            );
        for (key, value) in vars {
            cmd.env(key, value);
        }
        let out = cmd.timeout(Duration::from_secs(60)).output().expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Checks that the binary sends its traffic through this proxy, with a host that cannot
    /// exist: before any run that the guard lets through.
    fn honoured(&self, home: &Path) {
        let mut args = vec![
            "search",
            "traits",
            "--env",
            "https://insi-bench-proxy-check.invalid/lps",
        ];
        args.extend(PATIENT);
        args.extend(["--retries", "0"]);
        let (_, stdout, stderr) = self.run(&args, home);
        assert_eq!(
            self.seen(),
            ["CONNECT insi-bench-proxy-check.invalid:443 HTTP/1.1"],
            "the binary must use HTTPS_PROXY, or the runs past the guard would leave the \
             machine: {stdout}{stderr}"
        );
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The first line of what a connection sends (bounded in size and time).
fn request_line(conn: &mut TcpStream) -> String {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < 4096 && !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A public test persona of the qualification service (INSI-PROTOCOL.md §5.3).
const ADRUN: [&str; 8] = common::ADRUN_ZOE;
/// Someone who is no test persona.
const PATIENT: [&str; 8] = [
    "--nom",
    "MARTIN",
    "--prenoms",
    "JEANNE",
    "--sexe",
    "F",
    "--naissance",
    "1962-04-03",
];

fn args<'a>(head: &[&'a str], traits: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(traits).chain(tail).copied().collect()
}

/// Refused before any traffic, exit 2, with `what` and the flag in the message.
fn assert_refused(proxy: &Proxy, run: (i32, String, String), what: &str) {
    let (code, stdout, stderr) = run;
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains(what), "{stderr}");
    assert!(stderr.contains(FLAG), "{stderr}");
    assert_eq!(
        proxy.seen(),
        Vec::<String>::new(),
        "traffic before the refusal"
    );
}

/// Let through by the guard: the binary headed for production (and met the proxy's 403).
fn assert_let_through(proxy: &Proxy, run: (i32, String, String)) {
    let (_, stdout, stderr) = run;
    assert!(!stderr.contains("refusing"), "{stderr}");
    assert_eq!(proxy.seen(), [PROD_CONNECT], "{stdout}{stderr}");
}

#[test]
fn search_refuses_test_personas_in_production_however_it_is_named() {
    let proxy = Proxy::start();
    let home = tempfile::tempdir().unwrap();
    proxy.honoured(home.path());
    let config = home.path().join("prod.toml");
    std::fs::write(&config, "env = \"prod-mtls\"\n").unwrap();
    let config = config.to_str().unwrap();
    let persona = "refusing to call production with the public test identity ADRUN born 1975-12-31";
    for how in [
        vec!["--env", "prod-mtls"],
        vec!["--env", "https://services-ps-tlsm.ameli.fr/lps"],
        // Hosts are case-insensitive: the guard must be too.
        vec!["--env", "https://Services-PS-TLSM.ameli.fr:443/lps"],
        vec!["--config", config],
    ] {
        let run = proxy.run(&args(&["search", "traits"], &ADRUN, &how), home.path());
        assert_refused(&proxy, run, persona);
    }
    // The environment variable layer.
    let run = proxy.run_env(
        &args(&["search", "traits"], &ADRUN, &[]),
        home.path(),
        &[("INSI_BENCH_ENV", "prod-mtls")],
    );
    assert_refused(&proxy, run, persona);

    // CPx production, signed with the shipped demo PS key: refused the same way.
    let (ps_key, ps_cert) = (
        repo("testdata/cards/cps3-demo.sign.key.pem"),
        repo("testdata/cards/cps3-demo.sign.pem"),
    );
    let cpx = [
        "--env",
        "prod-cpx",
        "--ps-key",
        &ps_key,
        "--ps-cert",
        &ps_cert,
        "--facturation",
        "123456789",
        "--secteur",
        "SA05",
    ];
    let run = proxy.run(&args(&["search", "traits"], &ADRUN, &cpx), home.path());
    assert_refused(&proxy, run, persona);
}

#[test]
fn verify_refuses_test_oids_and_test_personas_in_production() {
    let proxy = Proxy::start();
    let home = tempfile::tempdir().unwrap();
    proxy.honoured(home.path());
    let verify = |oid: &'static str| {
        [
            "verify",
            "--env",
            "prod-mtls",
            "--matricule",
            "2751263220749",
            "--cle",
            "74",
            "--oid",
            oid,
        ]
    };
    for (oid, label) in [
        ("1.2.250.1.213.1.4.10", "test OID 1.2.250.1.213.1.4.10"),
        ("1.2.250.1.213.1.4.11", "test OID 1.2.250.1.213.1.4.11"),
    ] {
        let run = proxy.run(&args(&verify(oid), &PATIENT, &[]), home.path());
        assert_refused(
            &proxy,
            run,
            &format!("refusing to call production with the {label}"),
        );
    }
    let run = proxy.run(
        &args(&verify("1.2.250.1.213.1.4.8"), &ADRUN, &[]),
        home.path(),
    );
    assert_refused(&proxy, run, "public test identity ADRUN");
}

#[test]
fn run_refuses_the_test_package_in_production() {
    let proxy = Proxy::start();
    let home = tempfile::tempdir().unwrap();
    proxy.honoured(home.path());
    let reports = home.path().join("reports");
    let reports = reports.to_str().unwrap();
    let package = repo("testdata/packages/cnda-public");
    let pki = repo("testdata/pki");
    for target in [
        vec!["--target", "prod-mtls"],
        vec!["--target", "prod-cpx"],
        vec!["--target", "https://services-ps.ameli.fr/lps"],
        // A qualification target whose CPx host is production: refused before the qualification
        // host is contacted either.
        vec!["--target", "qualif-mtls", "--cpx-target", "prod-cpx"],
    ] {
        let mut argv = vec![
            "run",
            "--no-progress",
            "--pki",
            &pki,
            "--report-dir",
            reports,
        ];
        argv.extend(target);
        argv.push(&package);
        let run = proxy.run(&argv, home.path());
        assert_refused(
            &proxy,
            run,
            "refusing to replay a test package against production",
        );
    }
    assert!(
        !Path::new(reports).exists(),
        "nothing written for a refused run"
    );
}

#[test]
fn load_refuses_production_even_with_the_flag() {
    let proxy = Proxy::start();
    let home = tempfile::tempdir().unwrap();
    proxy.honoured(home.path());
    for target in [
        "prod-mtls",
        "prod-cpx",
        "https://services-ps-tlsm.ameli.fr/lps",
    ] {
        let (code, stdout, stderr) = proxy.run(
            &["load", "--target", target, "-n", "1", "--no-progress"],
            home.path(),
        );
        assert_eq!(code, 2, "{stdout}{stderr}");
        assert!(stderr.contains("refusing to load production"), "{stderr}");
        assert_eq!(
            proxy.seen(),
            Vec::<String>::new(),
            "traffic before the refusal"
        );
    }
    // A load run against production is never intended: the flag does not exist for `load`.
    let (code, _, stderr) = proxy.run(
        &["load", "--target", "prod-mtls", "-n", "1", FLAG],
        home.path(),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("unexpected argument '{FLAG}'")),
        "{stderr}"
    );
    assert_eq!(proxy.seen(), Vec::<String>::new());
}

#[test]
fn the_flag_lets_search_verify_and_run_through_and_real_patients_need_no_flag() {
    let proxy = Proxy::start();
    let home = tempfile::tempdir().unwrap();
    proxy.honoured(home.path());
    let once = ["--retries", "0"];

    // A test persona, acknowledged.
    let mut tail = vec!["--env", "prod-mtls", FLAG];
    tail.extend(once);
    assert_let_through(
        &proxy,
        proxy.run(&args(&["search", "traits"], &ADRUN, &tail), home.path()),
    );
    // A test OID, acknowledged.
    let verify = [
        "verify",
        "--env",
        "prod-mtls",
        "--matricule",
        "2751263220749",
        "--cle",
        "74",
        "--oid",
        "1.2.250.1.213.1.4.10",
    ];
    assert_let_through(
        &proxy,
        proxy.run(
            &args(&verify, &PATIENT, &[FLAG, "--retries", "0"]),
            home.path(),
        ),
    );
    // The test package, acknowledged: the target's probe heads for production.
    let package = repo("testdata/packages/cnda-public");
    let pki = repo("testdata/pki");
    let reports = home.path().join("reports");
    let run = [
        "run",
        "--no-progress",
        "--pki",
        &pki,
        "--report-dir",
        reports.to_str().unwrap(),
        "--target",
        "prod-mtls",
        FLAG,
        &package,
    ];
    assert_let_through(&proxy, proxy.run(&run, home.path()));
    // Someone who is no test persona, with a real OID: nothing for the guard to refuse.
    let prod_url = format!("https://{PROD_HOST}/lps");
    let mut tail = vec!["--env", &prod_url];
    tail.extend(once);
    assert_let_through(
        &proxy,
        proxy.run(&args(&["search", "traits"], &PATIENT, &tail), home.path()),
    );
}
