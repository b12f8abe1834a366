//! Who plays the software's part for a case: a [`Driver`]. [`CommandDriver`] runs `--drive
//! 'CMD'` once per case (through `sh -c`), the case's input and the endpoints in `INSI_*`
//! environment variables, bounded by a timeout; its exit status and output are kept as evidence.
//! The CLI adds the interactive driver (the human presses Enter when the software is done).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::case::CheckCase;
use crate::session::Endpoints;

/// Exit status by which a `--drive` command says the software cannot run this case (the
/// automake convention): the case is reported as skipped, never passed.
pub const EXIT_SKIP: i32 = 77;

/// Output kept per stream, for the report.
pub const MAX_OUTPUT: usize = 16 * 1024;

/// How long the output is still read after the command has ended (or was killed).
pub const READ_GRACE: Duration = Duration::from_secs(2);

/// What a case hands its driver.
#[derive(Clone, Debug)]
pub struct Brief<'a> {
    pub case: &'a CheckCase,
    pub endpoints: &'a Endpoints,
    /// The case's own credential (`wrong-cn.p12`), when it has one.
    pub p12: PathBuf,
    /// PS signature certificate and key for test drivers of CPx cases.
    pub ps: Option<(PathBuf, PathBuf)>,
}

impl Brief<'_> {
    /// The `INSI_*` variables of the drive contract (docs/check-client.md).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let c = self.case;
        let e = self.endpoints;
        let i = &c.input;
        let mut vars = vec![
            ("INSI_CASE", c.id.clone()),
            ("INSI_TITLE", c.title.clone()),
            ("INSI_OPERATION", c.operation.as_str().to_owned()),
            ("INSI_AUTH", c.auth.as_str().to_owned()),
            ("INSI_NOM", i.nom.clone()),
            ("INSI_PRENOMS", i.prenoms.clone()),
            ("INSI_SEXE", i.sexe.clone()),
            ("INSI_NAISSANCE", i.naissance.clone()),
            ("INSI_LIEU", i.lieu.clone().unwrap_or_default()),
            ("INSI_URL", e.url.clone()),
            ("INSI_CPX_URL", e.cpx_url.clone().unwrap_or_default()),
            ("INSI_P12", self.p12.display().to_string()),
            ("INSI_P12_PASSWORD", e.p12_password.clone()),
            ("INSI_CA", e.ca.display().to_string()),
            (
                "INSI_IDAM",
                c.idam.clone().unwrap_or_else(|| e.idam.clone()),
            ),
            ("INSI_INSTANCE", e.instance.clone()),
        ];
        if let Ok(crate::case::Expected::Calls { strategy, .. }) = &c.expected {
            let s = match strategy {
                insi_client::Strategy::Single => "single",
                insi_client::Strategy::Cnda => "cnda",
            };
            vars.push(("INSI_STRATEGY", s.to_owned()));
        }
        for (name, v) in [
            ("INSI_MATRICULE", &i.matricule),
            ("INSI_CLE", &i.cle),
            ("INSI_OID", &i.oid),
        ] {
            if let Some(v) = v {
                vars.push((name, v.clone()));
            }
        }
        if let Some((cert, key)) = &self.ps {
            vars.push(("INSI_PS_CERT", cert.display().to_string()));
            vars.push(("INSI_PS_KEY", key.display().to_string()));
        }
        vars
    }
}

/// How the driver's part of a case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Driven {
    /// The software has finished the case; `evidence` lines go into the report.
    Done { evidence: Vec<String> },
    /// Not run, for this reason.
    Skipped(String),
    /// The driver did not finish in time (it was killed).
    TimedOut {
        after: Duration,
        evidence: Vec<String>,
    },
    /// The driver could not be started at all.
    Failed(String),
}

/// Plays the software's part for one case.
pub trait Driver {
    fn drive(&mut self, brief: &Brief<'_>) -> impl Future<Output = Driven>;
}

/// `--drive 'CMD'`: `sh -c CMD` once per case.
#[derive(Clone, Debug)]
pub struct CommandDriver {
    pub command: String,
    pub timeout: Duration,
}

async fn read_bounded<R: tokio::io::AsyncRead + Unpin>(mut r: R) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut truncated = false;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                truncated |= n > room;
            }
        }
    }
    (kept, truncated)
}

fn output_lines(name: &str, (bytes, truncated): (Vec<u8>, bool)) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_end();
    (!text.is_empty()).then(|| {
        format!(
            "driver {name}{}: {text}",
            if truncated { " (truncated)" } else { "" }
        )
    })
}

impl Driver for CommandDriver {
    async fn drive(&mut self, brief: &Brief<'_>) -> Driven {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg(&self.command)
            .envs(brief.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return Driven::Failed(format!("cannot start sh -c {:?}: {e}", self.command)),
        };
        let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
            return Driven::Failed("the driver's output pipes are missing".into());
        };
        let readers =
            tokio::spawn(async move { (read_bounded(out).await, read_bounded(err).await) });
        let status = tokio::time::timeout(self.timeout, child.wait()).await;
        let status = match status {
            Ok(s) => s,
            Err(_) => {
                // Killed: the output read so far is still evidence.
                let _ = child.kill().await;
                let mut evidence = Vec::new();
                if let Ok(Ok((out, err))) = tokio::time::timeout(READ_GRACE, readers).await {
                    evidence.extend(output_lines("stdout", out));
                    evidence.extend(output_lines("stderr", err));
                }
                return Driven::TimedOut {
                    after: self.timeout,
                    evidence,
                };
            }
        };
        let mut evidence = Vec::new();
        // A command that left a child holding its output must not hold the session.
        let (out, err) = match tokio::time::timeout(READ_GRACE, readers).await {
            Ok(Ok(read)) => read,
            _ => Default::default(),
        };
        let code = match status {
            Ok(s) => {
                evidence.push(format!("driver: {s}"));
                s.code()
            }
            Err(e) => {
                evidence.push(format!("driver: cannot wait for the command: {e}"));
                None
            }
        };
        evidence.extend(output_lines("stdout", out));
        evidence.extend(output_lines("stderr", err));
        if code == Some(EXIT_SKIP) {
            return Driven::Skipped(format!(
                "the driver exited {EXIT_SKIP}: the software cannot run this case"
            ));
        }
        Driven::Done { evidence }
    }
}
