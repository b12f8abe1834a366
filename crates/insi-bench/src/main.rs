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
    restore_sigpipe();
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("insi-bench: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `insi-bench … | head` must end quietly, like any Unix tool, instead of panicking on a closed
/// stdout: the Rust runtime ignores SIGPIPE, so we put back the default action.
fn restore_sigpipe() {
    // SAFETY: called first thing in `main`, before any thread exists; setting a signal's
    // disposition to its default is async-signal-safe and touches no Rust state.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
