//! `insi-bench`: the command line over the workspace crates.
//!
//! `cli` declares the command tree (clap derive); each subcommand lives in `cmd/<name>.rs` with
//! its own `Args` and a `run` that returns the process exit code. The binary is flags and glue:
//! the work is done by the library crates (`insi-package` loads packages, `insi-runner` resolves
//! targets and runs cases, `insi-report` renders, `insi-client` calls INSi, `insi-sim` serves),
//! and this crate only reads arguments, calls them and prints — for people by default, JSON with
//! `--json`.
//!
//! Exit codes: 0 success, 1 a negative answer (invalid, refused, failed case), 2 a usage or setup
//! error.

mod cli;
mod cmd;
mod live;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        // `insi-bench … | head`: the reader has gone, which is not an error worth a message.
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("insi-bench: error: {}", output::error_text(&err));
            ExitCode::from(2)
        }
    }
}
