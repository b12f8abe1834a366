//! `insi-bench sim serve`: the INSi simulator as a standalone HTTPS service.
//!
//! Defaults: mTLS host on 127.0.0.1:8443, the test PKI of `testdata/pki`, the personas of
//! `testdata/personas.toml`, IDAM `INSIBENCH001`. Prints the URL and a ready-to-paste `curl`
//! example, then serves until Ctrl-C (or SIGTERM) and shuts down cleanly.
//!
//! Every exchange is logged on stderr through `tracing` (one line: time, host, operation, status,
//! CR/fault, reason, duration; personal data redacted unless `--log-personal-data`; `RUST_LOG`
//! filters, `--log-format json`), written to `--record DIR` as JSON lines, and listed by the
//! `--inspect` page (`insi_sim::exchange`, `insi_sim::record`, `insi_sim::inspect`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use crate::output::outln;
use anyhow::Context;
use insi_sim::chaos::{Chaos, ChaosConfig, Latency};
use insi_sim::exchange::{Exchange, ExchangeLog};
use insi_sim::inject::Injection;
use insi_sim::inspect::Inspector;
use insi_sim::personas::Personas;
use insi_sim::record::Recorder;
use insi_sim::server::{DEFAULT_IDAM, RunningServer, SimConfig};
use insi_sim::store::Store;
use insi_sim::tls::{HostMode, ServerTls};
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Serve the simulator over HTTPS until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Mutual TLS, establishment certificate CN INSI-AUTO/INSI-MANU (the `*-tlsm` host).
    Mtls,
    /// Server TLS, signed PS assertion in wsse:Security (the CPx host).
    Cpx,
    /// Both hosts, on --listen and --listen-cpx.
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// As the live qualification service: prefixes of the capture, ListePrenom only.
    Live,
    /// As CNDA response files: ns2: prefixes.
    Cnda,
    /// Live syntax with both Prenom and ListePrenom.
    Prenom,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address of the mTLS host.
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR")]
    listen: SocketAddr,
    /// Address of the CPx host (with --mode cpx or both).
    #[arg(long, default_value = "127.0.0.1:8444", value_name = "ADDR")]
    listen_cpx: SocketAddr,
    #[arg(long, value_enum, default_value = "mtls")]
    mode: Mode,
    /// Directory of the test PKI (ca.pem, server.pem, server.key; see testdata/pki/README.md).
    #[arg(long, default_value = "testdata/pki", value_name = "DIR")]
    pki: PathBuf,
    /// CA that PS signature certificates must chain to (cpx host).
    #[arg(long, default_value = "testdata/cards/cpx-ca.pem", value_name = "FILE")]
    cpx_ca: PathBuf,
    /// SQLite identity database; created if missing, reused when it holds the same population.
    /// Without it the store lives in memory.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Personas file (TOML).
    #[arg(long, default_value = "testdata/personas.toml", value_name = "FILE")]
    personas: PathBuf,
    /// Do not load any personas.
    #[arg(long, conflicts_with = "personas")]
    no_personas: bool,
    /// Size of the synthetic population.
    #[arg(long, value_name = "N", requires = "seed")]
    population: Option<u64>,
    /// Seed of the synthetic population.
    #[arg(long, value_name = "S", requires = "population")]
    seed: Option<u64>,
    /// Accepted IDAM (authorisation numbers); repeat for several. Default INSIBENCH001.
    #[arg(long = "idam", value_name = "ID")]
    idams: Vec<String>,
    /// Random faults: desir_1020=RATE,insi_102=RATE,reset=RATE (rates between 0 and 1).
    #[arg(long, value_name = "RATES")]
    fault_rate: Option<String>,
    /// Answer delay: 20ms, 10ms..50ms (uniform) or exp:20ms (exponential, that mean).
    #[arg(long, value_name = "LATENCY")]
    latency: Option<String>,
    /// Seed of the fault and latency draws.
    #[arg(long, default_value_t = 0, value_name = "S")]
    chaos_seed: u64,
    /// Serve a response file: NOM/PRENOM=FILE or case:ID=FILE (header X-Insi-Bench-Case).
    #[arg(long = "inject", value_name = "RULE")]
    injections: Vec<String>,
    /// Response style.
    #[arg(long, value_enum, default_value = "live")]
    style: Style,
    /// Path of the SOAP endpoint.
    #[arg(long, default_value = "/lps")]
    path: String,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    body_limit: usize,
    /// CPx host: how many distinct verified PS assertions to keep, so that each is verified
    /// once (its age is still checked on every request); 0 verifies every request.
    #[arg(long, default_value_t = insi_sim::cpx::CACHE_CAPACITY, value_name = "N")]
    assertion_cache: usize,
    /// Show names, prénoms, birth dates and NIR in the log lines (redacted by default).
    #[arg(long)]
    log_personal_data: bool,
    /// Log lines as text or as JSON objects (stderr; RUST_LOG filters, default `info`).
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    log_format: LogFormat,
    /// Write every exchange (request, response, certificate, reason, timing) as JSON lines to a
    /// new file in DIR. The file holds personal data.
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Serve the request inspector page on ADDR (loopback only; personal data shown).
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        default_missing_value = DEFAULT_INSPECT
    )]
    inspect: Option<SocketAddr>,
}

