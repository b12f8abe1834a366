//! `insi-bench run PACKAGE`: replay a test package against the embedded simulator (default), an
//! environment or a URL; journal each case as it finishes; write the reports. The engine is
//! `insi-runner`; this module turns flags into its settings and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use insi_client::Environment;
use insi_report::terminal;
use insi_runner::{
    EmbeddedSpec, Fanout, JournalSettings, RemoteSpec, RunError, RunSettings, Runner, Sink, Target,
    TargetSpec, check_production, journal,
};

use super::connect;
use crate::live::CaseLines;
use crate::output::{self, outln};

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
    #[command(flatten)]
    reports: super::reports::ReportArgs,
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
    /// Emetteur sent in mTLS cases [default: the OU of each client certificate].
    #[arg(long, value_name = "ID")]
    emetteur: Option<String>,
    /// Timeout of one HTTP exchange, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
    /// Allow replaying the package against production (refused otherwise).
    #[arg(long)]
    i_know_this_is_production: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Also record the run in this results history (SQLite; created if missing), for
    /// `insi-bench history` and `insi-bench compare`.
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// A label stored with the run in the history (e.g. the version of the software under
    /// test); `git describe` of the current directory is stored too when it is a git checkout.
    #[arg(long, value_name = "TEXT", requires = "history")]
    label: Option<String>,
}

pub fn run(args: &Args, json: bool) -> anyhow::Result<ExitCode> {
    let package = match insi_package::load(&args.package) {
        Ok(p) => p,
        Err(errors) => {
            eprint!("insi-bench: {errors}");
            return Ok(ExitCode::from(2));
        }
    };
    let call_timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    // Production is refused before anything at all is sent there.
    let spec = target_spec(args, package.personas.as_deref())?;
    let report_dir = args.reports.dir(&package.manifest.name);
    let settings = RunSettings {
        only: args.only.clone(),
        jobs: args.jobs,
        call_timeout,
        acknowledged_production: args.i_know_this_is_production,
        journal: Some(JournalSettings {
            dir: report_dir.clone(),
            resume: args.resume,
        }),
        ..RunSettings::default()
    };

    // The history is opened first: a locked or foreign file is a setup error, before any case.
    let mut history = match &args.history {
        Some(path) => Some(insi_history::RunSink::new(
            insi_history::History::open(path)?,
            super::history::meta(args.label.clone()),
        )),
        None => None,
    };

    let runtime = connect::runtime()?;
    let outcome = runtime.block_on(async {
        let target = Target::resolve(spec, call_timeout).await?;
        let result = async {
            // Setup errors (cards, injection files, --only) come before the journal exists.
            let runner = Runner::new(&package, &target, settings)?;
            let mut lines = CaseLines::new(!json, args.no_progress);
            let mut sinks: Vec<&mut dyn Sink> = vec![&mut lines];
            if let Some(history) = history.as_mut() {
                sinks.push(history);
            }
            let run = runner.run(&mut Fanout(sinks)).await;
            lines.done();
            run
        }
        .await;
        target.shutdown().await;
        anyhow::Ok(result)
    })?;
    // A run whose history record failed still gets its reports, then exits 2 with the cause.
    let (run, late_error) = match outcome {
        Ok(run) => (run, None),
        Err(RunError::Finish { run, source }) => (*run, Some(source)),
        Err(e) => return Err(e.into()),
    };

    // Reports are derived from the journal: one that cannot be written loses nothing, so the
    // summary is still shown and the error says how to get the reports back.
    let journal_path = report_dir.join(journal::FILE_NAME);
    let (paths, report_error) = match args.reports.write(&run, &report_dir) {
        Ok(paths) => (Some(paths), None),
        Err(e) => (None, Some(e)),
    };

    if json {
        output::json(&run)?;
    } else {
        let style = terminal::Style::detect();
        if run.resumed > 0 {
            outln!(
                "(resumed: {} cases were already recorded in the journal)",
                run.resumed
            )?;
        }
        outln!(
            "{}",
            terminal::summary_line(style, &run.summary, run.wall_ms)
        )?;
        outln!("journal: {}", journal_path.display())?;
        if let Some(paths) = &paths {
            outln!(
                "reports: {}, {}, {}",
                paths[0].display(),
                paths[1].display(),
                paths[2].display()
            )?;
        }
    }
    if let (Some(id), Some(path), false) = (
        history.as_ref().and_then(|h| h.recorded),
        &args.history,
        json,
    ) {
        outln!("history: run #{id} recorded in {}", path.display())?;
    }
    if let Some(e) = report_error {
        anyhow::bail!(
            "{e:#}; the journal {} holds the whole run: free space or choose other report paths, \
             then run the same command with --resume to write the reports without running any \
             case again",
            journal_path.display()
        );
    }
    if let Some(e) = late_error {
        anyhow::bail!("{e} (the journal and the reports are complete)");
    }
    Ok(if run.summary.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--target`/`--cpx-target` as a target spec: the embedded simulator with the package's
/// personas, or a remote environment with the credentials of `--pki`.
fn target_spec(args: &Args, personas: Option<&Path>) -> anyhow::Result<TargetSpec> {
    let env: Environment = args
        .target
        .parse()
        .map_err(|e| anyhow::anyhow!("--target: {e}"))?;
    let cpx_env: Option<Environment> = match &args.cpx_target {
        Some(t) => Some(
            t.parse()
                .map_err(|e| anyhow::anyhow!("--cpx-target: {e}"))?,
        ),
        None => None,
    };
    for named in std::iter::once(&env).chain(&cpx_env) {
        check_production(
            named.is_production(),
            named.name(),
            args.i_know_this_is_production,
        )?;
    }
    if env == Environment::Sim {
        if cpx_env.is_some() {
            anyhow::bail!(
                "--cpx-target is for a non-sim --target: the embedded simulator runs its own CPx \
                 host"
            );
        }
        let mut spec = match personas {
            Some(path) => EmbeddedSpec::with_personas_file(path)?,
            None => EmbeddedSpec::default(),
        };
        spec.emetteur = args.emetteur.clone();
        return Ok(TargetSpec::embedded(spec));
    }
    let mut spec = RemoteSpec::from_pki_dir(
        env,
        cpx_env,
        &args.pki,
        args.ca.as_deref(),
        args.idam.clone(),
    )?;
    spec.emetteur = args.emetteur.clone();
    Ok(TargetSpec::remote(spec))
}
