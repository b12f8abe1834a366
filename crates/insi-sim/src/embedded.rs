//! The embedded simulator: start in-process on an ephemeral port with an ephemeral PKI, get the
//! URL, the CA and the INSI-AUTO client credentials, shut down cleanly. This is the contract the
//! client, the runner and the load mode build on.

use std::net::SocketAddr;
use std::sync::Arc;

use insi_soap::ResultatStyle;
use zeroize::Zeroizing;

use crate::chaos::ChaosConfig;
use crate::exchange::ExchangeLog;
use crate::inject::Injection;
use crate::personas::Personas;
use crate::pki::{Credential, KeyKind, TestPki};
use crate::server::{DEFAULT_IDAM, RunningServer, SimConfig, SimError};
use crate::store::Store;
use crate::tls::{HostMode, ServerTls};

/// The shipped qualification personas (`testdata/personas.toml`).
pub const SHIPPED_PERSONAS: &str = include_str!("../../../testdata/personas.toml");

/// What to start. `EmbeddedConfig::default()`: mTLS host only (no extra CPx CA), the shipped
/// personas, no population, IDAM `INSIBENCH001`, live response style, no chaos, no injection.
#[derive(Clone, Debug)]
pub struct EmbeddedConfig {
    pub mtls: bool,
    pub cpx: bool,
    /// More CPx CAs (PEM, one or several certificates) the CPx host trusts besides the
    /// ephemeral one: e.g. `testdata/cards/cpx-ca.pem`, which the emulated cards chain to.
    pub extra_cpx_ca_pem: Vec<String>,
    /// `None`: no personas at all.
    pub personas: Option<Personas>,
    /// `(count, seed)` of a synthetic population, generated in memory.
    pub population: Option<(u64, u64)>,
    pub idams: Vec<String>,
    pub style: ResultatStyle,
    pub chaos: ChaosConfig,
    pub injections: Vec<Injection>,
    pub body_limit: usize,
    /// Cut-off for a slow TLS handshake, slow request headers and a slow body (10 s).
    pub slow_client_timeout: std::time::Duration,
    /// Key algorithm of the ephemeral PKI's TLS side: ECDSA by default (fast); RSA for a
    /// third-party client that reads only RSA (node-forge), with `pki().write_to(dir)` to hand
    /// it PKCS#12 files (about 2 s more to start, `testdata/pki/README.md`).
    pub pki_keys: KeyKind,
    /// How many exchanges [`EmbeddedSim::exchanges`] keeps for late readers (0: none; subscribe
    /// before sending instead).
    pub keep_exchanges: usize,
    /// CPx host: how many distinct verified PS assertions are kept
    /// ([`crate::cpx::CACHE_CAPACITY`]; 0: verify every request, e.g. to measure what the cache
    /// saves).
    pub assertion_cache: usize,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        EmbeddedConfig {
            mtls: true,
            cpx: false,
            extra_cpx_ca_pem: Vec::new(),
            personas: Personas::parse(SHIPPED_PERSONAS).ok(),
            population: None,
            idams: vec![DEFAULT_IDAM.into()],
            style: ResultatStyle::Live,
            chaos: ChaosConfig::default(),
            injections: Vec::new(),
            body_limit: 64 * 1024,
            slow_client_timeout: std::time::Duration::from_secs(10),
            pki_keys: KeyKind::Ecdsa,
            keep_exchanges: 0,
            assertion_cache: crate::cpx::CACHE_CAPACITY,
        }
    }
}

/// A running embedded simulator.
#[derive(Debug)]
pub struct EmbeddedSim {
    server: RunningServer,
    pki: TestPki,
    path: String,
}

