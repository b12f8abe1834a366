//! `insi-bench run PACKAGE`: replay a test package against the embedded simulator (default), an
//! environment or a URL; journal each case as it finishes; write the reports.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use insi_client::{Environment, RetryPolicy};
use insi_soap::Caller;

use crate::output;
use crate::package;
use crate::report::{self, Run, Summary, terminal};
use crate::runner::execute::RunSettings;
use crate::runner::journal::{self, CaseResult, Header, Journal};
use crate::runner::target::RunTarget;
use crate::runner::{load_injections, run_cases, select};

/// The installation identity the runner sends as ContexteLPS/LPS/Instance: fixed, so that runs
/// are recognisable as insi-bench's on a server's side.
const RUNNER_INSTANCE: &str = "6e2a1b6c-2f55-4c52-9a8e-1b3d5c7e9f01";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The package directory (holding package.toml).
    package: PathBuf,
    /// sim (embedded simulator, default), qualif-mtls, qualif-cpx, prod-mtls, prod-cpx, or an
    /// https:// URL (e.g. a standalone `insi-bench sim serve`).
    #[arg(long, value_name = "TARGET", default_value = "sim")]
    target: String,
    /// For `auth = "cpx"` cases against a non-sim target: the CPx host (qualif-cpx, prod-cpx, or
    /// a URL such as the CPx host of `sim serve --mode both`) [default: qualif-cpx for
    /// qualif-mtls, prod-cpx for prod-mtls, else --target itself].
    #[arg(long, value_name = "TARGET")]
    cpx_target: Option<String>,
    /// Run only these cases (repeatable, or comma-separated).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    only: Vec<String>,
    /// Where the journal and reports go [default: reports/<package name>].
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// JUnit XML report path [default: <report-dir>/junit.xml].
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// JSON report path [default: <report-dir>/report.json].
    #[arg(long = "json-report", value_name = "FILE")]
    json_report: Option<PathBuf>,
    /// HTML evidence report path [default: <report-dir>/report.html].
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Continue an interrupted run: cases already in the journal are not run again.
    #[arg(long)]
    resume: bool,
    /// Cases run at the same time.
    #[arg(long, value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// For a non-sim target: directory with ca.pem and <name>.pem/.key client credentials
    /// (insi-auto, insi-manu, wrong-cn, foreign-client).
    #[arg(long, value_name = "DIR", default_value = "testdata/pki")]
    pki: PathBuf,
    /// For a non-sim target: server CA bundle [default: <pki>/ca.pem].
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Authorisation number (IDAM) sent to a non-sim target.
    #[arg(long, value_name = "IDAM", default_value = "INSIBENCH001")]
    idam: String,
    /// Timeout of one HTTP exchange, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
    /// Allow replaying the package against production (refused otherwise).
    #[arg(long)]
    i_know_this_is_production: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

