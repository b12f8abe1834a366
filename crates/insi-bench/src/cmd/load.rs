//! `insi-bench load`: drive an INSi endpoint (the embedded simulator by default) with a seeded
//! request mix, check every answer, and write the results. Flags and glue only; the work is in
//! the `insi-load` crate (docs/load.md).

use crate::output::outln;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use insi_client::Environment;
use insi_load::config::{Auth, LoadConfig, Stop};
use insi_load::mix::Mix;
use insi_load::oracle::Population;
use insi_load::target::{Target, TargetSpec};
use insi_load::watch::Watcher;
use insi_load::workload::{Slice, Workload};
use insi_sim::chaos::{Chaos, ChaosConfig};
use insi_sim::personas::Personas;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// sim (embedded simulator, default), qualif-mtls, qualif-cpx, or an https:// URL such as a
    /// standalone `insi-bench sim serve` (started with the same --population and --seed).
    /// Production is refused.
    #[arg(long, value_name = "TARGET", default_value = "sim")]
    target: String,
    /// Authentication: mtls (establishment certificate) or cpx (PS assertion signed with a
    /// software key, cached 20 s). Default: the target's (cpx for qualif-cpx, else mtls).
    #[arg(long, value_parser = ["mtls", "cpx"])]
    auth: Option<String>,
    /// Workers, each with one request in flight (HTTP/1.1: one keep-alive connection each).
    #[arg(long, short = 'c', value_name = "N", default_value_t = 16)]
    concurrency: u32,
    /// How long to measure after the warm-up (30s, 2m, 500ms; a bare number is seconds).
    #[arg(long, short = 'z', value_name = "TIME", conflicts_with = "requests")]
    duration: Option<String>,
    /// How many requests to measure after the warm-up.
    #[arg(long, short = 'n', value_name = "N")]
    requests: Option<u64>,
    /// Open model: this many requests per second, latency measured from each request's
    /// intended send time (coordinated omission corrected). Default: closed model.
    #[arg(long, value_name = "R")]
    rate: Option<f64>,
    /// Requests sent but not measured at the start (connections, caches).
    #[arg(long, value_name = "TIME", default_value = "0s")]
    warmup: String,
    /// Request shapes and weights: traits, miss, homonym, cog, vitale
    /// [default: traits=0.8,miss=0.05,homonym=0.025,cog=0.025,vitale=0.1].
    #[arg(long, value_name = "MIX")]
    mix: Option<String>,
    /// Size of the synthetic population the target serves.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    population: u64,
    /// Seed of that population.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Seed of the request draws (which shape and which person each request is).
    #[arg(long, value_name = "S", default_value_t = 1)]
    draw_seed: u64,
    /// This process's share of the request sequence, I/N (scale-out: N processes with slices
    /// 0/N … N-1/N send together what one process would).
    #[arg(long, value_name = "I/N", default_value = "0/1")]
    slice: String,
    /// Offer HTTP/2 (one multiplexed connection) instead of HTTP/1.1 keep-alive connections.
    #[arg(long)]
    http2: bool,
    /// Timeout of one HTTP exchange, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
    /// Write the JSON result here (format: docs/load-result.schema.json).
    #[arg(long = "json-report", value_name = "FILE")]
    json_report: Option<PathBuf>,
    /// Write the single-file HTML report here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the latency histograms as an HdrHistogram interval log here.
    #[arg(long, value_name = "FILE")]
    hdr: Option<PathBuf>,
    /// A label for this run (the build under test, e.g. `git describe`).
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// Also record the result in this results history (SQLite; created if missing), for
    /// `insi-bench history` and `insi-bench compare`.
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Non-sim targets: directory with ca.pem and the client credentials insi-auto.pem and
    /// insi-auto.key (as `run --pki`).
    #[arg(long, value_name = "DIR", default_value = "testdata/pki")]
    pki: PathBuf,
    /// Non-sim targets: server CA bundle [default: <pki>/ca.pem].
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Non-sim targets, CPx: PS signature key (PKCS#8 PEM).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "testdata/cards/cps3-demo.sign.key.pem"
    )]
    ps_key: PathBuf,
    /// Non-sim targets, CPx: PS signature certificate.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "testdata/cards/cps3-demo.sign.pem"
    )]
    ps_cert: PathBuf,
    /// Non-sim targets: the IDAM sent.
    #[arg(long, value_name = "IDAM", default_value = "INSIBENCH001")]
    idam: String,
    /// Embedded simulator only: random faults, as `sim serve --fault-rate`.
    #[arg(long, value_name = "RATES")]
    sim_fault_rate: Option<String>,
    /// Embedded simulator only: answer delay, as `sim serve --latency`.
    #[arg(long, value_name = "LATENCY")]
    sim_latency: Option<String>,
    /// No live progress line.
    #[arg(long)]
    no_progress: bool,
}

/// `30s`, `2m`, `500ms`, `1.5` (seconds).
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .with_context(|| format!("'{text}' is not a duration (30s, 2m, 500ms)"))?;
    Duration::try_from_secs_f64(value * scale).with_context(|| format!("'{text}' is too long"))
}

