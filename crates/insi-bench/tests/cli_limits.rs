//! Hostile XML and TOML against every parser a user can reach: `decode`, the client (answers
//! served by a standalone simulator's injection rules, so they come over real mTLS), the
//! simulator (requests posted with curl), and the package loader. Billion laughs, deep nesting,
//! huge text nodes and attribute values, many attributes, truncated and non-UTF-8 input: each is
//! refused with a message naming the problem, and nothing hangs or crashes (every child process
//! runs under a bounded wait).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::fs::copy_dir;
use common::sim::{start_with, url};
use common::workspace;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(workspace().join("testdata/xml").join(name)).expect("sample")
}

/// Runs `cmd` to its end, killing it after 60 s (a hang is a failure, not a wait).
fn bounded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn insi_bench(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    cmd.current_dir(workspace())
        .args(args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env(
            "INSI_BENCH_INSTANCE",
            "636c9d43-1a19-5b8c-a8b1-ac43227cfe46",
        );
    bounded(cmd)
}

/// `<soap:Envelope …>` of `doc`: where attributes can be added.
fn after_envelope_name(doc: &[u8]) -> usize {
    let at = find(doc, b"Envelope").expect("an Envelope");
    at + b"Envelope".len()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn splice(doc: &[u8], at: usize, cut: usize, insert: &[u8]) -> Vec<u8> {
    [&doc[..at], insert, &doc[at + cut..]].concat()
}

/// The text of the first `<…NomNaissance>` element: (start, length).
fn nom_text(doc: &[u8]) -> (usize, usize) {
    let open = find(doc, b"NomNaissance>").expect("NomNaissance") + b"NomNaissance>".len();
    let len = doc[open..].iter().position(|&b| b == b'<').expect("end");
    (open, len)
}

/// The hostile variants of a well-formed message, with a word its refusal must contain.
fn hostile(doc: &[u8]) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let lol = {
        let mut d = String::from("<!ENTITY lol0 \"lol\">");
        for i in 1..10 {
            d.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&lol{};", i - 1).repeat(10)
            ));
        }
        format!(
            "<?xml version=\"1.0\"?><!DOCTYPE lolz [{d}]>\
             <soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">\
             <soap:Body>&lol9;</soap:Body></soap:Envelope>"
        )
        .into_bytes()
    };
    let body = find(doc, b"Body>").expect("Body") + b"Body>".len();
    let deep = splice(
        doc,
        body,
        0,
        &["<a>".repeat(5_000), "</a>".repeat(5_000)]
            .concat()
            .into_bytes(),
    );
    let (nom, nom_len) = nom_text(doc);
    let env = after_envelope_name(doc);
    vec![
        ("billion laughs", lol, "DOCTYPE"),
        ("deep nesting", deep, "deep"),
        (
            "huge text",
            splice(doc, nom, nom_len, &vec![b'A'; 40_000]),
            "text",
        ),
        (
            "huge attribute value",
            splice(
                doc,
                env,
                0,
                &[&b" x=\""[..], &vec![b'v'; 40_000], b"\""].concat(),
            ),
            "attribute",
        ),
        (
            "many attributes",
            splice(
                doc,
                env,
                0,
                &(0..2_000)
                    .map(|i| format!(" a{i}=\"1\""))
                    .collect::<String>()
                    .into_bytes(),
            ),
            "attributes",
        ),
        ("truncated", doc[..doc.len() / 2].to_vec(), "end of input"),
        (
            "not UTF-8",
            splice(doc, nom, nom_len, b"\xc9LODIE"),
            "UTF-8",
        ),
    ]
}