/// Starts a simulator on 127.0.0.1 (ephemeral ports) with a fresh PKI, on the current runtime.
pub async fn start(config: EmbeddedConfig) -> Result<EmbeddedSim, SimError> {
    let keys = config.pki_keys;
    let pki = tokio::task::spawn_blocking(move || TestPki::generate_with(keys))
        .await
        .map_err(|e| SimError::Pki(crate::pki::PkiError::Pkcs12(e.to_string())))??;
    let mut store = Store::in_memory()?;
    if let Some(personas) = &config.personas {
        store.load_personas(personas)?;
    }
    let store = Arc::new(store);
    if let Some((count, seed)) = config.population {
        let s = store.clone();
        tokio::task::spawn_blocking(move || s.ensure_population(count, seed))
            .await
            .map_err(|e| SimError::Pki(crate::pki::PkiError::Pkcs12(e.to_string())))??;
    }
    let mut sim = SimConfig::new(ServerTls {
        client_ca_pem: pki.ca.cert_pem.clone(),
        cert_pem: pki.server.chain_pem(),
        key_pem: pki.server.key_pem.clone(),
    });
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    sim.listeners.clear();
    if config.mtls {
        sim.listeners.push((local, HostMode::Mtls));
    }
    if config.cpx {
        sim.listeners.push((local, HostMode::Cpx));
        let mut trusted = pki.cpx_ca.cert_pem.clone();
        for pem in &config.extra_cpx_ca_pem {
            // CpxVerifier reads every CERTIFICATE block of the bundle.
            trusted.push('\n');
            trusted.push_str(pem);
        }
        sim.cpx_ca_pem = Some(trusted);
    }
    sim.idams = config.idams;
    sim.style = config.style;
    sim.chaos = config.chaos;
    sim.injections = config.injections;
    sim.body_limit = config.body_limit;
    sim.handshake_timeout = config.slow_client_timeout;
    sim.header_timeout = config.slow_client_timeout;
    sim.body_timeout = config.slow_client_timeout;
    sim.exchanges = ExchangeLog::new(config.keep_exchanges);
    sim.assertion_cache = config.assertion_cache;
    let path = sim.path.clone();
    let server = RunningServer::start(sim, store).await?;
    Ok(EmbeddedSim { server, pki, path })
}

impl EmbeddedSim {
    fn url_for(&self, mode: HostMode) -> Option<String> {
        let addr = self.server.addr(mode)?;
        Some(format!("https://{addr}{}", self.path))
    }

    /// The mTLS host's SOAP URL (`https://127.0.0.1:PORT/lps`), if started.
    pub fn url(&self) -> Option<String> {
        self.url_for(HostMode::Mtls)
    }

    /// The CPx host's SOAP URL, if started.
    pub fn cpx_url(&self) -> Option<String> {
        self.url_for(HostMode::Cpx)
    }

    /// The CA (PEM) the server certificate chains to: the only root a client should trust.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca.cert_pem
    }

    /// The `CN=INSI-AUTO` client certificate and key.
    pub fn client(&self) -> &Credential {
        &self.pki.insi_auto
    }

    /// Key + certificate chain in one PEM (for `reqwest::Identity::from_pem`).
    pub fn client_identity_pem(&self) -> Zeroizing<String> {
        self.pki.insi_auto.identity_pem()
    }

    /// The whole ephemeral PKI (INSI-MANU, wrong CN, foreign CA, CPx CA and PS certificate).
    pub fn pki(&self) -> &TestPki {
        &self.pki
    }

    pub fn server(&self) -> &RunningServer {
        &self.server
    }

    /// Every request the simulator judges, with its answer and reason ([`ExchangeLog`]).
    pub fn exchanges(&self) -> &Arc<ExchangeLog> {
        self.server.exchanges()
    }

    /// Stops the simulator; returns once every connection and task has ended.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_carries_the_shipped_personas() {
        let personas = EmbeddedConfig::default().personas.unwrap();
        assert!(
            personas
                .identities
                .iter()
                .any(|p| p.nom_naissance == "TCHITCHI")
        );
        assert!(!personas.faults.is_empty());
    }
}
