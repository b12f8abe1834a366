//! `gen-test-pki [--key rsa|ecdsa] [DIR]`: regenerates the test PKI (default `testdata/pki`,
//! RSA-2048 like IGC-Santé). NOT FOR PRODUCTION.
//!
//! Run through `scripts/gen-test-pki`. Writes PEM certificates (with their chain), PKCS#8 keys
//! and PKCS#12 files (password `insi-bench`); see `testdata/pki/README.md` for the list.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use insi_sim::pki::{KeyKind, PKCS12_PASSWORD, TestPki};

const USAGE: &str =
    "usage: gen-test-pki [--key rsa|ecdsa] [DIR]   (default: --key rsa testdata/pki)";

fn main() -> ExitCode {
    let mut kind = KeyKind::Rsa;
    let mut dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => match args.next().as_deref().and_then(KeyKind::parse) {
                Some(k) => kind = k,
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            a if a.starts_with('-') || dir.is_some() => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
            a => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.unwrap_or_else(|| PathBuf::from("testdata/pki"));
    let started = Instant::now();
    let pki = match TestPki::generate_with(kind) {
        Ok(pki) => pki,
        Err(err) => {
            eprintln!("gen-test-pki: {err}");
            return ExitCode::FAILURE;
        }
    };
    let generated = started.elapsed();
    match pki.write_to(&dir) {
        Ok(files) => {
            println!(
                "gen-test-pki: {} keys, generated in {} ms; wrote {} files to {} (TEST PKI, NOT \
                 FOR PRODUCTION; PKCS#12 password '{PKCS12_PASSWORD}')",
                kind.as_str(),
                generated.as_millis(),
                files.len(),
                dir.display(),
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("gen-test-pki: {err}");
            ExitCode::FAILURE
        }
    }
}
