//! Where a run sends its requests: the embedded simulator (started here, with the population the
//! oracle regenerates) or a remote endpoint (a standalone `insi-bench sim serve`, qualification),
//! resolved once into one shared [`InsiClient`] whose keep-alive pool is sized to the
//! concurrency.
//!
//! This is the load mode's own adapter over `insi_sim::embedded` and `insi_client` until the
//! runner's `Target` (crate `insi-runner`) is on main; then it goes.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use insi_client::{
    AssertionProvider, ClientIdentity, HttpTransport, InsiClient, PoolOptions, RetryPolicy,
    SignedAssertions, TlsSetup,
};
use insi_sim::chaos::ChaosConfig;
use insi_sim::embedded::{EmbeddedConfig, EmbeddedSim};
use insi_soap::{Caller, PsAttributes};
use rustls_pki_types::CertificateDer;

use crate::config::Auth;

/// The installation identity sent as ContexteLPS/LPS/Instance by the load mode.
const LOAD_INSTANCE: &str = "7d3b2c1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// What to connect to.
#[derive(Clone, Debug)]
pub enum TargetSpec {
    /// Start the simulator in this process with this population and chaos.
    Embedded {
        population: u64,
        seed: u64,
        chaos: ChaosConfig,
    },
    /// An HTTPS endpoint; credentials from files.
    Remote {
        url: String,
        /// Server CA bundle (PEM or DER).
        ca: PathBuf,
        /// mTLS: the establishment certificate and key (PEM).
        cert: PathBuf,
        key: PathBuf,
        /// CPx: the PS signature key (PKCS#8 PEM) and certificate.
        ps_key: PathBuf,
        ps_cert: PathBuf,
        idam: String,
    },
}

