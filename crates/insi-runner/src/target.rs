//! Where requests go: a [`TargetSpec`] (the embedded simulator, or a remote environment or URL
//! with its CA bundle and client credentials) resolved once into a [`Target`] that hands out
//! endpoints and clients. `run`, `search`, `verify` and `load` all reach INSi through it, so the
//! simulator is started and the credentials are read in one place.
//!
//! Resolving a remote target completes one HTTP exchange with each host (a `GET`, no INSi
//! request): an unreachable URL or a refused certificate is one setup error with its cause, not
//! one failed case per case repeating "connection refused".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use insi_client::{
    AssertionProvider, ClientIdentity, Environment, Guard, HttpTransport, InsiClient, Origin,
    RetryPolicy, TlsSetup,
};
use insi_sim::embedded::{EmbeddedConfig, EmbeddedSim};
use insi_sim::personas::Personas;
use rustls_pki_types::CertificateDer;

/// The credential used unless a case names another.
pub const DEFAULT_CREDENTIAL: &str = "insi-auto";
/// Credential names a case may ask for (`input.certificate`), as file stems of a PKI directory.
pub const CREDENTIALS: [&str; 4] = ["insi-auto", "insi-manu", "wrong-cn", "foreign-client"];

/// Why a target could not be set up, or cannot serve what is asked of it.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Personas { path: PathBuf, message: String },
    #[error("cannot start the embedded simulator: {0}")]
    Simulator(#[from] insi_sim::server::SimError),
    #[error("{what}: {source}")]
    Certificate {
        what: String,
        source: insi_client::cert::CertError,
    },
    #[error(
        "no client certificate {} (give --pki DIR holding {name}.pem and {name}.key)",
        path.display()
    )]
    NoDefaultCredential { path: PathBuf, name: &'static str },
    #[error("cannot set up TLS: {0}")]
    Tls(insi_client::ClientError),
    #[error(
        "cannot reach {url}: {cause}\n  advice: {advice}",
        advice = cause.advice()
    )]
    Unreachable {
        url: String,
        cause: insi_client::TransportError,
    },
    #[error("no credential '{name}' for this target (known: {known})")]
    UnknownCredential { name: String, known: String },
    #[error(
        "no Emetteur for credential '{credential}': its certificate has no OU (the structure \
         identifier INSi expects); give --emetteur"
    )]
    NoEmetteur { credential: String },
    #[error("this target has no {0} host")]
    NoHost(&'static str),
    #[error("{0} is the embedded simulator: resolve it with TargetSpec::Embedded")]
    SimIsEmbedded(String),
}

/// What to reach.
#[derive(Debug)]
pub enum TargetSpec {
    /// The simulator, started in-process on ephemeral loopback ports with a fresh test PKI.
    Embedded(Box<EmbeddedSpec>),
    /// A named environment or a URL.
    Remote(Box<RemoteSpec>),
}

impl TargetSpec {
    /// The embedded simulator.
    pub fn embedded(spec: EmbeddedSpec) -> TargetSpec {
        TargetSpec::Embedded(Box::new(spec))
    }

    /// A remote INSi.
    pub fn remote(spec: RemoteSpec) -> TargetSpec {
        TargetSpec::Remote(Box::new(spec))
    }
}

/// The embedded simulator and how to call it.
#[derive(Debug)]
pub struct EmbeddedSpec {
    /// The simulator's configuration. [`EmbeddedSpec::default`] starts both hosts with the
    /// shipped personas and trusts the shipped card CA (the emulated CPx cards chain to it).
    pub config: EmbeddedConfig,
    /// A client identity to present instead of the simulator's INSI-AUTO (`--cert` with
    /// `--env sim`: to see what the simulator says of one's own certificate).
    pub identity: Option<ClientIdentity>,
    /// A CA bundle to trust instead of the simulator's own.
    pub ca: Option<Vec<CertificateDer<'static>>>,
    /// Emetteur instead of the certificate OU.
    pub emetteur: Option<String>,
}

