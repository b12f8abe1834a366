//! The commented configuration file `insi-bench config init` writes, with a fresh instance
//! UUID (the installation's stable identifier, INSI-PROTOCOL.md §2.3). Never overwrites.

use std::path::Path;

use super::{ConfigError, DEFAULT_P12_PASSWORD_ENV};

/// The commented configuration `config init` writes, with a fresh instance UUID.
pub fn template(instance: uuid::Uuid) -> String {
    format!(
        r#"# insi-bench configuration.
# Precedence: this file < environment variables (INSI_BENCH_*) < command-line flags.
# Relative paths are relative to this file. Never write a password here.

# Target: sim (embedded simulator), qualif-mtls, qualif-cpx, prod-mtls, prod-cpx, or a URL.
env = "sim"
# Authentication: mtls or cpx (default: the environment's).
# auth = "mtls"

# Emetteur of ContexteLPS/ContexteBAM. In mTLS mode it is the OU of your establishment
# certificate, and is taken from it when left out.
# emetteur = "10B0152872"

[lps]
# Your CNDA authorisation number (IDAM, "numero d'autorisation"). An unknown one gets
# fault siram_100 / desir_550.
# idam = "XXXXXXXXXXXX"
# Your software version and name as sent in ContexteLPS.
# version = "{version}"
# nom = "urn:lps:monlogiciel:{version}"
# This installation's identifier: generated once, keep it (the guide asks for a stable value
# per installation, used by support to count distinct installations).
instance = "{instance}"

[tls]
# CA bundle (PEM or DER) trusted for the server, and nothing else. For the real service:
# the IGC-Sante "AC RACINE IGC-SANTE ELEMENTAIRE" and "AC IGC-SANTE ELEMENTAIRE
# ORGANISATIONS" certificates (see docs/client.md for where to get them).
# ca = "certs/igc-sante-elementaire.pem"
# Establishment certificate (CN=INSI-AUTO or INSI-MANU): either PEM cert + key ...
# cert = "certs/insi-auto.pem"
# key = "certs/insi-auto.key"
# ... or a PKCS#12 file, its password read from this environment variable (or a prompt).
# p12 = "certs/insi-auto.p12"
# p12_password_env = "{p12env}"

[cpx]
# CPx mode (auth = "cpx" at the top, or env = "qualif-cpx"): the PS assertion's attributes.
# facturation = "991130972"   # identifiantFacturation (FINESS/SIRET, or AM billing number)
# secteur = "SA05"            # secteurActivite
# specialite = "01"           # codeSpecialiteAMO, physicians only
# A software PS key, for tests and demos only (a CPx card is the real signer):
# ps_key = "certs/ps.key"
# ps_cert = "certs/ps.pem"

[network]
# timeout_secs = 10     # one HTTP exchange
# deadline_secs = 60    # a whole search, retries included
# retries = 2           # transport errors and desir_1020 only
"#,
        version = env!("CARGO_PKG_VERSION"),
        p12env = DEFAULT_P12_PASSWORD_ENV,
    )
}

/// Writes [`template`] to `path`, refusing to overwrite; creates parent directories.
pub fn write_template(path: &Path, instance: uuid::Uuid) -> Result<(), ConfigError> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ConfigError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                ConfigError::Exists(path.to_owned())
            } else {
                ConfigError::Write {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
    file.write_all(template(instance).as_bytes())
        .map_err(|source| ConfigError::Write {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::super::{Environment, Layer};
    use super::*;
    use crate::retry::RetryPolicy;

    #[test]
    fn template_parses_and_keeps_its_instance() {
        let id = uuid::Uuid::new_v4();
        let layer = Layer::from_toml(&template(id)).unwrap();
        let settings = layer.resolve().unwrap();
        assert_eq!(settings.lps.instance, Some(id.to_string()));
        assert_eq!(settings.environment, Environment::Sim);
        assert_eq!(settings.policy, RetryPolicy::default());
    }

    #[test]
    fn init_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        write_template(&path, uuid::Uuid::new_v4()).unwrap();
        let layer = Layer::from_file(&path).unwrap();
        assert!(layer.lps.instance.is_some());
        assert!(matches!(
            write_template(&path, uuid::Uuid::new_v4()),
            Err(ConfigError::Exists(_))
        ));
    }
}
