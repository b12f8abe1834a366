//! `insi-bench check-client PACKAGE`: judge the publisher's own INSi client. The simulator
//! serves on loopback; for each case the software under test is told what to enter (or a
//! `--drive` command runs it), and its requests are judged. The engine is `insi-check`; this
//! module is flags, the interactive driver and printing. See docs/check-client.md.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use insi_check::{Brief, CommandDriver, Driven, Driver, Session, SessionConfig};
use insi_report::terminal;

use super::connect;
use crate::live::CaseLines;
use crate::output::{self, outln};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The package directory (holding package.toml).
    package: PathBuf,
    /// Run this shell command once per case instead of asking a human; the case's input and
    /// the endpoints are in INSI_* environment variables (docs/check-client.md). Exit status 77
    /// means "the software cannot do this case" (reported as skipped).
    #[arg(long, value_name = "CMD")]
    drive: Option<String>,
    /// With --drive: the command is killed after this many seconds (a failed case).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    case_timeout: f64,
    /// Run only these cases (repeatable, or comma-separated).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    only: Vec<String>,
    /// The test PKI the software is given: ca.pem, server.pem/.key, insi-auto.p12 (password
    /// insi-bench), and the credentials cases name (wrong-cn.p12).
    #[arg(long, value_name = "DIR", default_value = "testdata/pki")]
    pki: PathBuf,
    /// CA trusted for PS signature certificates on the CPx host (repeatable) [default:
    /// testdata/cards/cpx-ca.pem and <pki>/cpx-ca.pem].
    #[arg(long = "cpx-ca", value_name = "FILE")]
    cpx_cas: Vec<PathBuf>,
    /// Address of the mTLS host (loopback; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR")]
    listen: SocketAddr,
    /// Address of the CPx host, started when a selected case uses auth = "cpx".
    #[arg(long, default_value = "127.0.0.1:8444", value_name = "ADDR")]
    listen_cpx: SocketAddr,
    /// The authorisation number (IDAM) the software is configured with.
    #[arg(long, value_name = "IDAM", default_value = "INSIBENCH001")]
    idam: String,
    #[command(flatten)]
    reports: super::reports::ReportArgs,
}

/// A human at a terminal plays the software's part: the case is printed, Enter ends it.
struct Interactive;

impl Driver for Interactive {
    async fn drive(&mut self, brief: &Brief<'_>) -> Driven {
        let case = brief.case;
        let mut text = format!(
            "\n── case {} — {}\n   in the software: {}\n",
            case.id,
            case.title,
            case.instruction()
        );
        if case.auth == insi_package::Auth::Cpx {
            text.push_str(&format!(
                "   use the CPx host {} with the PS card\n",
                brief
                    .endpoints
                    .cpx_url
                    .as_deref()
                    .unwrap_or("(not started)")
            ));
        }
        if brief.p12 != brief.endpoints.p12 {
            text.push_str(&format!(
                "   with the client certificate {}\n",
                brief.p12.display()
            ));
        }
        for line in &case.checklist {
            text.push_str(&format!("   then check: {line}\n"));
        }
        text.push_str("   press Enter when the software has finished (s + Enter: skip) ");
        let _ = std::io::stderr().write_all(text.as_bytes());
        let line = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map(|_| line)
        })
        .await;
        match line {
            Ok(Ok(l)) if l.trim().eq_ignore_ascii_case("s") => {
                Driven::Skipped("skipped at the terminal".into())
            }
            Ok(Ok(_)) => Driven::Done {
                evidence: vec!["ended at the terminal".into()],
            },
            _ => Driven::Failed("cannot read the terminal".into()),
        }
    }
}

fn default_cpx_cas(pki: &Path) -> Vec<PathBuf> {
    [
        PathBuf::from("testdata/cards/cpx-ca.pem"),
        pki.join("cpx-ca.pem"),
    ]
    .into_iter()
    .filter(|p| p.is_file())
    .collect()
}

pub fn run(args: &Args, json: bool) -> anyhow::Result<ExitCode> {
    let package = match insi_package::load(&args.package) {
        Ok(p) => p,
        Err(errors) => {
            eprint!("insi-bench: {errors}");
            return Ok(ExitCode::from(2));
        }
    };
    if args.drive.is_none() && !std::io::stdin().is_terminal() {
        eprintln!(
            "insi-bench: check-client asks a human at a terminal; in CI, give --drive 'CMD' \
             (run once per case, input in INSI_* variables)"
        );
        return Ok(ExitCode::from(2));
    }
    let cases = insi_check::select(&package, &args.only)?;
    let config = SessionConfig {
        pki: args.pki.clone(),
        cpx_cas: if args.cpx_cas.is_empty() {
            default_cpx_cas(&args.pki)
        } else {
            args.cpx_cas.clone()
        },
        personas: package.personas.clone(),
        idam: args.idam.clone(),
        listen: args.listen,
        listen_cpx: args.listen_cpx,
        cpx: cases.iter().any(|c| c.auth == insi_package::Auth::Cpx),
    };
    let report_dir = args
        .reports
        .dir(&format!("{}-check-client", package.manifest.name));

    let runtime = connect::runtime()?;
    let run = runtime.block_on(async {
        let mut session = Session::start(&config).await?;
        if !json {
            banner(&session)?;
        }
        let mut lines = CaseLines::new(!json, true);
        let result = match &args.drive {
            Some(command) => {
                let mut driver = CommandDriver {
                    command: command.clone(),
                    timeout: Duration::from_secs_f64(args.case_timeout.max(0.1)),
                };
                insi_check::check(&package, &cases, &mut session, &mut driver, &mut lines).await
            }
            None => {
                insi_check::check(&package, &cases, &mut session, &mut Interactive, &mut lines)
                    .await
            }
        };
        session.shutdown().await;
        anyhow::Ok(result?)
    })?;

    let paths = args.reports.write(&run, &report_dir)?;
    if json {
        output::json(&run)?;
    } else {
        let style = terminal::Style::detect();
        outln!(
            "{}",
            terminal::summary_line(style, &run.summary, run.wall_ms)
        )?;
        outln!(
            "What the software does with each answer is not visible here: see the \"check by \
             hand\" lines of each case.\nreports: {}, {}, {}",
            paths[0].display(),
            paths[1].display(),
            paths[2].display()
        )?;
    }
    Ok(if run.summary.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the software under test must be configured with.
fn banner(session: &Session) -> anyhow::Result<()> {
    let e = &session.endpoints;
    outln!(
        "insi-bench check-client: the simulator is serving your software under test (loopback only)\n  \
         mTLS URL        {}\n  CPx URL         {}\n  server CA       {}\n  client PKCS#12  {} \
         (password {})\n  IDAM            {}\n  \
         test material, NOT FOR PRODUCTION",
        e.url,
        e.cpx_url.as_deref().unwrap_or("(no CPx case selected)"),
        e.ca.display(),
        e.p12.display(),
        e.p12_password,
        e.idam
    )?;
    Ok(())
}
