//! Configuration: a TOML file, overridden by environment variables, overridden by flags.
//!
//! Each source is read into a [`Layer`] (every field optional); layers are merged in that
//! order and [`Layer::resolve`] checks the result into [`Settings`]. The LPS identity
//! (INSI-PROTOCOL.md §2.3) lives here: the CNDA authorisation number (IDAM), the software
//! version, the installation's instance UUID — generated once by `config init` and kept — and
//! the software name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::env::{AuthMode, Environment};
use crate::retry::RetryPolicy;

mod template;
pub use template::{template, write_template};

/// The environment variable holding the PKCS#12 password unless the configuration names another.
pub const DEFAULT_P12_PASSWORD_ENV: &str = "INSI_BENCH_P12_PASSWORD";
/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "INSI_BENCH_CONFIG";
/// Configuration files larger than this are refused.
const MAX_CONFIG_BYTES: u64 = 256 * 1024;

/// `[lps]`: who the software is.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LpsLayer {
    pub idam: Option<String>,
    pub version: Option<String>,
    pub instance: Option<String>,
    pub nom: Option<String>,
}

/// `[tls]`: trust and client identity. Relative paths are relative to the configuration file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsLayer {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub p12: Option<PathBuf>,
    /// Name of the environment variable holding the PKCS#12 password (never the password).
    pub p12_password_env: Option<String>,
}

/// `[network]`: timeouts and retries.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkLayer {
    pub timeout_secs: Option<f64>,
    pub deadline_secs: Option<f64>,
    pub retries: Option<u32>,
}

/// `[cpx]`: CPx mode with a software key (tests and demos) and the PS assertion's attributes.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CpxLayer {
    pub ps_key: Option<PathBuf>,
    pub ps_cert: Option<PathBuf>,
    pub facturation: Option<String>,
    pub secteur: Option<String>,
    pub specialite: Option<String>,
}

/// One source of configuration, every field optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub env: Option<String>,
    /// `mtls` or `cpx`; default: the environment's.
    pub auth: Option<String>,
    pub emetteur: Option<String>,
    #[serde(default)]
    pub lps: LpsLayer,
    #[serde(default)]
    pub tls: TlsLayer,
    #[serde(default)]
    pub network: NetworkLayer,
    #[serde(default)]
    pub cpx: CpxLayer,
}

/// Errors of configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration {0} is larger than 256 KiB: is it really a configuration file?")]
    TooLarge(PathBuf),
    #[error("configuration {path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0} already exists: not overwriting it (remove it first, or choose another path)")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn pick<T>(base: Option<T>, over: Option<T>) -> Option<T> {
    over.or(base)
}

impl Layer {
    /// Reads a TOML file; relative paths in `[tls]` become relative to its directory.
    pub fn from_file(path: &Path) -> Result<Layer, ConfigError> {
        let read = |source| ConfigError::Read {
            path: path.to_owned(),
            source,
        };
        if std::fs::metadata(path).map_err(read)?.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge(path.to_owned()));
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        let mut layer = Layer::from_toml(&text).map_err(|message| ConfigError::Toml {
            path: path.to_owned(),
            message,
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut layer.tls.ca,
            &mut layer.tls.cert,
            &mut layer.tls.key,
            &mut layer.tls.p12,
            &mut layer.cpx.ps_key,
            &mut layer.cpx.ps_cert,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
        Ok(layer)
    }

    /// Parses TOML text; the error says where and what (unknown keys included).
    pub fn from_toml(text: &str) -> Result<Layer, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
    }

