//! `search traits` against a standalone simulator (`insi-bench sim serve`) given as a URL, with
//! the committed test PKI: PEM and PKCS#12 identities, the configuration file, every
//! authentication failure with its advice, and bounded retries of `desir_1020`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;
use common::sim::{Server, start_with, url};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pki(name: &str) -> String {
    workspace()
        .join("testdata/pki")
        .join(name)
        .display()
        .to_string()
}

/// Starts `sim serve` on an ephemeral port; returns it with its mTLS URL.
fn serve(extra: &[&str]) -> (Server, String) {
    let command = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    let (server, banner) = start_with(command, extra, Stdio::null());
    (server, url(&banner))
}

/// Runs `search traits` for ADRUN ZOE against `url` with `extra` flags.
fn search(url: &str, extra: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    cmd.args(["--json", "search", "traits", "--env", url])
        .args(common::ADRUN_ZOE)
        .args(extra)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path());
    for (key, _) in std::env::vars() {
        if key.starts_with("INSI_BENCH_") {
            cmd.env_remove(key);
        }
    }
    cmd.env(
        "INSI_BENCH_INSTANCE",
        "636c9d43-1a19-5b8c-a8b1-ac43227cfe46",
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr)
}

#[test]
fn url_environment_with_pem_pkcs12_and_config_file() {
    let (_server, url) = serve(&[]);
    let (ca, cert, key, p12) = (
        pki("ca.pem"),
        pki("insi-auto.pem"),
        pki("insi-auto.key"),
        pki("insi-auto.p12"),
    );
    let pem = [
        "--ca",
        &ca,
        "--cert",
        &cert,
        "--key",
        &key,
        "--idam",
        "INSIBENCH001",
    ];
    let (code, v, stderr) = search(&url, &pem, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["cr"], "00");
    assert_eq!(v["ins"]["matricule"], "2751263220749");

    let with_p12 = ["--ca", &ca, "--p12", &p12, "--idam", "INSIBENCH001"];
    let (code, v, stderr) = search(
        &url,
        &with_p12,
        &[("INSI_BENCH_P12_PASSWORD", "insi-bench")],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["cr"], "00");
    // A password from another variable, named by the flag.
    let named = [
        "--ca",
        &ca,
        "--p12",
        &p12,
        "--idam",
        "INSIBENCH001",
        "--p12-password-env",
        "MY_P12_PW",
    ];
    let (code, _, stderr) = search(&url, &named, &[("MY_P12_PW", "insi-bench")]);
    assert_eq!(code, 0, "{stderr}");

    // Everything from a configuration file; flags would override it.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("insi.toml");
    std::fs::write(
        &config,
        format!(
            "[lps]\nidam = \"INSIBENCH001\"\n[tls]\nca = \"{ca}\"\ncert = \"{cert}\"\nkey = \
             \"{key}\"\n[network]\ntimeout_secs = 5\n"
        ),
    )
    .unwrap();
    let (code, v, stderr) = search(&url, &["--config", config.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["cr"], "00");
    let (code, v, _) = search(
        &url,
        &[
            "--config",
            config.to_str().unwrap(),
            "--idam",
            "PASCONNU0000",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(v["fault"]["detail_code"], "desir_550");
    assert!(
        v["fault"]["advice"]
            .as_str()
            .unwrap()
            .contains("CNDA authorisation number")
    );
}

#[test]
fn authentication_failures_show_their_advice() {
    let (_server, url) = serve(&[]);
    let ca = pki("ca.pem");
    let with = |cert: &str, ca: &str| {
        let (c, k) = (pki(&format!("{cert}.pem")), pki(&format!("{cert}.key")));
        search(
            &url,
            &[
                "--ca",
                ca,
                "--cert",
                &c,
                "--key",
                &k,
                "--idam",
                "INSIBENCH001",
            ],
            &[],
        )
    };

    let (code, v, _) = with("wrong-cn", &ca);
    assert_eq!(code, 1);
    assert!(
        v["fault"]["detail_code"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("desir_560")
    );
    assert!(
        v["fault"]["advice"]
            .as_str()
            .unwrap()
            .contains("INSI-AUTO or INSI-MANU")
    );

    let (code, v, _) = with("foreign-client", &ca);
    assert_eq!(code, 1);
    assert!(
        v["error"]["advice"].as_str().unwrap().contains("IGC-Santé"),
        "{v}"
    );

    let (code, v, _) = with("insi-auto", &pki("foreign-ca.pem"));
    assert_eq!(code, 1);
    assert!(
        v["error"]["advice"].as_str().unwrap().contains("--ca"),
        "{v}"
    );

    let (code, v, _) = search(&url, &["--ca", &ca, "--idam", "INSIBENCH001"], &[]);
    assert_eq!(
        code, 2,
        "no certificate for an mTLS URL is a usage error: {v}"
    );
}

#[test]
fn desir_1020_retries_are_bounded_and_counted() {
    let (_server, url) = serve(&["--fault-rate", "desir_1020=1"]);
    let (ca, cert, key) = (pki("ca.pem"), pki("insi-auto.pem"), pki("insi-auto.key"));
    for (retries, expected) in [("0", 1), ("2", 3)] {
        let (code, v, stderr) = search(
            &url,
            &[
                "--ca",
                &ca,
                "--cert",
                &cert,
                "--key",
                &key,
                "--idam",
                "INSIBENCH001",
                "--retries",
                retries,
            ],
            &[],
        );
        assert_eq!(code, 1, "{stderr}");
        let attempts = v["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), expected);
        for (i, a) in attempts.iter().enumerate() {
            assert_eq!(a["retry"], i);
            assert_eq!(a["fault"], "desir_1020");
        }
        assert_eq!(v["fault"]["detail_code"], "desir_1020");
    }
}

/// The decoder's warnings reach `search` output (JSON and text) from the client's trace: the
/// answer is decoded once, by the client.
#[test]
fn decoder_warnings_are_shown_with_their_attempt() {
    let (_server, url) = serve(&[
        "--inject",
        "ADRUN/ZOE=testdata/xml/resultat-00-histo-cle-invalide.xml",
    ]);
    let (ca, cert, key) = (pki("ca.pem"), pki("insi-auto.pem"), pki("insi-auto.key"));
    let flags = [
        "--ca",
        &ca,
        "--cert",
        &cert,
        "--key",
        &key,
        "--idam",
        "INSIBENCH001",
    ];
    let (code, v, stderr) = search(&url, &flags, &[]);
    assert_eq!(code, 0, "{stderr}");
    let warnings = v["attempts"][0]["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings in {v}"));
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("2810363220456"))),
        "{warnings:?}"
    );
}