pub fn run(args: &Args, json: bool) -> anyhow::Result<ExitCode> {
    // Opened first: a locked or foreign history file is a setup error, before any request.
    let mut history = match &args.history {
        Some(path) => Some(insi_history::History::open(path)?),
        None => None,
    };
    let env: Environment = args
        .target
        .parse()
        .map_err(|e| anyhow::anyhow!("--target: {e}"))?;
    if env.is_production() {
        bail!(
            "refusing to load production ({}): load runs are for the simulator or a test \
             service",
            env.name()
        );
    }
    let auth = match args.auth.as_deref() {
        Some("cpx") => Auth::Cpx,
        Some(_) => Auth::Mtls,
        None => match env.auth_mode() {
            insi_client::AuthMode::Cpx if env != Environment::Sim => Auth::Cpx,
            _ => Auth::Mtls,
        },
    };
    let stop = match (&args.duration, args.requests) {
        (_, Some(0)) => bail!("--requests must be at least 1"),
        (_, Some(n)) => Stop::Requests(n),
        (Some(d), None) => Stop::Duration(parse_duration(d).context("--duration")?),
        (None, None) => Stop::Duration(Duration::from_secs(10)),
    };
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        bail!("--rate must be a positive number of requests per second");
    }
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let mix: Mix = match &args.mix {
        Some(m) => m.parse()?,
        None => Mix::default(),
    };
    let slice: Slice = args
        .slice
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--slice: {e}"))?;
    let embedded = env == Environment::Sim;
    if !embedded && (args.sim_fault_rate.is_some() || args.sim_latency.is_some()) {
        bail!(
            "--sim-fault-rate and --sim-latency configure the embedded simulator; for a \
             standalone one give --fault-rate / --latency to `insi-bench sim serve`"
        );
    }
    let mut chaos = ChaosConfig::default();
    if let Some(rates) = &args.sim_fault_rate {
        Chaos::parse_fault_rates(rates, &mut chaos)?;
    }
    if let Some(latency) = &args.sim_latency {
        chaos.latency = latency.parse()?;
    }
    let timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    let config = LoadConfig {
        target: if embedded {
            "sim (embedded)".into()
        } else {
            env.url().unwrap_or_default().to_owned()
        },
        auth,
        concurrency: args.concurrency,
        stop,
        rate: args.rate,
        warmup: parse_duration(&args.warmup).context("--warmup")?,
        mix,
        population: args.population,
        seed: args.seed,
        draw_seed: args.draw_seed,
        slice,
        http2: args.http2,
        timeout,
        sim_fault_rate: args.sim_fault_rate.clone(),
        sim_latency: args.sim_latency.clone(),
    };
    let spec = if embedded {
        TargetSpec::Embedded {
            population: args.population,
            seed: args.seed,
            chaos,
        }
    } else {
        TargetSpec::Remote {
            env: env.clone(),
            pki: args.pki.clone(),
            ca: args.ca.clone(),
            ps_key: args.ps_key.clone(),
            ps_cert: args.ps_cert.clone(),
            idam: args.idam.clone(),
        }
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let progress_on = !json && !args.no_progress;
    if progress_on {
        eprintln!(
            "insi-bench load: population of {} (seed {}), {} workers, {}…",
            args.population,
            args.seed,
            args.concurrency,
            if embedded {
                "starting the embedded simulator"
            } else {
                "connecting"
            }
        );
    }
    let report = runtime.block_on(async {
        // The oracle's population and the simulator's are generated side by side.
        let personas = Personas::parse(insi_sim::embedded::SHIPPED_PERSONAS)
            .map_err(|e| anyhow::anyhow!("shipped personas: {e}"))?;
        let (population, seed) = (args.population, args.seed);
        let oracle =
            tokio::task::spawn_blocking(move || Population::new(population, seed, &personas));
        let target =
            Target::resolve(&spec, auth, args.concurrency as usize, args.http2, timeout).await?;
        let workload = Arc::new(Workload::new(
            oracle.await.context("population")?,
            config.mix.clone(),
            config.draw_seed,
        )?);
        let cancel = Arc::new(AtomicBool::new(false));
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_signal.store(true, Ordering::Relaxed);
            }
        });
        let mut watcher = Watcher::new(std::io::stderr(), std::io::stderr().is_terminal());
        let report = insi_load::send::run(
            &target,
            workload,
            &config,
            args.label.clone(),
            cancel,
            |p| {
                if progress_on {
                    watcher.show(p);
                }
            },
        )
        .await;
        watcher.finish();
        target.shutdown().await;
        anyhow::Ok(report?)
    })?;

    write_outputs(
        &report,
        args.json_report.as_deref(),
        args.html.as_deref(),
        args.hdr.as_deref(),
    )?;
    let recorded = match history.as_mut() {
        Some(history) => Some(super::history::record_load(
            history,
            &report,
            args.label.clone(),
        )?),
        None => None,
    };
    if json {
        crate::output::json(&report)?;
    } else {
        crate::output::out(format_args!("{}", insi_load::print::table(&report)))?;
        for (what, path) in [
            ("JSON", &args.json_report),
            ("HTML", &args.html),
            ("HDR log", &args.hdr),
            ("history", &args.history),
        ] {
            if let Some(p) = path {
                outln!("{what}: {}", p.display())?;
            }
        }
        if let Some(id) = recorded {
            outln!("history: run #{id} recorded")?;
        }
    }
    Ok(verdict(&report))
}

/// Writes the requested result files.
pub fn write_outputs(
    report: &insi_load::report::LoadReport,
    json: Option<&std::path::Path>,
    html: Option<&std::path::Path>,
    hdr: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(path) = json {
        report.write(path)?;
    }
    if let Some(path) = html {
        insi_load::html::write(report, path)?;
    }
    if let Some(path) = hdr {
        insi_load::hdr::write_log(report, path)?;
    }
    Ok(())
}

/// Exit 1 when an answer was wrong or nothing was answered right; faults and transport errors
/// are measurements (a chaos run has them on purpose), shown per class.
pub fn verdict(report: &insi_load::report::LoadReport) -> ExitCode {
    if report.wrong_answers() > 0 || report.ok == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        for bad in ["", "x", "-1s", "1d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