/// Why a target cannot be reached or set up.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot start the embedded simulator: {0}")]
    Simulator(String),
    #[error("{what} {path}: {message}")]
    File {
        what: &'static str,
        path: String,
        message: String,
    },
    #[error("{0}")]
    Client(#[from] insi_client::ClientError),
    #[error("{0}")]
    Cert(#[from] insi_client::CertError),
    #[error("PS signature key: {0}")]
    Signer(String),
}

/// A resolved target: the client every worker shares, and the simulator it may own.
#[derive(Debug)]
pub struct Target {
    pub label: String,
    pub client: Arc<InsiClient<HttpTransport>>,
    sim: Option<EmbeddedSim>,
}

impl Target {
    /// Starts or connects. `concurrency` sizes the keep-alive pool.
    pub async fn resolve(
        spec: &TargetSpec,
        auth: Auth,
        concurrency: usize,
        http2: bool,
        timeout: Duration,
    ) -> Result<Target, TargetError> {
        let pool = PoolOptions {
            max_idle_per_host: concurrency.max(1),
            http2,
        };
        // No retries: each attempt is what is measured (a retry would hide a fault).
        let policy = RetryPolicy {
            call_timeout: timeout,
            deadline: timeout.saturating_mul(8),
            ..RetryPolicy::no_retry()
        };
        match spec {
            TargetSpec::Embedded {
                population,
                seed,
                chaos,
            } => {
                let sim = insi_sim::embedded::start(EmbeddedConfig {
                    mtls: auth == Auth::Mtls,
                    cpx: auth == Auth::Cpx,
                    population: Some((*population, *seed)),
                    chaos: chaos.clone(),
                    ..EmbeddedConfig::default()
                })
                .await
                .map_err(|e| TargetError::Simulator(e.to_string()))?;
                let ca = insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "simulator CA")?;
                let (url, identity, emetteur, assertions) = match auth {
                    Auth::Mtls => (
                        sim.url(),
                        Some(ClientIdentity::from_pem(
                            sim.client_identity_pem().as_bytes(),
                        )?),
                        insi_sim::pki::STRUCTURE_ID.to_owned(),
                        None,
                    ),
                    Auth::Cpx => {
                        let ps = &sim.pki().cpx_ps;
                        let provider = signed_assertions(&ps.key_pem, &ps.cert_pem)?;
                        (
                            sim.cpx_url(),
                            None,
                            insi_sim::pki::PS_ID.to_owned(),
                            Some(provider),
                        )
                    }
                };
                let url = url.ok_or_else(|| TargetError::Simulator("no host started".into()))?;
                let transport = HttpTransport::with_pool(TlsSetup { ca, identity }, timeout, pool)?;
                let caller = caller(insi_sim::server::DEFAULT_IDAM, emetteur);
                let mut client = InsiClient::new(transport, url, caller).with_policy(policy);
                if let Some(p) = assertions {
                    client = client.with_assertions(p);
                }
                Ok(Target {
                    label: "sim (embedded)".into(),
                    client: Arc::new(client),
                    sim: Some(sim),
                })
            }
            TargetSpec::Remote {
                url,
                ca,
                cert,
                key,
                ps_key,
                ps_cert,
                idam,
            } => {
                let ca_der = insi_client::cert::read_ca_bundle(ca)?;
                let (identity, emetteur, assertions) = match auth {
                    Auth::Mtls => {
                        let identity = ClientIdentity::from_pem_files(cert, Some(key))?;
                        // mTLS callers send their certificate's OU as Emetteur (§2.3).
                        let ou = insi_client::inspect_der(
                            identity.leaf(),
                            "client certificate",
                            jiff::Timestamp::now(),
                        )?
                        .ou
                        .unwrap_or_else(|| "INSI-BENCH".into());
                        (Some(identity), ou, None)
                    }
                    Auth::Cpx => {
                        let read = |what, path: &PathBuf| {
                            std::fs::read_to_string(path).map_err(|e| TargetError::File {
                                what,
                                path: path.display().to_string(),
                                message: e.to_string(),
                            })
                        };
                        let key_pem = zeroize::Zeroizing::new(read("PS key", ps_key)?);
                        let cert_pem = read("PS certificate", ps_cert)?;
                        let ps_id = ps_identifier(&cert_pem)?;
                        (None, ps_id, Some(signed_assertions(&key_pem, &cert_pem)?))
                    }
                };
                let transport = HttpTransport::with_pool(
                    TlsSetup {
                        ca: ca_der,
                        identity,
                    },
                    timeout,
                    pool,
                )?;
                let mut client = InsiClient::new(transport, url.clone(), caller(idam, emetteur))
                    .with_policy(policy);
                if let Some(p) = assertions {
                    client = client.with_assertions(p);
                }
                Ok(Target {
                    label: url.clone(),
                    client: Arc::new(client),
                    sim: None,
                })
            }
        }
    }

    /// Stops the embedded simulator, if any.
    pub async fn shutdown(self) {
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
    }
}

fn caller(idam: &str, emetteur: String) -> Caller {
    Caller {
        idam: idam.to_owned(),
        lps_version: env!("CARGO_PKG_VERSION").into(),
        instance: LOAD_INSTANCE.into(),
        nom: format!("urn:lps:insi-bench-load:{}", env!("CARGO_PKG_VERSION")),
        emetteur,
    }
}

/// A software PS signer with the client's assertion cache (signed once per 20 s window), and
/// the simulator's test practice attributes.
fn signed_assertions(
    key_pem: &str,
    cert_pem: &str,
) -> Result<Arc<dyn AssertionProvider>, TargetError> {
    let signer = xmldsig::RsaSoftwareSigner::from_pem(key_pem, cert_pem)
        .map_err(|e| TargetError::Signer(e.to_string()))?;
    let attributes = PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA05".into(),
    };
    Ok(Arc::new(SignedAssertions::new(signer, attributes)))
}

fn ps_identifier(cert_pem: &str) -> Result<String, TargetError> {
    let ders = insi_client::cert::parse_ca_pem(cert_pem.as_bytes(), "PS certificate")?;
    let leaf: &CertificateDer<'static> = ders.first().ok_or_else(|| TargetError::File {
        what: "PS certificate",
        path: String::new(),
        message: "no certificate in the PEM".into(),
    })?;
    Ok(
        insi_client::inspect_der(leaf, "PS certificate", jiff::Timestamp::now())?
            .cn
            .unwrap_or_default(),
    )
}
