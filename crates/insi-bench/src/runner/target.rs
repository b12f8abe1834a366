//! Where a package run sends its requests: the embedded simulator (default), or a given
//! environment or URL with credentials from a PKI directory. Named credentials let cases ask for
//! other certificates (`input.certificate = "wrong-cn"`).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use insi_client::{ClientIdentity, Environment, HttpTransport, TlsSetup};
use insi_sim::embedded::{EmbeddedConfig, EmbeddedSim};
use insi_sim::personas::Personas;
use rustls_pki_types::CertificateDer;

/// The credential a case uses unless it names another.
pub const DEFAULT_CREDENTIAL: &str = "insi-auto";
/// Credential names a case may ask for, as file stems in a PKI directory.
pub const CREDENTIALS: [&str; 4] = ["insi-auto", "insi-manu", "wrong-cn", "foreign-client"];

/// A ready target: URL, one HTTP transport per credential, the identity of the caller.
#[derive(Debug)]
pub struct RunTarget {
    /// What reports show: `sim (embedded)`, an environment name or a URL.
    pub label: String,
    pub url: String,
    pub production: bool,
    pub idam: String,
    /// Per credential: its transport and the `Emetteur` it implies (the certificate's OU).
    transports: HashMap<String, (HttpTransport, String)>,
    /// CPx cases: the URL and a server-auth-only transport (the PS assertion authenticates).
    cpx: Option<(String, HttpTransport)>,
    sim: Option<EmbeddedSim>,
}

impl RunTarget {
    /// Starts the embedded simulator with the package's personas (or the shipped ones).
    pub async fn embedded(
        personas: Option<&Path>,
        call_timeout: Duration,
    ) -> anyhow::Result<RunTarget> {
        let mut config = EmbeddedConfig {
            cpx: true,
            // The emulated cards of packages chain to the shipped card CA.
            extra_cpx_ca_pem: vec![super::cards::SHIPPED_CARD_CA.to_owned()],
            ..EmbeddedConfig::default()
        };
        if let Some(path) = personas {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            config.personas = Some(
                Personas::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            );
        }
        let sim = insi_sim::embedded::start(config)
            .await
            .context("cannot start the embedded simulator")?;
        let url = sim
            .url()
            .context("the embedded simulator has no mTLS host")?;
        let ca = insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "simulator CA")?;
        let pki = sim.pki();
        let mut transports = HashMap::new();
        for (name, credential) in [
            ("insi-auto", &pki.insi_auto),
            ("insi-manu", &pki.insi_manu),
            ("wrong-cn", &pki.wrong_cn),
            ("foreign-client", &pki.foreign_client),
        ] {
            let identity = ClientIdentity::from_pem(credential.identity_pem().as_bytes())?;
            transports.insert(name.to_owned(), transport(&ca, identity, call_timeout)?);
        }
        let cpx_url = sim
            .cpx_url()
            .context("the embedded simulator has no CPx host")?;
        let cpx = Some((cpx_url, server_auth_transport(&ca, call_timeout)?));
        Ok(RunTarget {
            label: "sim (embedded)".into(),
            url,
            production: false,
            idam: insi_sim::server::DEFAULT_IDAM.into(),
            transports,
            cpx,
            sim: Some(sim),
        })
    }

    /// A named environment or a URL; credentials are `<name>.pem` + `<name>.key` in `pki`, the
    /// server CA is `ca.pem` there unless `ca` is given. Missing credential files are allowed
    /// (cases that need them fail with a clear message), but the default one must exist.
    pub fn remote(
        env: &Environment,
        cpx_env: Option<&Environment>,
        pki: &Path,
        ca: Option<&Path>,
        idam: String,
        call_timeout: Duration,
    ) -> anyhow::Result<RunTarget> {
        let Some(url) = env.url() else {
            bail!("internal: the sim environment is started with RunTarget::embedded");
        };
        let ca_path = ca
            .map(Path::to_path_buf)
            .unwrap_or_else(|| pki.join("ca.pem"));
        let ca = insi_client::cert::read_ca_bundle(&ca_path)
            .with_context(|| format!("server CA bundle {}", ca_path.display()))?;
        let mut transports = HashMap::new();
        for name in CREDENTIALS {
            let cert = pki.join(format!("{name}.pem"));
            let key = pki.join(format!("{name}.key"));
            if !cert.is_file() {
                if name == DEFAULT_CREDENTIAL {
                    bail!(
                        "no client certificate {} (give --pki DIR holding {name}.pem and {name}.key)",
                        cert.display()
                    );
                }
                continue;
            }
            let identity =
                ClientIdentity::from_pem_files(&cert, key.is_file().then_some(key.as_path()))
                    .with_context(|| format!("client certificate {}", cert.display()))?;
            transports.insert(name.to_owned(), transport(&ca, identity, call_timeout)?);
        }
        // CPx cases go without a client certificate to the CPx host: the one named, else the
        // CPx twin of a named environment, else the same URL.
        let cpx_url = match (cpx_env, env) {
            (Some(named), _) => named.url().unwrap_or(url).to_owned(),
            (None, Environment::QualifMtls) => Environment::QUALIF_CPX_URL.to_owned(),
            (None, Environment::ProdMtls) => Environment::PROD_CPX_URL.to_owned(),
            (None, _) => url.to_owned(),
        };
        let production = env.is_production() || cpx_env.is_some_and(Environment::is_production);
        let cpx = Some((cpx_url, server_auth_transport(&ca, call_timeout)?));
        Ok(RunTarget {
            label: env.name().to_owned(),
            url: url.to_owned(),
            production,
            idam,
            transports,
            cpx,
            sim: None,
        })
    }

    /// The transport for a credential name, and the `Emetteur` that goes with it.
    pub fn transport(&self, credential: &str) -> Result<&(HttpTransport, String), String> {
        self.transports.get(credential).ok_or_else(|| {
            format!(
                "no credential '{credential}' for this target (known: {})",
                CREDENTIALS.join(", ")
            )
        })
    }

    /// The CPx host's URL and its server-auth transport.
    pub fn cpx(&self) -> Result<&(String, HttpTransport), String> {
        self.cpx
            .as_ref()
            .ok_or_else(|| "this target has no CPx host".to_owned())
    }

    pub async fn shutdown(self) {
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
    }
}

fn transport(
    ca: &[CertificateDer<'static>],
    identity: ClientIdentity,
    call_timeout: Duration,
) -> anyhow::Result<(HttpTransport, String)> {
    // mTLS callers send their certificate's OU as Emetteur (INSI-PROTOCOL.md §2.3).
    let report = insi_client::inspect_der(
        identity.leaf(),
        "client certificate",
        jiff::Timestamp::now(),
    )?;
    let emetteur = report.ou.unwrap_or_else(|| "INSI-BENCH".to_owned());
    let transport = HttpTransport::new(
        TlsSetup {
            ca: ca.to_vec(),
            identity: Some(identity),
        },
        call_timeout,
    )
    .map_err(|e| anyhow::anyhow!("cannot set up TLS: {e}"))?;
    Ok((transport, emetteur))
}

fn server_auth_transport(
    ca: &[CertificateDer<'static>],
    call_timeout: Duration,
) -> anyhow::Result<HttpTransport> {
    HttpTransport::new(
        TlsSetup {
            ca: ca.to_vec(),
            identity: None,
        },
        call_timeout,
    )
    .map_err(|e| anyhow::anyhow!("cannot set up TLS: {e}"))
}
