//! What `search` and `verify` share to reach INSi: connection flags, configuration layering
//! (file < env vars < flags) turned into an `insi_runner::TargetSpec` (the runner crate starts
//! the embedded simulator for `sim`: the client never depends on the simulator), the client
//! identity (PKCS#12 password from an env var or a no-echo prompt, never a flag) and the CPx
//! assertion provider (software key, the simulator's test PS, or the card in a reader).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use insi_client::config::{self, Credentials, Layer, NetworkLayer, Settings, TlsLayer};
use insi_client::{AuthMode, ClientIdentity, Environment, HttpTransport, InsiClient, Origin};
use insi_runner::{
    ClientOptions, CpxAuth, DEFAULT_CREDENTIAL, EmbeddedSpec, RemoteSpec, Software, Target,
    TargetSpec,
};

/// Flags of every command that calls INSi.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// Target: sim (embedded simulator, default), qualif-mtls, qualif-cpx, prod-mtls, prod-cpx,
    /// or an https:// URL.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Configuration file (default: $INSI_BENCH_CONFIG, else ~/.config/insi-bench/config.toml
    /// when it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Client certificate (PEM, may include the chain and the key).
    #[arg(long, value_name = "FILE", conflicts_with = "p12")]
    pub cert: Option<PathBuf>,
    /// Private key of --cert (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Client certificate and key as PKCS#12; the password comes from the environment variable
    /// named by --p12-password-env, or a no-echo prompt.
    #[arg(long, value_name = "FILE")]
    pub p12: Option<PathBuf>,
    /// Environment variable holding the PKCS#12 password [default: INSI_BENCH_P12_PASSWORD].
    #[arg(long, value_name = "VAR")]
    pub p12_password_env: Option<String>,
    /// CA bundle (PEM or DER) trusted for the server, and nothing else.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// CNDA authorisation number sent as ContexteLPS/LPS/IDAM.
    #[arg(long, value_name = "IDAM")]
    pub idam: Option<String>,
    /// Emetteur (default: the OU of the client certificate).
    #[arg(long, value_name = "ID")]
    pub emetteur: Option<String>,
    /// Timeout of one HTTP exchange, in seconds [default: 10].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Deadline of the whole search, retries included, in seconds [default: 60].
    #[arg(long, value_name = "SECS")]
    pub deadline: Option<f64>,
    /// Retries of transport errors and desir_1020 [default: 2].
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Authentication: mtls (establishment certificate) or cpx (PS assertion). Default: the
    /// environment's (cpx for qualif-cpx/prod-cpx, else mtls).
    #[arg(long, value_parser = ["mtls", "cpx"])]
    pub auth: Option<String>,
    /// CPx with a software key: the PS signature private key (PEM PKCS#8, RSA). For tests and
    /// demos; with `--env sim --auth cpx` the simulator's test PS key is used by default.
    #[arg(long, value_name = "FILE", requires = "ps_cert")]
    pub ps_key: Option<PathBuf>,
    /// CPx with a software key: the PS signature certificate (PEM).
    #[arg(long, value_name = "FILE", requires = "ps_key")]
    pub ps_cert: Option<PathBuf>,
    /// CPx with the card in a PC/SC reader: the card signs the PS assertion; its PIN is asked
    /// once at a no-echo prompt on the terminal and never retried, logged nor stored.
    #[arg(long, conflicts_with_all = ["ps_key", "ps_cert"])]
    pub card: bool,
    /// The reader holding the CPx (default: the only reader with a card).
    #[arg(long, value_name = "NAME", requires = "card")]
    pub reader: Option<String>,
    /// identifiantFacturation of the PS assertion (FINESS/SIRET or AM billing number).
    #[arg(long, value_name = "ID")]
    pub facturation: Option<String>,
    /// secteurActivite of the PS assertion (e.g. SA05).
    #[arg(long, value_name = "CODE")]
    pub secteur: Option<String>,
    /// codeSpecialiteAMO of the PS assertion (physicians only).
    #[arg(long, value_name = "CODE")]
    pub specialite: Option<String>,
    /// Allow test identities, test OIDs or the runner against production.
    #[arg(long)]
    pub i_know_this_is_production: bool,
    /// Write every attempt's raw request and response, and trace.json, into DIR.
    #[arg(long, value_name = "DIR")]
    pub trace_dir: Option<PathBuf>,
}

