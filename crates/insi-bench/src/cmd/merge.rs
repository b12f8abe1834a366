//! `insi-bench merge FILE…`: combine load results of several processes or machines (counts
//! summed, percentiles from the summed histograms; docs/load.md). Flags and glue only.

use std::path::PathBuf;
use std::process::ExitCode;

use insi_load::report::{LoadReport, merge};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON results of `insi-bench load --json-report` (or of an earlier merge).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Write the merged JSON result here.
    #[arg(long = "json-report", value_name = "FILE")]
    json_report: Option<PathBuf>,
    /// Write the merged HTML report here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the merged latency histograms as an HdrHistogram interval log here.
    #[arg(long, value_name = "FILE")]
    hdr: Option<PathBuf>,
    /// Label of the merged result [default: "merge of N runs"].
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
}

pub fn run(args: &Args, json: bool) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        reports.push(LoadReport::read(file)?);
    }
    let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
    let merged = merge(&reports, &names, args.label.clone())?;
    super::load::write_outputs(
        &merged,
        args.json_report.as_deref(),
        args.html.as_deref(),
        args.hdr.as_deref(),
    )?;
    if json {
        crate::output::json(&merged)?;
    } else {
        crate::output::out(format_args!("{}", insi_load::print::table(&merged)))?;
        for s in &merged.sources {
            crate::output::outln!(
                "  source {} (slice {}): {} requests, {} right",
                s.file,
                s.slice,
                s.requests,
                s.ok
            )?;
        }
    }
    Ok(super::load::verdict(&merged))
}
