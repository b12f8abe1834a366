//! Replays a test package against the embedded simulator and prints one line per case: what a
//! Rust publisher would put in their own tooling. `insi-bench run` does the same with reports.
//!
//! ```sh
//! cargo run -p insi-runner --example run_package -- testdata/packages/cnda-public
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use insi_runner::{
    CaseResult, EmbeddedSpec, RunSettings, Runner, Sink, SinkError, Target, TargetSpec,
};

/// Prints each case as it finishes.
struct Lines;

impl Sink for Lines {
    fn case(&mut self, result: &CaseResult) -> Result<(), SinkError> {
        println!(
            "{:<5} {:<24} {:>2} calls  {}",
            result.status.as_str(),
            result.id,
            result.outcome.calls(),
            result.outcome.summary()
        );
        for m in &result.mismatches {
            println!(
                "      {}: expected {}, got {}",
                m.field, m.expected, m.actual
            );
        }
        Ok(())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let dir = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from("testdata/packages/cnda-public"),
        PathBuf::from,
    );
    let package = insi_package::load(&dir)?;
    // The package's own personas when it has them, else the shipped ones.
    let spec = match &package.personas {
        Some(path) => EmbeddedSpec::with_personas_file(path)?,
        None => EmbeddedSpec::default(),
    };
    let target = Target::resolve(TargetSpec::embedded(spec), Duration::from_secs(10)).await?;
    let run = Runner::new(&package, &target, RunSettings::default())?
        .run(&mut Lines)
        .await?;
    target.shutdown().await;
    println!(
        "{} cases: {} passed, {} failed in {:.0} ms",
        run.summary.total, run.summary.passed, run.summary.failed, run.wall_ms
    );
    Ok(if run.summary.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