impl Default for EmbeddedSpec {
    fn default() -> Self {
        EmbeddedSpec {
            config: EmbeddedConfig {
                mtls: true,
                cpx: true,
                extra_cpx_ca_pem: vec![insi_sim::cpx::SHIPPED_CARD_CA_PEM.to_owned()],
                ..EmbeddedConfig::default()
            },
            identity: None,
            ca: None,
            emetteur: None,
        }
    }
}

impl EmbeddedSpec {
    /// The default spec, serving the personas of `path` instead of the shipped ones.
    pub fn with_personas_file(path: &Path) -> Result<EmbeddedSpec, TargetError> {
        let text = std::fs::read_to_string(path).map_err(|source| TargetError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let personas = Personas::parse(&text).map_err(|e| TargetError::Personas {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut spec = EmbeddedSpec::default();
        spec.config.personas = Some(personas);
        Ok(spec)
    }
}

/// A remote INSi (qualification, production, or a standalone `insi-bench sim serve`).
#[derive(Debug)]
pub struct RemoteSpec {
    /// The mTLS host (or the only host, for a CPx environment).
    pub env: Environment,
    /// The CPx host [default: the CPx twin of a named mTLS environment, else `env` itself].
    pub cpx_env: Option<Environment>,
    /// The CA bundle trusted for the servers, and nothing else.
    pub ca: Vec<CertificateDer<'static>>,
    /// Client identities by name; `insi-auto` (or the first one) is the default. Empty when only
    /// the CPx host is used.
    pub credentials: Vec<(String, ClientIdentity)>,
    /// The authorisation number (IDAM) sent as ContexteLPS/LPS/IDAM.
    pub idam: String,
    /// Emetteur instead of the certificate OU.
    pub emetteur: Option<String>,
    /// Complete one exchange with each host when resolving (default true).
    pub probe: bool,
}

impl RemoteSpec {
    /// Credentials from a PKI directory: `ca.pem` (unless `ca` is given) and, for each name of
    /// [`CREDENTIALS`], `<name>.pem` + `<name>.key` when present. The default credential must
    /// exist; a missing other one makes the cases that ask for it fail with a clear message.
    pub fn from_pki_dir(
        env: Environment,
        cpx_env: Option<Environment>,
        pki: &Path,
        ca: Option<&Path>,
        idam: String,
    ) -> Result<RemoteSpec, TargetError> {
        let ca_path = ca.map_or_else(|| pki.join("ca.pem"), Path::to_path_buf);
        let ca = insi_client::cert::read_ca_bundle(&ca_path).map_err(|source| {
            TargetError::Certificate {
                what: format!("server CA bundle {}", ca_path.display()),
                source,
            }
        })?;
        let mut credentials = Vec::new();
        for name in CREDENTIALS {
            let cert = pki.join(format!("{name}.pem"));
            let key = pki.join(format!("{name}.key"));
            if !cert.is_file() {
                if name == DEFAULT_CREDENTIAL {
                    return Err(TargetError::NoDefaultCredential { path: cert, name });
                }
                continue;
            }
            let identity =
                ClientIdentity::from_pem_files(&cert, key.is_file().then_some(key.as_path()))
                    .map_err(|source| TargetError::Certificate {
                        what: format!("client certificate {}", cert.display()),
                        source,
                    })?;
            credentials.push((name.to_owned(), identity));
        }
        Ok(RemoteSpec {
            env,
            cpx_env,
            ca,
            credentials,
            idam,
            emetteur: None,
            probe: true,
        })
    }
}

/// One client credential of a target: its transport and the Emetteur it implies.
#[derive(Debug)]
struct Credential {
    transport: HttpTransport,
    emetteur: Option<String>,
    not_after: Option<jiff::Timestamp>,
}

/// A host and how to authenticate to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    /// The mTLS host with the named credential.
    Mtls(&'a str),
    /// The CPx host (server TLS; the PS assertion authenticates).
    Cpx,
}

/// Where one client sends: what [`Target::endpoint`] returns.
#[derive(Debug)]
pub struct Endpoint<'a> {
    pub url: &'a str,
    pub transport: &'a HttpTransport,
    /// The Emetteur of an mTLS credential (the certificate OU, or the configured one); `None`
    /// on the CPx host, where it is the PS identifier.
    pub emetteur: Option<&'a str>,
    /// Expiry of the client certificate, for the client's own check.
    pub not_after: Option<jiff::Timestamp>,
}

/// The software's identity on the wire (ContexteLPS), the same for every call of a command.
#[derive(Clone, Debug)]
pub struct Software {
    pub lps_version: String,
    pub instance: String,
    pub nom: String,
}

/// How to build one client: see [`Target::client`].
#[derive(Clone)]
pub struct ClientOptions {
    pub software: Software,
    pub policy: RetryPolicy,
    /// Who calls (the production guard words its refusal for it).
    pub origin: Origin,
    /// `--i-know-this-is-production` was given.
    pub acknowledged_production: bool,
    /// An IDAM other than the target's.
    pub idam: Option<String>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("software", &self.software)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// CPx mode for a client: who signs the PS assertions, and the PS identifier (the signature
/// certificate's CN), which is the Emetteur.
#[derive(Clone)]
pub struct CpxAuth {
    pub assertions: Arc<dyn AssertionProvider>,
    pub ps_id: String,
}

impl std::fmt::Debug for CpxAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpxAuth")
            .field("ps_id", &self.ps_id)
            .finish_non_exhaustive()
    }
}

/// A resolved target.
#[derive(Debug)]
pub struct Target {
    label: String,
    production: bool,
    idam: String,
    mtls: Option<(String, HashMap<String, Credential>)>,
    cpx: Option<(String, HttpTransport)>,
    sim: Option<EmbeddedSim>,
}

impl Target {
    /// Starts the embedded simulator or connects to the remote hosts (see the module doc).
    /// `call_timeout` bounds one HTTP exchange of every transport.
    pub async fn resolve(spec: TargetSpec, call_timeout: Duration) -> Result<Target, TargetError> {
        match spec {
            TargetSpec::Embedded(spec) => Target::start_embedded(*spec, call_timeout).await,
            TargetSpec::Remote(spec) => Target::connect_remote(*spec, call_timeout).await,
        }
    }