    /// Reads `INSI_BENCH_*` variables through `lookup` (`std::env::var` in the binary).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
        let get = |k: &str| lookup(k).filter(|v| !v.is_empty());
        let secs = |var: &'static str| -> Result<Option<f64>, ConfigError> {
            get(var)
                .map(|v| {
                    v.parse::<f64>().map_err(|_| ConfigError::Env {
                        var,
                        message: format!("'{v}' is not a number of seconds"),
                    })
                })
                .transpose()
        };
        Ok(Layer {
            env: get("INSI_BENCH_ENV"),
            auth: get("INSI_BENCH_AUTH"),
            cpx: CpxLayer {
                ps_key: get("INSI_BENCH_PS_KEY").map(PathBuf::from),
                ps_cert: get("INSI_BENCH_PS_CERT").map(PathBuf::from),
                facturation: get("INSI_BENCH_FACTURATION"),
                secteur: get("INSI_BENCH_SECTEUR"),
                specialite: get("INSI_BENCH_SPECIALITE"),
            },
            emetteur: get("INSI_BENCH_EMETTEUR"),
            lps: LpsLayer {
                idam: get("INSI_BENCH_IDAM"),
                version: get("INSI_BENCH_LPS_VERSION"),
                instance: get("INSI_BENCH_INSTANCE"),
                nom: get("INSI_BENCH_LPS_NOM"),
            },
            tls: TlsLayer {
                ca: get("INSI_BENCH_CA").map(PathBuf::from),
                cert: get("INSI_BENCH_CERT").map(PathBuf::from),
                key: get("INSI_BENCH_KEY").map(PathBuf::from),
                p12: get("INSI_BENCH_P12").map(PathBuf::from),
                p12_password_env: get("INSI_BENCH_P12_PASSWORD_ENV"),
            },
            network: NetworkLayer {
                timeout_secs: secs("INSI_BENCH_TIMEOUT")?,
                deadline_secs: secs("INSI_BENCH_DEADLINE")?,
                retries: get("INSI_BENCH_RETRIES")
                    .map(|v| {
                        v.parse().map_err(|_| ConfigError::Env {
                            var: "INSI_BENCH_RETRIES",
                            message: format!("'{v}' is not a whole number"),
                        })
                    })
                    .transpose()?,
            },
        })
    }

    /// `over` wins field by field. Giving a certificate pair in `over` drops a PKCS#12 from
    /// `self` and vice versa: one identity source at a time.
    pub fn merge(self, over: Layer) -> Layer {
        let over_has_pem = over.tls.cert.is_some();
        let over_has_p12 = over.tls.p12.is_some();
        let (base_cert, base_key, base_p12) = if over_has_p12 {
            (None, None, self.tls.p12)
        } else if over_has_pem {
            (self.tls.cert, self.tls.key, None)
        } else {
            (self.tls.cert, self.tls.key, self.tls.p12)
        };
        let (ps_key, ps_cert) = if over.cpx.ps_key.is_some() || over.cpx.ps_cert.is_some() {
            (over.cpx.ps_key, over.cpx.ps_cert)
        } else {
            (self.cpx.ps_key, self.cpx.ps_cert)
        };
        Layer {
            env: pick(self.env, over.env),
            auth: pick(self.auth, over.auth),
            cpx: CpxLayer {
                ps_key,
                ps_cert,
                facturation: pick(self.cpx.facturation, over.cpx.facturation),
                secteur: pick(self.cpx.secteur, over.cpx.secteur),
                specialite: pick(self.cpx.specialite, over.cpx.specialite),
            },
            emetteur: pick(self.emetteur, over.emetteur),
            lps: LpsLayer {
                idam: pick(self.lps.idam, over.lps.idam),
                version: pick(self.lps.version, over.lps.version),
                instance: pick(self.lps.instance, over.lps.instance),
                nom: pick(self.lps.nom, over.lps.nom),
            },
            tls: TlsLayer {
                ca: pick(self.tls.ca, over.tls.ca),
                cert: pick(base_cert, over.tls.cert),
                key: pick(base_key, over.tls.key),
                p12: pick(base_p12, over.tls.p12),
                p12_password_env: pick(self.tls.p12_password_env, over.tls.p12_password_env),
            },
            network: NetworkLayer {
                timeout_secs: pick(self.network.timeout_secs, over.network.timeout_secs),
                deadline_secs: pick(self.network.deadline_secs, over.network.deadline_secs),
                retries: pick(self.network.retries, over.network.retries),
            },
        }
    }

    /// Checks the merged layers.
    pub fn resolve(self) -> Result<Settings, ConfigError> {
        let environment: Environment = match &self.env {
            Some(text) => text
                .parse()
                .map_err(|e: crate::env::EnvironmentError| ConfigError::Invalid(e.to_string()))?,
            None => Environment::Sim,
        };
        let auth = match self.auth.as_deref() {
            None => environment.auth_mode(),
            Some("mtls") => AuthMode::Mtls,
            Some("cpx") => AuthMode::Cpx,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "auth '{other}' is not understood: use mtls or cpx"
                )));
            }
        };
        let ps_key = match (self.cpx.ps_key, self.cpx.ps_cert) {
            (Some(key), Some(cert)) => Some((key, cert)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(
                    "a PS signature key needs both ps_key and ps_cert (--ps-key, --ps-cert)".into(),
                ));
            }
        };
        let credentials = match (self.tls.cert, self.tls.key, self.tls.p12) {
            (Some(_), _, Some(_)) => {
                return Err(ConfigError::Invalid(
                    "both a certificate (--cert) and a PKCS#12 file (--p12) are configured: \
                     keep one"
                        .into(),
                ));
            }
            (None, Some(_), None) => {
                return Err(ConfigError::Invalid(
                    "a key (--key) is configured without its certificate (--cert)".into(),
                ));
            }
            (Some(cert), key, None) => Credentials::Pem { cert, key },
            (None, _, Some(path)) => Credentials::Pkcs12 {
                path,
                password_env: self
                    .tls
                    .p12_password_env
                    .unwrap_or_else(|| DEFAULT_P12_PASSWORD_ENV.to_owned()),
            },
            (None, None, None) => Credentials::None,
        };
        let mut policy = RetryPolicy::default();
        let duration = |secs: f64, what: &str| {
            if secs.is_finite() && secs > 0.0 && secs <= 3600.0 {
                Ok(Duration::from_secs_f64(secs))
            } else {
                Err(ConfigError::Invalid(format!(
                    "{what} of {secs} s is out of range: give 0 < seconds <= 3600"
                )))
            }
        };
        if let Some(s) = self.network.timeout_secs {
            policy.call_timeout = duration(s, "the call timeout")?;
        }
        if let Some(s) = self.network.deadline_secs {
            policy.deadline = duration(s, "the deadline")?;
        }
        if let Some(r) = self.network.retries {
            if r > 10 {
                return Err(ConfigError::Invalid(format!(
                    "{r} retries is too many: at most 10 (INSi traces every call)"
                )));
            }
            policy.max_retries = r;
        }
        let version = self
            .lps
            .version
            .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned());
        if let Some(instance) = &self.lps.instance
            && uuid::Uuid::parse_str(instance).is_err()
        {
            return Err(ConfigError::Invalid(format!(
                "lps.instance '{instance}' is not a UUID: run `insi-bench config init` for a \
                 fresh configuration"
            )));
        }
        Ok(Settings {
            environment,
            auth,
            cpx: CpxSettings {
                ps_key,
                facturation: self.cpx.facturation,
                secteur: self.cpx.secteur,
                specialite: self.cpx.specialite,
            },
            emetteur: self.emetteur,
            lps: LpsIdentity {
                idam: self.lps.idam,
                nom: self
                    .lps
                    .nom
                    .unwrap_or_else(|| format!("urn:lps:insi-bench:{version}")),
                version,
                instance: self.lps.instance,
            },
            ca: self.tls.ca,
            credentials,
            policy,
        })
    }
}

