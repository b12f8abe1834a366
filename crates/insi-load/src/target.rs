//! Where a run sends its requests: the runner's [`insi_runner::Target`] (the embedded simulator,
//! started with the population the oracle regenerates, or a remote environment or URL with the
//! credentials of a PKI directory), plus the one thing a load run needs on top of it: a client
//! whose keep-alive pool holds one connection per worker (and HTTP/2 on request), shared by all
//! workers. The simulator is started, and remote hosts probed, by the runner's `Target` only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use insi_client::{
    AssertionProvider, ClientIdentity, Environment, HttpTransport, InsiClient, Origin, PoolOptions,
    RetryPolicy, SignedAssertions, TlsSetup,
};
use insi_runner::{
    ClientOptions, CpxAuth, DEFAULT_CREDENTIAL, EmbeddedSpec, Host, RemoteSpec, Software,
};
use insi_sim::chaos::ChaosConfig;
use insi_soap::PsAttributes;

use crate::config::Auth;

/// The installation identity sent as ContexteLPS/LPS/Instance by the load mode.
const LOAD_INSTANCE: &str = "7d3b2c1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// What to connect to.
#[derive(Clone, Debug)]
pub enum TargetSpec {
    /// The simulator in this process, with this population and chaos.
    Embedded {
        population: u64,
        seed: u64,
        chaos: ChaosConfig,
    },
    /// A named environment or a URL; `pki` holds `ca.pem` (unless `ca`), `insi-auto.pem` and
    /// `insi-auto.key`; CPx signs with the PS key and certificate given.
    Remote {
        env: Environment,
        pki: PathBuf,
        ca: Option<PathBuf>,
        ps_key: PathBuf,
        ps_cert: PathBuf,
        idam: String,
    },
}

/// Why a target cannot be reached or set up.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(transparent)]
    Runner(#[from] insi_runner::TargetError),
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

/// A resolved target: the client every worker shares, and the runner's target it came from
/// (which owns the embedded simulator, if any).
#[derive(Debug)]
pub struct Target {
    pub label: String,
    pub client: Arc<InsiClient<HttpTransport>>,
    inner: insi_runner::Target,
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
        let options = ClientOptions {
            software: Software {
                lps_version: env!("CARGO_PKG_VERSION").into(),
                instance: LOAD_INSTANCE.into(),
                nom: format!("urn:lps:insi-bench-load:{}", env!("CARGO_PKG_VERSION")),
            },
            policy: RetryPolicy {
                call_timeout: timeout,
                deadline: timeout.saturating_mul(8),
                ..RetryPolicy::no_retry()
            },
            origin: Origin::Runner,
            acknowledged_production: false,
            idam: None,
        };
        let (inner, ca, identity, cpx) = match spec {
            TargetSpec::Embedded {
                population,
                seed,
                chaos,
            } => {
                let mut embedded = EmbeddedSpec::default();
                embedded.config.mtls = auth == Auth::Mtls;
                embedded.config.cpx = auth == Auth::Cpx;
                embedded.config.population = Some((*population, *seed));
                embedded.config.chaos = chaos.clone();
                let inner = insi_runner::Target::resolve(
                    insi_runner::TargetSpec::embedded(embedded),
                    timeout,
                )
                .await?;
                let Some(sim) = inner.embedded() else {
                    return Err(insi_runner::TargetError::NoHost("embedded simulator").into());
                };
                let ca = insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "simulator CA")?;
                let (identity, cpx) = match auth {
                    Auth::Mtls => (
                        Some(ClientIdentity::from_pem(
                            sim.client_identity_pem().as_bytes(),
                        )?),
                        None,
                    ),
                    Auth::Cpx => {
                        let ps = &sim.pki().cpx_ps;
                        (None, Some(cpx_auth(&ps.key_pem, &ps.cert_pem)?))
                    }
                };
                (inner, ca, identity, cpx)
            }
            TargetSpec::Remote {
                env,
                pki,
                ca,
                ps_key,
                ps_cert,
                idam,
            } => {
                let remote =
                    RemoteSpec::from_pki_dir(env.clone(), None, pki, ca.as_deref(), idam.clone())?;
                let inner =
                    insi_runner::Target::resolve(insi_runner::TargetSpec::remote(remote), timeout)
                        .await?;
                // The runner's transports keep 64 idle connections over HTTP/1.1; the load
                // mode's own holds one per worker, from the same files.
                let ca_path = ca.clone().unwrap_or_else(|| pki.join("ca.pem"));
                let ca = insi_client::cert::read_ca_bundle(&ca_path)?;
                let (identity, cpx) = match auth {
                    Auth::Mtls => {
                        let cert = pki.join(format!("{DEFAULT_CREDENTIAL}.pem"));
                        let key = pki.join(format!("{DEFAULT_CREDENTIAL}.key"));
                        let key = key.is_file().then_some(key);
                        (
                            Some(ClientIdentity::from_pem_files(&cert, key.as_deref())?),
                            None,
                        )
                    }
                    Auth::Cpx => {
                        let key_pem = zeroize::Zeroizing::new(read("PS key", ps_key)?);
                        let cert_pem = read("PS certificate", ps_cert)?;
                        (None, Some(cpx_auth(&key_pem, &cert_pem)?))
                    }
                };
                (inner, ca, identity, cpx)
            }
        };
        let host = match auth {
            Auth::Mtls => Host::Mtls(DEFAULT_CREDENTIAL),
            Auth::Cpx => Host::Cpx,
        };
        let endpoint = inner.endpoint(host)?;
        let caller = inner.caller(&endpoint, cpx.as_ref(), DEFAULT_CREDENTIAL, &options)?;
        let transport = HttpTransport::with_pool(TlsSetup { ca, identity }, timeout, pool)?;
        let mut client = InsiClient::new(transport, endpoint.url, caller)
            .with_policy(options.policy)
            .with_guard(inner.guard(&options));
        if let Some(cpx) = &cpx {
            client = client.with_assertions(cpx.assertions.clone());
        }
        Ok(Target {
            label: inner.label().to_owned(),
            client: Arc::new(client),
            inner,
        })
    }

    /// Stops the embedded simulator, if any.
    pub async fn shutdown(self) {
        self.inner.shutdown().await;
    }
}

fn read(what: &'static str, path: &Path) -> Result<String, TargetError> {
    std::fs::read_to_string(path).map_err(|e| TargetError::File {
        what,
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// A software PS signer with the client's assertion cache (signed once per 20 s window), the
/// simulator's test practice attributes, and the PS identifier (the certificate CN).
fn cpx_auth(key_pem: &str, cert_pem: &str) -> Result<CpxAuth, TargetError> {
    let signer = xmldsig::RsaSoftwareSigner::from_pem(key_pem, cert_pem)
        .map_err(|e| TargetError::Signer(e.to_string()))?;
    let leaf =
        rustls_pki_types::CertificateDer::from(xmldsig::Signer::certificate_der(&signer).to_vec());
    let ps_id = insi_client::inspect_der(&leaf, "PS certificate", jiff::Timestamp::now())?
        .cn
        .unwrap_or_default();
    let attributes = PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA05".into(),
    };
    let assertions: Arc<dyn AssertionProvider> =
        Arc::new(SignedAssertions::new(signer, attributes));
    Ok(CpxAuth { assertions, ps_id })
}
