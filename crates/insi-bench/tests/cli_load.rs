//! `insi-bench load` and `insi-bench merge` through the real binary, over real TLS on loopback:
//! against the embedded simulator (classes sum to the total, no wrong answer), with chaos faults
//! (counted per fault code, not as wrong answers), against a standalone `sim serve` holding
//! another population (wrong answers, exit 1), and three processes sharing one `sim serve`,
//! merged (counts add up, percentiles from the merged histogram).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use insi_load::report::{LoadReport, decode_histogram};

mod common;
use common::sim::{Server, start, url};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_insi-bench"));
    c.current_dir(workspace());
    c
}

/// A standalone simulator on an ephemeral port with a population; returns it and its URL.
fn serve(population: u64, seed: u64) -> (Server, String) {
    let (population, seed) = (population.to_string(), seed.to_string());
    let (server, banner) = start(&["--population", &population, "--seed", &seed]);
    (server, url(&banner))
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn class_sum(r: &serde_json::Value) -> u64 {
    r["classes"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

#[test]
fn load_checks_every_answer_of_the_embedded_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let (json, html, hdr) = (
        dir.path().join("r.json"),
        dir.path().join("r.html"),
        dir.path().join("r.hlog"),
    );
    let out = bin()
        .args([
            "--json",
            "load",
            "--requests",
            "400",
            "--population",
            "5000",
        ])
        .args(["--concurrency", "4", "--label", "test run"])
        .arg("--json-report")
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .arg("--hdr")
        .arg(&hdr)
        .output()
        .unwrap();
    let r = json_of(&out);
    assert!(out.status.success(), "{r}");
    assert_eq!(r["requests"], 400);
    assert_eq!(class_sum(&r), 400, "{}", r["classes"]);
    assert_eq!(r["classes"]["ok"], 400, "{}", r["classes"]);
    assert!(r["classes"].get("wrong-answer").is_none());
    // The CNDA strategy makes more calls than searches (misses walk the first names, COG
    // searches re-query).
    assert!(r["calls"].as_u64().unwrap() > 400);
    assert_eq!(r["format"], 1);
    assert_eq!(r["label"], "test run");
    assert!(r["latency_ms"]["p99"].as_f64().unwrap() >= r["latency_ms"]["p50"].as_f64().unwrap());

    // The file is the same result, readable back; the histogram holds every right answer.
    let back = LoadReport::read(&json).unwrap();
    assert_eq!(back.requests, 400);
    assert_eq!(back.latency_histogram().unwrap().len(), 400);
    let per_interval: u64 = back.intervals.iter().map(|i| i.requests).sum();
    assert_eq!(per_interval, 400);
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg").count(), 4);
    let log = std::fs::read_to_string(&hdr).unwrap();
    assert!(log.contains("#[StartTime: "), "{log}");
    let intervals = insi_load::hdr::read_log(log.as_bytes()).unwrap();
    assert_eq!(insi_load::hdr::total(&intervals).len(), 400);
}

#[test]
fn chaos_faults_are_counted_by_code_not_as_wrong_answers() {
    let out = bin()
        .args([
            "--json",
            "load",
            "--requests",
            "300",
            "--population",
            "3000",
        ])
        .args(["--concurrency", "4", "--mix", "traits=1"])
        .args(["--sim-fault-rate", "desir_1020=0.3"])
        .output()
        .unwrap();
    let r = json_of(&out);
    assert!(out.status.success(), "{r}");
    let faults = r["classes"]["fault:desir_1020"].as_u64().unwrap_or(0);
    let ok = r["classes"]["ok"].as_u64().unwrap_or(0);
    assert!(faults > 0 && ok > 0, "{}", r["classes"]);
    assert_eq!(faults + ok, 300, "{}", r["classes"]);
    assert_eq!(r["errors"], faults);
    // Faults are not latency samples.
    let h = decode_histogram(r["histogram"].as_str().unwrap()).unwrap();
    assert_eq!(h.len(), ok);
}

#[test]
fn another_population_gives_wrong_answers_and_exit_1() {
    let (_server, url) = serve(2_000, 1);
    let out = bin()
        .args(["--json", "load", "--target", &url, "--requests", "100"])
        .args(["--population", "2000", "--seed", "2", "--concurrency", "2"])
        .output()
        .unwrap();
    let r = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "{r}");
    let wrong = r["classes"]["wrong-answer"].as_u64().unwrap_or(0);
    assert!(wrong > 50, "{}", r["classes"]);
    assert_eq!(class_sum(&r), 100);
    assert!(!r["mismatches"].as_array().unwrap().is_empty());
}

#[test]
fn three_processes_on_one_simulator_merge_exactly() {
    let (_server, url) = serve(3_000, 4);
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("w{i}.json")))
        .collect();
    let children: Vec<Child> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            bin()
                .args(["load", "--target", &url, "--requests", "150"])
                .args(["--population", "3000", "--seed", "4", "--concurrency", "2"])
                .args(["--slice", &format!("{i}/3"), "--no-progress"])
                .arg("--json-report")
                .arg(f)
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let merged_path = dir.path().join("merged.json");
    let out = bin()
        .arg("merge")
        .args(&files)
        .arg("--json-report")
        .arg(&merged_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("merged from 3 runs"));

    let parts: Vec<LoadReport> = files.iter().map(|f| LoadReport::read(f).unwrap()).collect();
    let merged = LoadReport::read(&merged_path).unwrap();
    assert_eq!(merged.requests, 450);
    assert_eq!(
        merged.requests,
        parts.iter().map(|p| p.requests).sum::<u64>()
    );
    assert_eq!(merged.calls, parts.iter().map(|p| p.calls).sum::<u64>());
    for (class, n) in &merged.classes {
        let sum: u64 = parts
            .iter()
            .map(|p| p.classes.get(class).copied().unwrap_or(0))
            .sum();
        assert_eq!(*n, sum, "{class}");
    }
    assert_eq!(merged.wrong_answers(), 0);
    // Percentiles come from the sum of the three histograms, not from their percentiles.
    let mut sum = parts[0].latency_histogram().unwrap();
    for p in &parts[1..] {
        sum.add(p.latency_histogram().unwrap()).unwrap();
    }
    let m = merged.latency_histogram().unwrap();
    assert_eq!(m.len(), sum.len());
    for q in [0.5, 0.9, 0.99, 0.999] {
        assert_eq!(m.value_at_quantile(q), sum.value_at_quantile(q), "q {q}");
    }
    assert_eq!(merged.sources.len(), 3);
    let slices: Vec<&str> = merged.sources.iter().map(|s| s.slice.as_str()).collect();
    assert_eq!(slices, ["0/3", "1/3", "2/3"]);
}

