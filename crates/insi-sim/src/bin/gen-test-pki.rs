//! `gen-test-pki [DIR]`: regenerates the test PKI (default `testdata/pki`). NOT FOR PRODUCTION.
//!
//! Run through `scripts/gen-test-pki`. Writes PEM certificates, PKCS#8 keys and PKCS#12 files
//! (password `insi-bench`); see `testdata/pki/README.md` for the list.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let dir = args
        .next()
        .map_or_else(|| PathBuf::from("testdata/pki"), PathBuf::from);
    if args.next().is_some() || dir.to_str().is_some_and(|d| d.starts_with('-')) {
        eprintln!("usage: gen-test-pki [DIR]   (default testdata/pki)");
        return ExitCode::from(2);
    }
    let pki = match insi_sim::pki::TestPki::generate() {
        Ok(pki) => pki,
        Err(err) => {
            eprintln!("gen-test-pki: {err}");
            return ExitCode::FAILURE;
        }
    };
    match pki.write_to(&dir) {
        Ok(files) => {
            println!(
                "gen-test-pki: wrote {} files to {} (TEST PKI, NOT FOR PRODUCTION; PKCS#12 password '{}')",
                files.len(),
                dir.display(),
                insi_sim::pki::PKCS12_PASSWORD
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("gen-test-pki: {err}");
            ExitCode::FAILURE
        }
    }
}