/// A connected client, with its target (and so the embedded simulator) kept alive as long as it.
pub struct Connection {
    pub client: InsiClient<HttpTransport>,
    _target: Target,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

fn env_lookup(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Merges the configuration sources into settings.
pub fn settings(args: &ConnectArgs) -> anyhow::Result<Settings> {
    let file = match args
        .config
        .clone()
        .or_else(|| env_lookup(config::CONFIG_ENV).map(PathBuf::from))
    {
        Some(path) => Layer::from_file(&path)?,
        None => match config::default_config_path(env_lookup).filter(|p| p.exists()) {
            Some(path) => Layer::from_file(&path)?,
            None => Layer::default(),
        },
    };
    let flags = Layer {
        env: args.env.clone(),
        auth: args.auth.clone(),
        cpx: config::CpxLayer {
            ps_key: args.ps_key.clone(),
            ps_cert: args.ps_cert.clone(),
            facturation: args.facturation.clone(),
            secteur: args.secteur.clone(),
            specialite: args.specialite.clone(),
        },
        emetteur: args.emetteur.clone(),
        lps: config::LpsLayer {
            idam: args.idam.clone(),
            ..Default::default()
        },
        tls: TlsLayer {
            ca: args.ca.clone(),
            cert: args.cert.clone(),
            key: args.key.clone(),
            p12: args.p12.clone(),
            p12_password_env: args.p12_password_env.clone(),
        },
        network: NetworkLayer {
            timeout_secs: args.timeout,
            deadline_secs: args.deadline,
            retries: args.retries,
        },
    };
    Ok(file
        .merge(Layer::from_env(env_lookup)?)
        .merge(flags)
        .resolve()?)
}

/// The configured environment as a target spec: the embedded simulator (with the caller's
/// certificate or CA when given), or a remote host with the configured CA and certificate.
/// Interactive commands make one search: no separate probe exchange first.
fn target_spec(settings: &Settings) -> anyhow::Result<TargetSpec> {
    let auth = settings.auth;
    let identity = match auth {
        AuthMode::Mtls => load_identity(&settings.credentials)?,
        AuthMode::Cpx => None,
    };
    let ca = settings
        .ca
        .as_deref()
        .map(insi_client::cert::read_ca_bundle)
        .transpose()?;
    if settings.environment == Environment::Sim {
        let mut spec = EmbeddedSpec::default();
        spec.config.mtls = auth == AuthMode::Mtls;
        spec.config.cpx = auth == AuthMode::Cpx;
        spec.identity = identity;
        spec.ca = ca;
        spec.emetteur = settings.emetteur.clone();
        return Ok(TargetSpec::embedded(spec));
    }
    let env = &settings.environment;
    let Some(ca) = ca else {
        bail!(
            "no CA bundle: give --ca (or [tls] ca in the configuration). INSi's servers chain to \
             IGC-Santé ELEMENTAIRE; docs/client.md says where to get the certificates"
        );
    };
    let credentials = match (auth, identity) {
        (AuthMode::Mtls, Some(identity)) => vec![(DEFAULT_CREDENTIAL.to_owned(), identity)],
        (AuthMode::Mtls, None) => {
            bail!("{env} needs an establishment certificate: give --cert and --key, or --p12")
        }
        (AuthMode::Cpx, _) => Vec::new(),
    };
    let idam = settings
        .lps
        .idam
        .clone()
        .context("no IDAM: give --idam or set [lps] idam (your CNDA authorisation number)")?;
    Ok(TargetSpec::remote(RemoteSpec {
        env: env.clone(),
        cpx_env: None,
        ca,
        credentials,
        idam,
        emetteur: settings.emetteur.clone(),
        probe: false,
    }))
}

/// Builds the client for the configured environment; starts the simulator for `sim`.
pub fn connect(
    args: &ConnectArgs,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<Connection> {
    let settings = settings(args)?;
    let auth = settings.auth;
    if args.card && auth != AuthMode::Cpx {
        bail!("--card signs PS assertions: it needs --auth cpx (or a CPx environment)");
    }
    let is_sim = settings.environment == Environment::Sim;
    let spec = target_spec(&settings)?;
    let instance = match (&settings.lps.instance, is_sim) {
        (Some(instance), _) => instance.clone(),
        (None, true) => uuid::Uuid::new_v4().to_string(),
        (None, false) => bail!(
            "no instance UUID in the configuration: run `insi-bench config init` once and keep \
             the file (the instance identifies this installation)"
        ),
    };
    let target = runtime.block_on(Target::resolve(spec, settings.policy.call_timeout))?;
    let sim_ps = target.embedded().map(|sim| sim.pki().cpx_ps.clone());
    let cpx = match auth {
        AuthMode::Mtls => None,
        AuthMode::Cpx if args.card => Some(card_assertions(
            args.reader.as_deref(),
            &settings.cpx,
            is_sim,
        )?),
        AuthMode::Cpx => Some(assertion_provider(&settings.cpx, sim_ps.as_ref())?),
    };
    let options = ClientOptions {
        software: Software {
            lps_version: settings.lps.version.clone(),
            instance,
            nom: settings.lps.nom.clone(),
        },
        policy: settings.policy,
        origin: Origin::Interactive,
        acknowledged_production: args.i_know_this_is_production,
        idam: settings.lps.idam.clone(),
    };
    let client = target.client(DEFAULT_CREDENTIAL, cpx.as_ref(), &options)?;
    Ok(Connection {
        client,
        _target: target,
    })
}

/// The CPx assertion provider: a software key from `--ps-key/--ps-cert`, or the simulator's
/// test PS certificate. Returns it with the PS identifier (the certificate CN). A real card is
/// plugged in by the card module through the same `xmldsig::Signer` trait.
fn assertion_provider(
    cpx: &config::CpxSettings,
    sim_ps: Option<&insi_sim::pki::Credential>,
) -> anyhow::Result<CpxAuth> {
    let (key_pem, cert_pem) = match (&cpx.ps_key, sim_ps) {
        (Some((key, cert)), _) => (
            zeroize::Zeroizing::new(
                std::fs::read_to_string(key)
                    .with_context(|| format!("cannot read {}", key.display()))?,
            ),
            std::fs::read_to_string(cert)
                .with_context(|| format!("cannot read {}", cert.display()))?,
        ),
        (None, Some(ps)) => (ps.key_pem.clone(), ps.cert_pem.clone()),
        (None, None) => bail!(
            "CPx mode needs a PS signature key to sign the assertion: give --ps-key and \
             --ps-cert (software key, for tests and demos), or --card (the CPx in a reader)"
        ),
    };
    let signer = xmldsig::RsaSoftwareSigner::from_pem(&key_pem, &cert_pem)
        .map_err(|e| anyhow::anyhow!("PS signature key: {e}"))?;
    let ps_file = insi_client::CertificateFile::parse(
        xmldsig::Signer::certificate_der(&signer),
        "PS certificate",
        None,
    )?;
    let ps_id = insi_client::inspect(&ps_file, "PS certificate", jiff::Timestamp::now())?
        .cn
        .context("the PS certificate has no CN (the PS identifier)")?;
    let attributes = ps_attributes(cpx, sim_ps.is_some())?;
    Ok(CpxAuth {
        assertions: std::sync::Arc::new(insi_client::SignedAssertions::new(signer, attributes)),
        ps_id,
    })
}

/// The practice attributes of the PS assertion; the simulator's test values by default for `sim`.
fn ps_attributes(
    cpx: &config::CpxSettings,
    sim_defaults: bool,
) -> anyhow::Result<insi_soap::PsAttributes> {
    let test = insi_sim::cpx::test_ps_attributes();
    Ok(insi_soap::PsAttributes {
        identifiant_facturation: match (&cpx.facturation, sim_defaults) {
            (Some(id), _) => id.clone(),
            (None, true) => test.identifiant_facturation,
            (None, false) => bail!("CPx mode needs --facturation (identifiantFacturation)"),
        },
        code_specialite_amo: cpx.specialite.clone(),
        secteur_activite: match (&cpx.secteur, sim_defaults) {
            (Some(s), _) => s.clone(),
            (None, true) => test.secteur_activite,
            (None, false) => bail!("CPx mode needs --secteur (secteurActivite, e.g. SA05)"),
        },
    })
}

/// The CPx in a PC/SC reader as the assertion signer: the PIN is typed once (no echo) and
/// presented once; a wrong PIN ends the command with the tries left (CARDS.md §2.4: a CPx
/// blocks after 3 wrong PINs, so nothing is retried). Returns the provider and the PS identifier.
fn card_assertions(
    reader: Option<&str>,
    cpx: &config::CpxSettings,
    sim_defaults: bool,
) -> anyhow::Result<CpxAuth> {
    let ctx = apdu::pcsc::PcscContext::establish()?;
    let name = ctx.pick_reader(reader)?;
    let card = cpx::Cpx::open(ctx.connect(&name)?).with_context(|| format!("reader {name}"))?;
    let pin = crate::prompt::pin(&format!("PIN of the CPx card in '{name}': "))?;
    let signer =
        cpx::CpxSigner::unlock(card, pin).map_err(|locked| anyhow::anyhow!(locked.error))?;
    let der = rustls_pki_types::CertificateDer::from(signer.certificate().der.clone());
    let ps_id =
        insi_client::inspect_der(&der, "CPx signature certificate", jiff::Timestamp::now())?
            .cn
            .context("the card's signature certificate has no CN (the PS identifier)")?;
    let attributes = ps_attributes(cpx, sim_defaults)?;
    Ok(CpxAuth {
        assertions: std::sync::Arc::new(insi_client::SignedAssertions::new(signer, attributes)),
        ps_id,
    })
}

fn load_identity(credentials: &Credentials) -> anyhow::Result<Option<ClientIdentity>> {
    Ok(match credentials {
        Credentials::None => None,
        Credentials::Pem { cert, key } => {
            Some(ClientIdentity::from_pem_files(cert, key.as_deref())?)
        }
        Credentials::Pkcs12 { path, password_env } => {
            let password = crate::prompt::password(password_env, path)?;
            Some(ClientIdentity::from_pkcs12_file(path, &password)?)
        }
    })
}

/// A client error refused before sending, with its advice, for the exit-2 path.
pub fn with_advice(e: insi_client::ClientError) -> anyhow::Error {
    anyhow::anyhow!("{e}\n  advice: {}", e.advice())
}

/// A multi-thread runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