    async fn start_embedded(
        spec: EmbeddedSpec,
        call_timeout: Duration,
    ) -> Result<Target, TargetError> {
        let idam = spec
            .config
            .idams
            .first()
            .cloned()
            .unwrap_or_else(|| insi_sim::server::DEFAULT_IDAM.to_owned());
        let sim = insi_sim::embedded::start(spec.config).await?;
        let mut own_identity = spec.identity;
        let ca = match spec.ca {
            Some(ca) => ca,
            None => insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "simulator CA")
                .map_err(|source| TargetError::Certificate {
                    what: "simulator CA".into(),
                    source,
                })?,
        };
        let mtls = match sim.url() {
            Some(url) => {
                let pki = sim.pki();
                let mut credentials = HashMap::new();
                for (name, credential) in [
                    ("insi-auto", &pki.insi_auto),
                    ("insi-manu", &pki.insi_manu),
                    ("wrong-cn", &pki.wrong_cn),
                    ("foreign-client", &pki.foreign_client),
                ] {
                    let own = if name == DEFAULT_CREDENTIAL {
                        own_identity.take()
                    } else {
                        None
                    };
                    let identity = match own {
                        Some(own) => own,
                        None => ClientIdentity::from_pem(credential.identity_pem().as_bytes())
                            .map_err(|source| TargetError::Certificate {
                                what: format!("simulator credential {name}"),
                                source,
                            })?,
                    };
                    let credential =
                        credential_for(&ca, identity, spec.emetteur.as_deref(), call_timeout)?;
                    credentials.insert(name.to_owned(), credential);
                }
                Some((url, credentials))
            }
            None => None,
        };
        let cpx = match sim.cpx_url() {
            Some(url) => Some((url, server_auth(&ca, call_timeout)?)),
            None => None,
        };
        Ok(Target {
            label: "sim (embedded)".into(),
            production: false,
            idam,
            mtls,
            cpx,
            sim: Some(sim),
        })
    }