/// The software identity sent in `ContexteLPS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LpsIdentity {
    /// CNDA authorisation number; required for every real environment.
    pub idam: Option<String>,
    pub version: String,
    /// The installation's UUID, persisted once by `config init`.
    pub instance: Option<String>,
    pub nom: String,
}

/// Where the client certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    None,
    /// PEM certificate (chain) and key; the key may sit in the certificate file.
    Pem {
        cert: PathBuf,
        key: Option<PathBuf>,
    },
    /// PKCS#12 file, password in the named environment variable (or typed at a prompt).
    Pkcs12 {
        path: PathBuf,
        password_env: String,
    },
}

/// CPx settings: a software PS key (key, certificate) and the assertion's attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpxSettings {
    pub ps_key: Option<(PathBuf, PathBuf)>,
    pub facturation: Option<String>,
    pub secteur: Option<String>,
    pub specialite: Option<String>,
}

/// The checked configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub environment: Environment,
    pub auth: AuthMode,
    pub cpx: CpxSettings,
    /// `None`: taken from the client certificate's OU (§2.3).
    pub emetteur: Option<String>,
    pub lps: LpsIdentity,
    pub ca: Option<PathBuf>,
    pub credentials: Credentials,
    pub policy: RetryPolicy,
}

/// The configuration file used when none is named: `$XDG_CONFIG_HOME/insi-bench/config.toml`
/// or `~/.config/insi-bench/config.toml`.
pub fn default_config_path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = lookup("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| lookup("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("insi-bench").join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_then_flags() {
        let file = Layer::from_toml(
            "env = \"qualif-mtls\"\n[lps]\nidam = \"FILE\"\nversion = \"1\"\n[tls]\np12 = \"a.p12\"\n",
        )
        .unwrap();
        let env = Layer::from_env(|k| match k {
            "INSI_BENCH_IDAM" => Some("ENV".into()),
            "INSI_BENCH_TIMEOUT" => Some("2.5".into()),
            _ => None,
        })
        .unwrap();
        let flags = Layer {
            tls: TlsLayer {
                cert: Some("c.pem".into()),
                key: Some("c.key".into()),
                ..TlsLayer::default()
            },
            ..Layer::default()
        };
        let s = file.merge(env).merge(flags).resolve().unwrap();
        assert_eq!(s.environment, Environment::QualifMtls);
        assert_eq!(s.lps.idam.as_deref(), Some("ENV"));
        assert_eq!(s.lps.version, "1");
        assert_eq!(s.policy.call_timeout, Duration::from_millis(2500));
        // The flags' PEM pair replaces the file's PKCS#12.
        assert_eq!(
            s.credentials,
            Credentials::Pem {
                cert: "c.pem".into(),
                key: Some("c.key".into())
            }
        );
    }

    #[test]
    fn mistakes_are_explained() {
        let err = Layer::from_toml("[tls]\ncertificate = \"x\"\n").unwrap_err();
        assert!(err.contains("certificate"), "{err}");
        let err = Layer::from_env(|k| (k == "INSI_BENCH_RETRIES").then(|| "two".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("INSI_BENCH_RETRIES"), "{err}");
        let bad = Layer {
            env: Some("production".into()),
            ..Layer::default()
        };
        assert!(
            bad.resolve()
                .unwrap_err()
                .to_string()
                .contains("qualif-mtls")
        );
        let bad = Layer::from_toml("[lps]\ninstance = \"abc\"").unwrap();
        assert!(
            bad.resolve()
                .unwrap_err()
                .to_string()
                .contains("config init")
        );
        let bad = Layer::from_toml("[network]\nretries = 50").unwrap();
        assert!(bad.resolve().is_err());
    }

    #[test]
    fn cpx_settings_layer_too() {
        let file = Layer::from_toml(
            "env = \"qualif-cpx\"\n[cpx]\nfacturation = \"1\"\nsecteur = \"SA05\"\nps_key = \"k\"\nps_cert = \"c\"\n",
        )
        .unwrap();
        let env = Layer::from_env(|k| (k == "INSI_BENCH_SECTEUR").then(|| "SA07".into())).unwrap();
        let s = file.clone().merge(env).resolve().unwrap();
        assert_eq!(s.auth, AuthMode::Cpx);
        assert_eq!(s.cpx.secteur.as_deref(), Some("SA07"));
        assert_eq!(s.cpx.facturation.as_deref(), Some("1"));
        assert_eq!(s.cpx.ps_key, Some(("k".into(), "c".into())));
        let forced = Layer {
            auth: Some("mtls".into()),
            ..Layer::default()
        };
        assert_eq!(file.merge(forced).resolve().unwrap().auth, AuthMode::Mtls);
        let half = Layer::from_toml("[cpx]\nps_key = \"k\"\n").unwrap();
        assert!(half.resolve().unwrap_err().to_string().contains("ps_cert"));
        let bad = Layer::from_toml("auth = \"card\"").unwrap();
        assert!(
            bad.resolve()
                .unwrap_err()
                .to_string()
                .contains("mtls or cpx")
        );
    }

    #[test]
    fn relative_paths_follow_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[tls]\nca = \"ca.pem\"\n").unwrap();
        let layer = Layer::from_file(&path).unwrap();
        assert_eq!(layer.tls.ca, Some(dir.path().join("ca.pem")));
    }
}