/// Where `--inspect` without a value serves the page.
const DEFAULT_INSPECT: &str = "127.0.0.1:8445";

/// How many exchanges the inspector page can show (the ring buffer of the exchange log).
const INSPECT_KEEP: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Serialize)]
struct Banner {
    urls: Vec<(String, &'static str)>,
    idams: Vec<String>,
    identities: u64,
    personas: usize,
    never_found: Vec<String>,
    store_ready_ms: u128,
    curl: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    inspect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<String>,
}

pub fn run(command: SimCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        SimCommand::Serve(args) => serve(args, json),
    }
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the {what} {} (regenerate the test PKI with scripts/gen-test-pki, or \
             point --pki at another directory)",
            path.display()
        )
    })
}

fn serve(args: ServeArgs, json: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let tls = ServerTls {
        client_ca_pem: read(&args.pki.join("ca.pem"), "CA certificate")?,
        cert_pem: read(&args.pki.join("server.pem"), "server certificate")?,
        key_pem: read(&args.pki.join("server.key"), "server key")?.into(),
    };
    let mut config = SimConfig::new(tls);
    config.listeners = match args.mode {
        Mode::Mtls => vec![(args.listen, HostMode::Mtls)],
        Mode::Cpx => vec![(args.listen_cpx, HostMode::Cpx)],
        Mode::Both => vec![
            (args.listen, HostMode::Mtls),
            (args.listen_cpx, HostMode::Cpx),
        ],
    };
    if args.mode != Mode::Mtls {
        config.cpx_ca_pem = Some(
            std::fs::read_to_string(&args.cpx_ca)
                .with_context(|| format!("cannot read the CPx CA {}", args.cpx_ca.display()))?,
        );
    }
    config.path = args.path.clone();
    config.body_limit = args.body_limit;
    config.assertion_cache = args.assertion_cache;
    config.idams = if args.idams.is_empty() {
        vec![DEFAULT_IDAM.into()]
    } else {
        args.idams.clone()
    };
    config.style = match args.style {
        Style::Live => insi_soap::ResultatStyle::Live,
        Style::Cnda => insi_soap::ResultatStyle::Cnda,
        Style::Prenom => insi_soap::ResultatStyle::PrenomEtListePrenom,
    };
    let mut chaos = ChaosConfig {
        seed: args.chaos_seed,
        ..ChaosConfig::default()
    };
    if let Some(rates) = &args.fault_rate {
        Chaos::parse_fault_rates(rates, &mut chaos)?;
    }
    if let Some(latency) = &args.latency {
        chaos.latency = latency.parse::<Latency>()?;
    }
    config.chaos = chaos;
    for rule in &args.injections {
        config.injections.push(Injection::parse_rule(rule)?);
    }
    if let Some(addr) = args.inspect
        && !addr.ip().is_loopback()
    {
        anyhow::bail!(
            "--inspect {addr}: the inspector shows personal data unredacted and listens on \
             loopback only (127.0.0.1:PORT or [::1]:PORT)"
        );
    }
    config.exchanges = ExchangeLog::new(if args.inspect.is_some() {
        INSPECT_KEEP
    } else {
        0
    });
    init_logging(args.log_format);

    let mut store = match &args.db {
        Some(path) => Store::open(path)?,
        None => Store::in_memory()?,
    };
    let personas = if args.no_personas {
        Personas::default()
    } else {
        Personas::load(&args.personas)?
    };
    store.load_personas(&personas)?;
    if let (Some(n), Some(seed)) = (args.population, args.seed) {
        if !json {
            eprintln!("insi-bench sim: preparing a population of {n} identities (seed {seed})…");
        }
        let report = store.ensure_population(n, seed)?;
        if !json {
            eprintln!(
                "insi-bench sim: population {} in {:.1} s",
                if report.generated {
                    "generated"
                } else {
                    "reused"
                },
                report.elapsed.as_secs_f64()
            );
        }
    }
    let identities = store.population_count()? + personas.identities.len() as u64;
    let store_ready = started.elapsed();
    let store = Arc::new(store);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // Subscribed before the first connection can arrive: no exchange is missed. With the
        // lines filtered out (RUST_LOG=warn, e.g. for a load run) nobody subscribes, and the
        // server builds no exchange at all.
        let logged = tracing::enabled!(target: "insi_bench::exchange", tracing::Level::INFO);
        let logger = logged.then(|| {
            tokio::spawn(log_exchanges(
                config.exchanges.subscribe_lossless(),
                args.log_personal_data,
                args.log_format,
            ))
        });
        let recorder = match &args.record {
            Some(dir) => Some(Recorder::start(dir, &config.exchanges)?),
            None => None,
        };
        let inspector = match args.inspect {
            Some(addr) => Some(
                Inspector::start(addr, config.exchanges.clone())
                    .await
                    .with_context(|| format!("cannot serve the inspector on {addr}"))?,
            ),
            None => None,
        };
        let server = RunningServer::start(config.clone(), store.clone()).await?;
        let urls: Vec<(String, &'static str)> = server
            .addrs()
            .iter()
            .map(|(addr, mode)| (format!("https://{addr}{}", config.path), mode.as_str()))
            .collect();
        let mtls_url = urls
            .iter()
            .find(|(_, m)| *m == "mtls")
            .map(|(u, _)| u.clone());
        let curl = mtls_url
            .as_deref()
            .map(|url| curl_example(&args.pki, url, &config.idams[0]))
            .unwrap_or_default();
        let banner = Banner {
            urls,
            idams: config.idams.clone(),
            identities,
            personas: personas.identities.len() + personas.faults.len(),
            never_found: personas.never_found.clone(),
            store_ready_ms: store_ready.as_millis(),
            curl,
            inspect: inspector.as_ref().map(|i| format!("http://{}/", i.addr())),
            record: recorder.as_ref().map(|r| r.path().display().to_string()),
        };
        print_banner(&banner, json)?;
        wait_for_signal().await;
        if !json {
            eprintln!("insi-bench sim: shutting down");
        }
        server.shutdown().await;
        if let Some(inspector) = inspector {
            inspector.shutdown().await;
        }
        if let Some(recorder) = recorder {
            let path = recorder.path().display().to_string();
            let lines = recorder.finish().await?;
            if !json {
                eprintln!("insi-bench sim: {lines} exchange(s) recorded in {path}");
            }
        }
        if let Some(logger) = logger {
            logger.abort();
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A `tracing` subscriber on stderr, filtered by `RUST_LOG` (default `info`).
fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // Fails only when a subscriber is already set (then that one logs).
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// One `info` event per exchange, target `insi_bench::exchange`; personal data in the reason is
/// redacted unless asked for.
async fn log_exchanges(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Arc<Exchange>>,
    personal_data: bool,
    format: LogFormat,
) {
    while let Some(e) = rx.recv().await {
        match format {
            LogFormat::Text => {
                tracing::info!(target: "insi_bench::exchange", "{}", e.summary(personal_data));
            }
            LogFormat::Json => tracing::info!(
                target: "insi_bench::exchange",
                id = e.id,
                host = e.host.as_str(),
                operation = e.operation.map(|o| o.name()),
                status = e.status,
                verdict = %e.verdict.label(),
                reason = %e.reason.render(personal_data),
                duration_ms = e.duration.as_secs_f64() * 1000.0,
                client_cn = e.client_cn.as_deref(),
                http = e.http_version,
                "exchange"
            ),
        }
    }
}

fn print_banner(b: &Banner, json: bool) -> anyhow::Result<()> {
    if json {
        crate::output::json(b)?;
        return Ok(());
    }
    outln!("insi-bench simulator — TEST SERVICE, NOT INSi")?;
    for (url, mode) in &b.urls {
        outln!("  {mode:<5} {url}")?;
    }
    outln!("  accepted IDAM: {}", b.idams.join(", "))?;
    outln!(
        "  identities: {} ({} personas; never found: {}), store ready in {} ms",
        b.identities,
        b.personas,
        if b.never_found.is_empty() {
            "none".to_owned()
        } else {
            b.never_found.join(", ")
        },
        b.store_ready_ms
    )?;
    if let Some(url) = &b.inspect {
        outln!("  inspector: {url} (shows personal data)")?;
    }
    if let Some(path) = &b.record {
        outln!("  recording to {path} (holds personal data)")?;
    }
    if !b.curl.is_empty() {
        outln!("\nTry it:\n{}\n", b.curl)?;
    }
    outln!("Ctrl-C to stop.")?;
    Ok(())
}

/// A complete, minimal trait search for ADRUN ZOE (a public qualification persona).
fn curl_example(pki: &Path, url: &str, idam: &str) -> String {
    let action = insi_soap::Operation::RechercherInsAvecTraitsIdentite.action();
    let body = format!(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header>\
<wsa:Action xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">{action}</wsa:Action>\
<ctxlps:ContexteLPS xmlns:ctxlps=\"urn:siram:lps:ctxlps\" Nature=\"CTXLPS\" Version=\"01_00\">\
<ctxlps:Id>1</ctxlps:Id><ctxlps:Temps>2026-01-01T00:00:00.000Z</ctxlps:Temps>\
<ctxlps:LPS><ctxlps:IDAM R=\"4\">{idam}</ctxlps:IDAM></ctxlps:LPS></ctxlps:ContexteLPS>\
</soap:Header><soap:Body><ins:RECSANSVITALE xmlns:ins=\"http://www.cnamts.fr/INSiRecSans\">\
<ins:NomNaissance>ADRUN</ins:NomNaissance><ins:Prenom>ZOE</ins:Prenom><ins:Sexe>F</ins:Sexe>\
<ins:DateNaissance>1975-12-31</ins:DateNaissance></ins:RECSANSVITALE></soap:Body></soap:Envelope>"
    );
    let p = |f: &str| pki.join(f).display().to_string();
    format!(
        "curl --cacert {} --cert {} --key {} \\\n  -H 'Content-Type: application/soap+xml; charset=utf-8; action=\"{action}\"' \\\n  --data-binary '{body}' \\\n  {url}",
        p("ca.pem"),
        p("insi-auto.pem"),
        p("insi-auto.key"),
    )
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_example_is_complete() {
        let c = curl_example(Path::new("testdata/pki"), "https://127.0.0.1:8443/lps", "X");
        assert!(c.contains("--cert testdata/pki/insi-auto.pem"));
        assert!(c.contains("<ctxlps:IDAM R=\"4\">X</ctxlps:IDAM>"));
        assert!(!c.contains("'<soap:Envelope'"));
        // The body is single-quoted for the shell: it must not contain a single quote itself.
        let body = c.split("--data-binary '").nth(1).unwrap();
        let body = body.split("' \\").next().unwrap();
        assert!(!body.contains('\''));
    }
}
