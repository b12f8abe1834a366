//! One module per subcommand; `run` dispatches.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod answer;
pub mod card;
pub mod cert;
pub mod check_client;
pub mod config;
pub mod connect;
pub mod decode;
pub mod history;
pub mod load;
pub mod merge;
pub mod nir;
pub mod normalize;
pub mod package;
pub mod reports;
pub mod run;
pub mod search;
pub mod sim;
pub mod verify;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Nir(command) => nir::run(command, cli.json),
        Command::Normalize(args) => normalize::run(&args, cli.json),
        Command::Decode(args) => decode::run(&args, cli.json),
        Command::Package(command) => package::run(command, cli.json),
        Command::Cert(command) => cert::run(command, cli.json),
        Command::Config(command) => config::run(command, cli.json),
        Command::Search(command) => search::run(command, cli.json),
        Command::Verify(args) => verify::run(args, cli.json),
        Command::Sim(command) => sim::run(command, cli.json),
        Command::Run(args) => run::run(&args, cli.json),
        Command::History(args) => history::list(&args, cli.json),
        Command::Compare(args) => history::run_compare(&args, cli.json),
        Command::Load(args) => load::run(&args, cli.json),
        Command::Merge(args) => merge::run(&args, cli.json),
        Command::CheckClient(args) => check_client::run(&args, cli.json),
        Command::Card(command) => card::run(command, cli.json),
    }
}
