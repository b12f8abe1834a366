//! The command tree. Each subcommand's arguments live next to its code in `cmd/`.

use clap::{Parser, Subcommand};

use crate::cmd;

#[derive(Debug, Parser)]
#[command(
    name = "insi-bench",
    version,
    about = "Test bench for INSi integrations (INS retrieval, CNDA test cases, CPx/Vitale cards)",
    long_about = None,
    propagate_version = true,
)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a test package (the embedded simulator by default) and write the reports.
    Run(cmd::run::Args),
    /// List the runs recorded in a results history (`run --history F`).
    History(cmd::history::HistoryArgs),
    /// Compare two runs (ids, last, previous, or result files): exit 1 on a regression.
    Compare(cmd::history::CompareArgs),
    /// Load an INSi endpoint (embedded simulator by default): throughput, latency, every answer checked.
    Load(cmd::load::Args),
    /// Merge load results of several processes or machines.
    Merge(cmd::merge::Args),
    /// Judge your own software's INSi client: the simulator serves, your requests are checked.
    CheckClient(cmd::check_client::Args),
    /// Search an INS (embedded simulator by default, or qualification/production).
    #[command(subcommand)]
    Search(cmd::search::SearchCommand),
    /// Verify a stored INS against the service.
    Verify(cmd::verify::Args),
    /// Run the INSi simulator (mTLS/CPx hosts, personas, synthetic population, faults).
    #[command(subcommand)]
    Sim(cmd::sim::SimCommand),
    /// Smart cards through PC/SC: list readers, read a CPx or a Vitale, emulate a card.
    #[command(subcommand)]
    Card(cmd::card::CardCommand),
    /// Inspect a certificate (PEM, DER or PKCS#12) before using it with INSi.
    #[command(subcommand)]
    Cert(cmd::cert::CertCommand),
    /// Write a commented configuration file.
    #[command(subcommand)]
    Config(cmd::config::ConfigCommand),
    /// Work with test packages (check one without running it).
    #[command(subcommand)]
    Package(cmd::package::PackageCommand),
    /// Decode INSi response files (RESULTAT or SOAP Fault), e.g. CNDA-injected responses.
    Decode(cmd::decode::Args),
    /// Check a matricule (NIR/NIA) and its key.
    #[command(subcommand)]
    Nir(cmd::nir::NirCommand),
    /// Normalise a nom de naissance or a list of prénoms the way INSi requires.
    Normalize(cmd::normalize::Args),
}
