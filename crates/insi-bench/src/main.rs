//! `insi-bench`: the command line over the workspace crates.
//!
//! `cli` declares the command tree (clap derive); each subcommand lives in `cmd/<name>.rs` with
//! its own `Args` and a `run` that returns the process exit code. The binary stays thin: the work
//! is done by the library crates (`ins`, …), and this crate only reads arguments, calls them and
//! prints — for people by default, JSON with `--json`.
//!
//! Exit codes: 0 success, 1 a negative answer (invalid, refused, failed case), 2 a usage or setup
//! error.

mod cli;
mod cmd;
mod output;
mod package;
mod prompt;
mod report;
mod runner;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("insi-bench: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