#[test]
fn the_shell_recipe_runs_three_processes_and_merges() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .current_dir(workspace())
        .arg("deploy/local/load-n.sh")
        .env("INSI_BENCH", env!("CARGO_BIN_EXE_insi-bench"))
        .env("N", "3")
        .env("REQUESTS", "60")
        .env("POPULATION", "3000")
        .env("CONCURRENCY", "2")
        .env("OUT", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = LoadReport::read(&dir.path().join("merged.json")).unwrap();
    assert_eq!(merged.requests, 180);
    assert_eq!(merged.ok, 180);
    assert_eq!(merged.sources.len(), 3);
    assert!(dir.path().join("merged.html").is_file());
    assert!(dir.path().join("merged.hlog").is_file());
}

#[test]
fn cpx_mode_signs_assertions_and_every_answer_is_right() {
    let out = bin()
        .args(["--json", "load", "--auth", "cpx", "--requests", "60"])
        .args(["--population", "3000", "--concurrency", "2"])
        .output()
        .unwrap();
    let r = json_of(&out);
    assert!(out.status.success(), "{r}");
    assert_eq!(r["config"]["auth"], "cpx");
    assert_eq!(r["classes"]["ok"], 60, "{}", r["classes"]);
}

/// `load --history` records the result; `history` lists it as a load run; `compare` reads load
/// result files too (a result compared with itself has no regression), and a package report
/// against a load result is a note, not a crash.
#[test]
fn load_results_go_into_the_history_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    let (history, json) = (dir.path().join("h.sqlite"), dir.path().join("r.json"));
    let out = bin()
        .args([
            "load",
            "--requests",
            "200",
            "--population",
            "5000",
            "--no-progress",
        ])
        .args(["--concurrency", "4", "--label", "build-1", "--history"])
        .arg(&history)
        .arg("--json-report")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("history: run #1 recorded"), "{stdout}");
    let list = bin()
        .args(["--json", "history", "--kind", "load"])
        .arg(&history)
        .output()
        .unwrap();
    let list = json_of(&list);
    assert_eq!(list[0]["kind"], "load", "{list}");
    assert_eq!(list[0]["label"], "build-1");
    assert!(
        list[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("200 requests"),
        "{list}"
    );
    let out = bin().arg("compare").arg(&json).arg(&json).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("no regression"), "{text}");
}
