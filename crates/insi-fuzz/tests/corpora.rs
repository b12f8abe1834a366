//! Replays the checked-in fuzz corpora through the targets, on stable, as part of the ordinary
//! test run: every file of `fuzz/corpus/NAME/` and `fuzz/regressions/NAME/` goes through
//! `insi_fuzz::TARGETS`' function `NAME`, so a crash found once stays fixed. Also keeps the
//! target lists in step: each target has a non-empty corpus and a cargo-fuzz binary, and no
//! corpus directory belongs to a target that does not exist.

use std::fs;
use std::path::{Path, PathBuf};

use insi_fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir` (not recursive), sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn names_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Runs one target over every file of a directory, naming the file that fails.
fn replay(name: &str, target: insi_fuzz::Target, dir: &Path) -> usize {
    let inputs = files(dir);
    for file in &inputs {
        let data = fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let outcome = std::panic::catch_unwind(|| target(&data));
        if let Err(panic) = outcome {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            panic!(
                "fuzz target {name} fails on {}: {why}\nreproduce: cargo nextest run -p insi-fuzz --test corpora",
                file.display()
            );
        }
    }
    inputs.len()
}

#[test]
fn every_corpus_and_regression_file_passes_its_target() {
    let mut total = 0;
    for (name, target) in TARGETS {
        total += replay(name, *target, &fuzz_dir().join("corpus").join(name));
        total += replay(name, *target, &fuzz_dir().join("regressions").join(name));
    }
    assert!(
        total > 0,
        "no corpus file found under {}",
        fuzz_dir().display()
    );
}

#[test]
fn every_target_has_a_corpus_and_a_fuzz_binary() {
    let corpus = fuzz_dir().join("corpus");
    let mut missing = Vec::new();
    for (name, _) in TARGETS {
        if files(&corpus.join(name)).is_empty() {
            missing.push(format!("fuzz/corpus/{name}/ is empty or missing"));
        }
        let binary = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        if !binary.is_file() {
            missing.push(format!("{} is missing", binary.display()));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn no_corpus_or_regression_without_a_target() {
    let known: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    for sub in ["corpus", "regressions"] {
        for name in names_in(&fuzz_dir().join(sub)) {
            assert!(
                known.contains(&name.as_str()),
                "fuzz/{sub}/{name}/ belongs to no target of insi_fuzz::TARGETS"
            );
        }
    }
    let cargo = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap_or_default();
    for name in known {
        assert!(
            cargo.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] for {name}"
        );
    }
}
