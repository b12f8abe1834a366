//! The simulator a check-client session serves, and what the software under test needs to reach
//! it: URLs, the shipped test PKI files (CA, PKCS#12 client credentials), the IDAM. One server
//! for the whole session (the software is configured once); each case installs its own
//! injection while it is under way, and the exchanges received meanwhile are the case's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use insi_sim::exchange::Exchange;
use insi_sim::inject::{InjectMatch, Injection};
use insi_sim::personas::Personas;
use insi_sim::server::{RunningServer, SimConfig};
use insi_sim::store::Store;
use insi_sim::tls::{HostMode, ServerTls};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::case::CheckCase;
use crate::error::CheckError;

/// The PKCS#12 password of the shipped test PKI (`testdata/pki/README.md`).
pub const TEST_P12_PASSWORD: &str = "insi-bench";

/// How a session serves.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The test PKI directory: `ca.pem`, `server.pem`, `server.key`, `<credential>.p12`.
    pub pki: PathBuf,
    /// CAs the CPx host trusts for PS signature certificates (PEM files).
    pub cpx_cas: Vec<PathBuf>,
    /// Personas file: the package's own; `None`: the shipped `testdata/personas.toml`.
    pub personas: Option<PathBuf>,
    /// The IDAM the software is given and the simulator accepts.
    pub idam: String,
    pub listen: SocketAddr,
    pub listen_cpx: SocketAddr,
    /// Start the CPx host too.
    pub cpx: bool,
}

/// What the software under test is configured with (printed, and given to `--drive`).
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub url: String,
    pub cpx_url: Option<String>,
    pub ca: PathBuf,
    pub p12: PathBuf,
    pub p12_password: String,
    pub idam: String,
    /// A stable installation UUID a driver may send as ContexteLPS/LPS/Instance when the
    /// software under test has none of its own (one process per case is not a new installation).
    pub instance: String,
}

/// A running session.
#[derive(Debug)]
pub struct Session {
    server: RunningServer,
    exchanges: UnboundedReceiver<Arc<Exchange>>,
    pub endpoints: Endpoints,
    pki: PathBuf,
}

fn read(path: &Path, what: &str) -> Result<String, CheckError> {
    std::fs::read_to_string(path).map_err(|source| CheckError::Read {
        what: what.to_owned(),
        path: path.to_owned(),
        source,
    })
}

/// Exchanges are published when the answer is ready, a moment before the client reads it: this
/// settling time after a case ends lets the last one land in that case (collection, not a
/// timed assertion).
pub const SETTLE: Duration = Duration::from_millis(200);

impl Session {
    /// Starts the simulator on loopback with the package's personas.
    pub async fn start(config: &SessionConfig) -> Result<Session, CheckError> {
        for addr in [config.listen, config.listen_cpx] {
            if !addr.ip().is_loopback() {
                return Err(CheckError::NotLoopback(addr));
            }
        }
        let tls = ServerTls {
            client_ca_pem: read(&config.pki.join("ca.pem"), "CA certificate")?,
            cert_pem: read(&config.pki.join("server.pem"), "server certificate")?,
            key_pem: read(&config.pki.join("server.key"), "server key")?.into(),
        };
        let mut sim = SimConfig::new(tls);
        sim.listeners = vec![(config.listen, HostMode::Mtls)];
        if config.cpx {
            sim.listeners.push((config.listen_cpx, HostMode::Cpx));
            let mut bundle = String::new();
            for ca in &config.cpx_cas {
                bundle.push_str(&read(ca, "CPx CA")?);
                bundle.push('\n');
            }
            sim.cpx_ca_pem = Some(bundle);
        }
        sim.idams = vec![config.idam.clone()];
        let personas = match &config.personas {
            Some(path) => Personas::load(path)?,
            None => Personas::parse(insi_sim::embedded::SHIPPED_PERSONAS)?,
        };
        let mut store = Store::in_memory()?;
        store.load_personas(&personas)?;
        let exchanges_log = sim.exchanges.clone();
        let exchanges = exchanges_log.subscribe_lossless();
        let server = RunningServer::start(sim, Arc::new(store)).await?;
        let url_of = |mode| server.addr(mode).map(|a| format!("https://{a}/lps"));
        let endpoints = Endpoints {
            url: url_of(HostMode::Mtls).unwrap_or_default(),
            cpx_url: url_of(HostMode::Cpx),
            ca: absolute(&config.pki.join("ca.pem")),
            p12: absolute(&config.pki.join("insi-auto.p12")),
            p12_password: TEST_P12_PASSWORD.to_owned(),
            idam: config.idam.clone(),
            instance: uuid::Uuid::new_v4().to_string(),
        };
        Ok(Session {
            server,
            exchanges,
            endpoints,
            pki: config.pki.clone(),
        })
    }

    /// The PKCS#12 file of a credential of the test PKI, if the PKI has one.
    pub fn credential_p12(&self, name: &str) -> Option<PathBuf> {
        let path = self.pki.join(format!("{name}.p12"));
        path.is_file().then(|| absolute(&path))
    }

    /// The PS signature certificate and key a test driver signs with for a CPx case: the case's
    /// card profile's (`[cps3] sign_cert`, `sign_key`), else the test PKI's `cpx-ps`.
    pub fn ps_files(&self, case: &CheckCase) -> Option<(PathBuf, PathBuf)> {
        match &case.cpx_card {
            Some(profile) => {
                let text = std::fs::read_to_string(profile).ok()?;
                let value: toml::Table = text.parse().ok()?;
                let cps3 = value.get("cps3")?.as_table()?;
                let dir = profile.parent()?;
                let file = |k: &str| cps3.get(k)?.as_str().map(|f| absolute(&dir.join(f)));
                Some((file("sign_cert")?, file("sign_key")?))
            }
            None => {
                let cert = self.pki.join("cpx-ps.pem");
                let key = self.pki.join("cpx-ps.key");
                (cert.is_file() && key.is_file()).then(|| (absolute(&cert), absolute(&key)))
            }
        }
    }

    /// A case begins: what arrived since the last case ended is returned (strays), and the
    /// case's response file is served for every request until the next case.
    pub fn begin(&mut self, case: &CheckCase) -> Result<Vec<Arc<Exchange>>, CheckError> {
        let strays = self.drain();
        let rules = match &case.inject {
            Some(path) => vec![Injection::from_file(
                InjectMatch::Every {
                    case: case.id.clone(),
                },
                path,
            )?],
            None => Vec::new(),
        };
        self.server.set_injections(rules);
        Ok(strays)
    }

    /// The case has ended: its exchanges, in order of arrival.
    pub async fn end(&mut self) -> Vec<Arc<Exchange>> {
        tokio::time::sleep(SETTLE).await;
        let got = self.drain();
        self.server.set_injections(Vec::new());
        got
    }

    fn drain(&mut self) -> Vec<Arc<Exchange>> {
        let mut out = Vec::new();
        while let Ok(e) = self.exchanges.try_recv() {
            out.push(e);
        }
        out
    }

    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