#[test]
fn decode_refuses_each_hostile_response_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (what, bytes, word) in hostile(&sample("resultat-00-live.xml")) {
        let file = dir.path().join("hostile.xml");
        std::fs::write(&file, &bytes).expect("write");
        let out = insi_bench(&["decode", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(stderr.contains(word), "{what}: {stderr}");
        assert!(
            stderr.lines().count() <= 3,
            "{what}: one clear message: {stderr}"
        );
    }
    // Larger than any INSi message: refused before parsing.
    let file = dir.path().join("huge.xml");
    std::fs::write(&file, vec![b' '; 300 * 1024]).expect("write");
    let out = insi_bench(&["decode", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("limit"), "{stderr}");
}

#[test]
fn the_client_refuses_each_hostile_answer_over_mtls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = hostile(&sample("resultat-00-live.xml"));
    // One injection rule per hostile answer: the searched name picks it.
    let mut rules = Vec::new();
    for (i, (_, bytes, _)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("hostile-{i}.xml"));
        std::fs::write(&file, bytes).expect("write");
        rules.push(format!(
            "HOSTILE{}/ZOE={}",
            (b'A' + i as u8) as char,
            file.display()
        ));
    }
    let mut extra = Vec::new();
    for rule in &rules {
        extra.push("--inject");
        extra.push(rule.as_str());
    }
    let command = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    let (_server, banner) = start_with(command, &extra, Stdio::null());
    let url = url(&banner);
    let ca = workspace().join("testdata/pki/ca.pem");
    let (cert, key) = (
        workspace().join("testdata/pki/insi-auto.pem"),
        workspace().join("testdata/pki/insi-auto.key"),
    );
    for (i, (what, _, word)) in cases.iter().enumerate() {
        let nom = format!("HOSTILE{}", (b'A' + i as u8) as char);
        let out = insi_bench(&[
            "search",
            "traits",
            "--env",
            &url,
            "--ca",
            ca.to_str().unwrap(),
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--idam",
            "INSIBENCH001",
            "--strategy",
            "single",
            "--retries",
            "0",
            "--nom",
            &nom,
            "--prenoms",
            "ZOE",
            "--sexe",
            "F",
            "--naissance",
            "1975-12-31",
        ]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(out.status.code(), Some(0), "{what}: {text}");
        assert!(text.contains(word), "{what}: {text}");
    }
}

#[test]
fn the_simulator_refuses_each_hostile_request_and_keeps_serving() {
    let command = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    let (_server, banner) = start_with(command, &[], Stdio::null());
    let url = url(&banner);
    let request = sample("request-recsansvitale-mtls.xml");
    let dir = tempfile::tempdir().expect("tempdir");
    let post = |body: &[u8]| -> (String, String) {
        let file = dir.path().join("body.xml");
        std::fs::write(&file, body).expect("write");
        let mut curl = Command::new("curl");
        curl.current_dir(workspace())
            .args(["-sS", "--max-time", "30", "-w", "\n%{http_code}"])
            .args(["--cacert", "testdata/pki/ca.pem"])
            .args(["--cert", "testdata/pki/insi-auto.pem"])
            .args(["--key", "testdata/pki/insi-auto.key"])
            .args(["-H", "Content-Type: application/soap+xml; charset=utf-8"])
            .arg("--data-binary")
            .arg(format!("@{}", file.display()))
            .arg(&url);
        let out = bounded(curl);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').expect("status line");
        (body.to_owned(), code.to_owned())
    };
    for (what, bytes, _) in hostile(&request) {
        let (body, code) = post(&bytes);
        // A SOAP fault (the real service's answer to a malformed request) or 413 (too large).
        assert!(
            (code == "500" && body.contains("Fault")) || code == "413",
            "{what}: HTTP {code}: {body}"
        );
    }
    // The sample's IDAM is not one the simulator knows: desir_550 shows it was read through.
    let (body, code) = post(&request);
    assert!(
        body.contains("<CodeCR>") || body.contains("desir_550"),
        "still serving: HTTP {code}: {body}"
    );
}

#[test]
fn the_package_loader_refuses_hostile_toml_with_the_file_and_the_problem() {
    let bad: [(&str, Vec<u8>, &str); 5] = [
        (
            "deep.toml",
            format!("x = {}{}\n", "[".repeat(50_000), "]".repeat(50_000)).into_bytes(),
            "recursion",
        ),
        (
            "deep-tables.toml",
            format!("x = {}1{}\n", "{ a = ".repeat(50_000), " }".repeat(50_000)).into_bytes(),
            "recursion",
        ),
        (
            "latin1.toml",
            b"[[case]]\nid = \"\xc9\"\n".to_vec(),
            "UTF-8",
        ),
        ("truncated.toml", b"[[case]]\nid = \"2.0".to_vec(), "deep"),
        (
            "huge.toml",
            format!("# {}\n", "x".repeat(5 * 1024 * 1024)).into_bytes(),
            "limit",
        ),
    ];
    for (name, bytes, word) in bad {
        let dir = tempfile::tempdir().expect("tempdir");
        let package = dir.path().join("package");
        copy_dir(&workspace().join("testdata/packages/cnda-public"), &package);
        std::fs::write(package.join("cases").join(name), &bytes).expect("write");
        let out = insi_bench(&["package", "check", package.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("cases/{name}")),
            "{name}: names the file: {stderr}"
        );
        let word = if name == "truncated.toml" { "" } else { word };
        assert!(stderr.contains(word), "{name}: {stderr}");
        assert!(stderr.len() < 2_000, "{name}: a short message: {stderr}");
    }
}