    async fn connect_remote(
        spec: RemoteSpec,
        call_timeout: Duration,
    ) -> Result<Target, TargetError> {
        let Some(url) = spec.env.url() else {
            return Err(TargetError::SimIsEmbedded(spec.env.name().to_owned()));
        };
        let cpx_url = match (&spec.cpx_env, &spec.env) {
            (Some(named), _) => named.url().unwrap_or(url).to_owned(),
            (None, Environment::QualifMtls) => Environment::QUALIF_CPX_URL.to_owned(),
            (None, Environment::ProdMtls) => Environment::PROD_CPX_URL.to_owned(),
            (None, _) => url.to_owned(),
        };
        let production =
            spec.env.is_production() || spec.cpx_env.as_ref().is_some_and(|e| e.is_production());
        let mut credentials = HashMap::new();
        let mut default = None;
        for (i, (name, identity)) in spec.credentials.into_iter().enumerate() {
            if i == 0 || name == DEFAULT_CREDENTIAL {
                default = Some(name.clone());
            }
            let credential =
                credential_for(&spec.ca, identity, spec.emetteur.as_deref(), call_timeout)?;
            credentials.insert(name, credential);
        }
        let cpx_transport = server_auth(&spec.ca, call_timeout)?;
        if spec.probe {
            // The mTLS host with the default credential, then the CPx host: both must answer
            // HTTP before any case runs.
            if let Some(credential) = default.as_ref().and_then(|n| credentials.get(n)) {
                probe(&credential.transport, url).await?;
            }
            if cpx_url != url || credentials.is_empty() {
                probe(&cpx_transport, &cpx_url).await?;
            }
        }
        Ok(Target {
            label: spec.env.name().to_owned(),
            production,
            idam: spec.idam,
            mtls: (!credentials.is_empty()).then(|| (url.to_owned(), credentials)),
            cpx: Some((cpx_url, cpx_transport)),
            sim: None,
        })
    }

    /// What reports show: `sim (embedded)`, an environment name or a URL.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A production host is part of this target (the guard refuses test material there).
    pub fn is_production(&self) -> bool {
        self.production
    }

    /// The IDAM sent unless a case or a flag gives another.
    pub fn idam(&self) -> &str {
        &self.idam
    }

    /// The embedded simulator, when the target is one.
    pub fn embedded(&self) -> Option<&EmbeddedSim> {
        self.sim.as_ref()
    }

    /// Retries suited to the target: against the simulator an outage is simulated, so retries
    /// wait a few milliseconds; against a real service, the client's default backoff.
    pub fn retry_policy(&self, call_timeout: Duration) -> RetryPolicy {
        let mut policy = RetryPolicy {
            call_timeout,
            ..RetryPolicy::default()
        };
        if self.sim.is_some() {
            policy.base_delay = Duration::from_millis(5);
        }
        policy
    }