pub fn run(args: &Args, json: bool) -> anyhow::Result<ExitCode> {
    let started_at = Instant::now();
    let package = match package::load(&args.package) {
        Ok(p) => p,
        Err(errors) => {
            eprint!("insi-bench: {errors}");
            return Ok(ExitCode::from(2));
        }
    };
    let env: Environment = args
        .target
        .parse()
        .map_err(|e| anyhow::anyhow!("--target: {e}"))?;
    if env.is_production() && !args.i_know_this_is_production {
        anyhow::bail!(
            "refusing to replay a test package against production ({}): packages are test \
             material; target qualification or the simulator, or add --i-know-this-is-production",
            env.name()
        );
    }
    let cpx_env: Option<Environment> = match &args.cpx_target {
        Some(t) => Some(
            t.parse()
                .map_err(|e| anyhow::anyhow!("--cpx-target: {e}"))?,
        ),
        None => None,
    };
    if cpx_env.is_some() && env == Environment::Sim {
        anyhow::bail!(
            "--cpx-target is for a non-sim --target: the embedded simulator runs its own CPx host"
        );
    }
    if let Some(cpx) = &cpx_env
        && cpx.is_production()
        && !args.i_know_this_is_production
    {
        anyhow::bail!(
            "refusing to replay a test package against production ({}): add              --i-know-this-is-production if you really mean it",
            cpx.name()
        );
    }
    let cases = select(&package, &args.only)?;
    let injections = load_injections(&package)?;
    let report_dir = args
        .report_dir
        .clone()
        .unwrap_or_else(|| Path::new("reports").join(&package.manifest.name));
    let call_timeout = Duration::from_secs_f64(args.timeout.max(0.001));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let style = terminal::Style::detect();
    let mut progress = None;

    // The target comes first: a setup error must not leave a journal behind.
    let (new_results, previous, header) = runtime.block_on(async {
        let target = match &env {
            Environment::Sim => {
                RunTarget::embedded(package.personas.as_deref(), call_timeout).await?
            }
            other => RunTarget::remote(
                other,
                cpx_env.as_ref(),
                &args.pki,
                args.ca.as_deref(),
                args.idam.clone(),
                call_timeout,
            )?,
        };
        let (mut journal, previous, header) = if args.resume {
            let (journal, previous) = Journal::resume(&report_dir, &package.manifest.name)?;
            let header = previous.header.clone();
            (journal, Some(previous), header)
        } else {
            let header = Header {
                journal: 1,
                package: package.manifest.name.clone(),
                package_version: package.manifest.version.clone(),
                target: target.label.clone(),
                started: jiff::Timestamp::now().to_string(),
            };
            (Journal::create(&report_dir, &header)?, None, header)
        };
        let done: HashSet<&str> = previous
            .iter()
            .flat_map(|p| p.results.iter().map(|r| r.id.as_str()))
            .collect();
        let todo: Vec<_> = cases
            .iter()
            .copied()
            .filter(|c| !done.contains(c.case.id.as_str()))
            .collect();
        progress = progress_bar(todo.len(), args.no_progress || json);
        let settings = RunSettings {
            policy: runner_policy(&env, call_timeout),
            acknowledged_production: args.i_know_this_is_production,
            caller_template: Caller {
                idam: target.idam.clone(),
                lps_version: env!("CARGO_PKG_VERSION").into(),
                instance: RUNNER_INSTANCE.into(),
                nom: format!("urn:lps:insi-bench:{}", env!("CARGO_PKG_VERSION")),
                emetteur: String::new(),
            },
            default_auth: package.manifest.defaults.auth,
            default_strategy: package.manifest.defaults.strategy,
            package_root: package.root.clone(),
        };
        let results = run_cases(
            &todo,
            &target,
            &settings,
            &injections,
            &mut journal,
            args.jobs,
            |result| {
                if json {
                    return;
                }
                let lines = terminal::case_lines(style, result);
                match &progress {
                    Some(bar) => {
                        bar.println(lines.trim_end());
                        bar.inc(1);
                    }
                    None => print!("{lines}"),
                }
            },
        )
        .await;
        target.shutdown().await;
        anyhow::Ok((results?, previous, header))
    })?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }

    // Reports come from everything recorded: earlier runs' cases (on --resume) and this one's,
    // in package order.
    let resumed = previous.as_ref().map_or(0, |p| p.results.len());
    let mut all: Vec<CaseResult> = previous.map(|p| p.results).unwrap_or_default();
    all.extend(new_results);
    let order: std::collections::HashMap<&str, usize> = package
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.case.id.as_str(), i))
        .collect();
    all.sort_by_key(|r| order.get(r.id.as_str()).copied().unwrap_or(usize::MAX));
    let wall_ms = started_at.elapsed().as_secs_f64() * 1000.0;
    let run = Run {
        header: &header,
        finished: jiff::Timestamp::now().to_string(),
        wall_ms,
        summary: Summary::of(&all),
        cases: &all,
    };
    let paths = [
        args.json_report
            .clone()
            .unwrap_or_else(|| report_dir.join("report.json")),
        args.junit
            .clone()
            .unwrap_or_else(|| report_dir.join("junit.xml")),
        args.html
            .clone()
            .unwrap_or_else(|| report_dir.join("report.html")),
    ];
    report::json::write(&run, &paths[0])?;
    report::junit::write(&run, &paths[1])?;
    report::html::write(&run, &paths[2])?;

    if json {
        output::json(&run)?;
    } else {
        if resumed > 0 {
            println!("(resumed: {resumed} cases were already recorded in the journal)");
        }
        println!("{}", terminal::summary_line(style, run.summary, wall_ms));
        println!(
            "journal: {}\nreports: {}, {}, {}",
            report_dir.join(journal::FILE_NAME).display(),
            paths[0].display(),
            paths[1].display(),
            paths[2].display()
        );
    }
    Ok(if run.summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Against the simulator, retries wait a few milliseconds (the outage is simulated); against a
/// real service, the client's default backoff.
fn runner_policy(env: &Environment, call_timeout: Duration) -> RetryPolicy {
    let mut policy = RetryPolicy {
        call_timeout,
        ..RetryPolicy::default()
    };
    if matches!(env, Environment::Sim) {
        policy.base_delay = Duration::from_millis(5);
    }
    policy
}

fn progress_bar(len: usize, hidden: bool) -> Option<indicatif::ProgressBar> {
    if hidden || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed}")
    {
        bar.set_style(style);
    }
    Some(bar)
}