    /// The URL, transport and Emetteur for a host.
    pub fn endpoint(&self, host: Host<'_>) -> Result<Endpoint<'_>, TargetError> {
        match host {
            Host::Mtls(name) => {
                let (url, credentials) = self.mtls.as_ref().ok_or(TargetError::NoHost("mTLS"))?;
                let credential =
                    credentials
                        .get(name)
                        .ok_or_else(|| TargetError::UnknownCredential {
                            name: name.to_owned(),
                            known: CREDENTIALS.join(", "),
                        })?;
                Ok(Endpoint {
                    url,
                    transport: &credential.transport,
                    emetteur: credential.emetteur.as_deref(),
                    not_after: credential.not_after,
                })
            }
            Host::Cpx => {
                let (url, transport) = self.cpx.as_ref().ok_or(TargetError::NoHost("CPx"))?;
                Ok(Endpoint {
                    url,
                    transport,
                    emetteur: None,
                    not_after: None,
                })
            }
        }
    }

    /// A client for the mTLS host with `credential`, or for the CPx host with `cpx`.
    pub fn client(
        &self,
        credential: &str,
        cpx: Option<&CpxAuth>,
        options: &ClientOptions,
    ) -> Result<InsiClient<HttpTransport>, TargetError> {
        let host = if cpx.is_some() {
            Host::Cpx
        } else {
            Host::Mtls(credential)
        };
        let endpoint = self.endpoint(host)?;
        let caller = self.caller(&endpoint, cpx, credential, options)?;
        let mut client = InsiClient::new(endpoint.transport.clone(), endpoint.url, caller)
            .with_policy(options.policy)
            .with_guard(self.guard(options));
        if let Some(cpx) = cpx {
            client = client.with_assertions(cpx.assertions.clone());
        }
        if let Some(not_after) = endpoint.not_after {
            client = client.with_client_not_after(not_after);
        }
        Ok(client)
    }

    /// The ContexteLPS caller for an endpoint: the Emetteur is the PS identifier in CPx mode and
    /// the certificate's (or configured) Emetteur in mTLS mode (INSI-PROTOCOL.md §2.3).
    pub fn caller(
        &self,
        endpoint: &Endpoint<'_>,
        cpx: Option<&CpxAuth>,
        credential: &str,
        options: &ClientOptions,
    ) -> Result<insi_soap::Caller, TargetError> {
        let emetteur = match cpx {
            Some(cpx) => cpx.ps_id.clone(),
            None => endpoint
                .emetteur
                .ok_or_else(|| TargetError::NoEmetteur {
                    credential: credential.to_owned(),
                })?
                .to_owned(),
        };
        Ok(insi_soap::Caller {
            idam: options.idam.clone().unwrap_or_else(|| self.idam.clone()),
            lps_version: options.software.lps_version.clone(),
            instance: options.software.instance.clone(),
            nom: options.software.nom.clone(),
            emetteur,
        })
    }

    /// The production guard for clients of this target.
    pub fn guard(&self, options: &ClientOptions) -> Guard {
        Guard {
            production: self.production,
            acknowledged: options.acknowledged_production,
            origin: options.origin,
        }
    }

    /// Stops the embedded simulator, if any, after its open exchanges end.
    pub async fn shutdown(self) {
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
    }
}

async fn probe(transport: &HttpTransport, url: &str) -> Result<(), TargetError> {
    transport
        .probe(url)
        .await
        .map(drop)
        .map_err(|cause| TargetError::Unreachable {
            url: url.to_owned(),
            cause,
        })
}

fn credential_for(
    ca: &[CertificateDer<'static>],
    identity: ClientIdentity,
    emetteur: Option<&str>,
    call_timeout: Duration,
) -> Result<Credential, TargetError> {
    let report = insi_client::inspect_der(
        identity.leaf(),
        "client certificate",
        jiff::Timestamp::now(),
    )
    .map_err(|source| TargetError::Certificate {
        what: "client certificate".into(),
        source,
    })?;
    let transport = HttpTransport::new(
        TlsSetup {
            ca: ca.to_vec(),
            identity: Some(identity),
        },
        call_timeout,
    )
    .map_err(TargetError::Tls)?;
    Ok(Credential {
        transport,
        emetteur: emetteur.map(str::to_owned).or(report.ou),
        not_after: report.not_after.parse().ok(),
    })
}

fn server_auth(
    ca: &[CertificateDer<'static>],
    call_timeout: Duration,
) -> Result<HttpTransport, TargetError> {
    HttpTransport::new(
        TlsSetup {
            ca: ca.to_vec(),
            identity: None,
        },
        call_timeout,
    )
    .map_err(TargetError::Tls)
}
