//! Where requests go: the named INSi environments and their authentication modes
//! (INSI-PROTOCOL.md §1.3).

use std::fmt;
use std::str::FromStr;

/// How the client proves who it is (INSI-PROTOCOL.md §2.5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// Mutual TLS with an establishment certificate (CN `INSI-AUTO` / `INSI-MANU`), no
    /// `wsse:Security` header.
    Mtls,
    /// Server-auth TLS plus a signed PS assertion in `wsse:Security` (CPx card).
    Cpx,
}

/// A target of the client.
///
/// `Sim` is resolved by the binary, which starts the embedded simulator and hands the client
/// a URL, a CA and credentials: the client never depends on the simulator (DESIGN.md §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// The embedded simulator (default).
    Sim,
    QualifMtls,
    QualifCpx,
    ProdMtls,
    ProdCpx,
    /// Any other endpoint, e.g. a standalone simulator.
    Url(String),
}

/// Production hosts. A URL naming one of them is production too, whatever the name used.
const PROD_HOSTS: [&str; 2] = ["services-ps-tlsm.ameli.fr", "services-ps.ameli.fr"];

impl Environment {
    pub const QUALIF_MTLS_URL: &'static str = "https://qualiflps-services-ps-tlsm.ameli.fr:443/lps";
    pub const QUALIF_CPX_URL: &'static str = "https://qualiflps.services-ps.ameli.fr:443/lps";
    pub const PROD_MTLS_URL: &'static str = "https://services-ps-tlsm.ameli.fr/lps";
    pub const PROD_CPX_URL: &'static str = "https://services-ps.ameli.fr/lps";

    /// The endpoint URL, `None` for `Sim` (known only once the simulator runs).
    pub fn url(&self) -> Option<&str> {
        match self {
            Environment::Sim => None,
            Environment::QualifMtls => Some(Self::QUALIF_MTLS_URL),
            Environment::QualifCpx => Some(Self::QUALIF_CPX_URL),
            Environment::ProdMtls => Some(Self::PROD_MTLS_URL),
            Environment::ProdCpx => Some(Self::PROD_CPX_URL),
            Environment::Url(url) => Some(url),
        }
    }

    /// The authentication mode the endpoint expects. A custom URL is assumed mTLS unless its
    /// host is a known CPx host; `--auth` style overrides belong to the caller.
    pub fn auth_mode(&self) -> AuthMode {
        match self {
            Environment::QualifCpx | Environment::ProdCpx => AuthMode::Cpx,
            Environment::Url(url) => match url_host(url) {
                Some("services-ps.ameli.fr" | "qualiflps.services-ps.ameli.fr") => AuthMode::Cpx,
                _ => AuthMode::Mtls,
            },
            _ => AuthMode::Mtls,
        }
    }

    /// True when requests reach the real production service, by name or by URL host.
    pub fn is_production(&self) -> bool {
        match self {
            Environment::ProdMtls | Environment::ProdCpx => true,
            Environment::Url(url) => url_host(url).is_some_and(|h| PROD_HOSTS.contains(&h)),
            _ => false,
        }
    }

    /// The name accepted by [`FromStr`] (the URL itself for `Url`).
    pub fn name(&self) -> &str {
        match self {
            Environment::Sim => "sim",
            Environment::QualifMtls => "qualif-mtls",
            Environment::QualifCpx => "qualif-cpx",
            Environment::ProdMtls => "prod-mtls",
            Environment::ProdCpx => "prod-cpx",
            Environment::Url(url) => url,
        }
    }
}

/// The host of an `http(s)://host[:port]/…` URL, lower-cased comparison left to the caller.
fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    Some(host.trim_end_matches('.'))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown environment '{0}': use sim, qualif-mtls, qualif-cpx, prod-mtls, prod-cpx or an \
     https:// URL"
)]
pub struct EnvironmentError(pub String);

impl FromStr for Environment {
    type Err = EnvironmentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Ok(match s {
            "sim" => Environment::Sim,
            "qualif-mtls" => Environment::QualifMtls,
            "qualif-cpx" => Environment::QualifCpx,
            "prod-mtls" => Environment::ProdMtls,
            "prod-cpx" => Environment::ProdCpx,
            url if (url.starts_with("https://") || url.starts_with("http://"))
                && url_host(url).is_some_and(|h| !h.is_empty()) =>
            {
                Environment::Url(lowercase_authority(url))
            }
            other => return Err(EnvironmentError(other.to_owned())),
        })
    }
}

/// Hosts are case-insensitive: lower-case scheme and authority, keep the path as typed, so that
/// the production check compares like with like.
fn lowercase_authority(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    format!(
        "{}://{}{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase(),
        path
    )
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in ["sim", "qualif-mtls", "qualif-cpx", "prod-mtls", "prod-cpx"] {
            assert_eq!(name.parse::<Environment>().unwrap().name(), name);
        }
        assert!("prod".parse::<Environment>().is_err());
        assert!("https://".parse::<Environment>().is_err());
        assert!("ftp://x".parse::<Environment>().is_err());
    }

    #[test]
    fn production_is_recognised_by_url_host_too() {
        assert!(Environment::ProdMtls.is_production());
        assert!(Environment::ProdCpx.is_production());
        assert!(!Environment::QualifMtls.is_production());
        assert!(!Environment::Sim.is_production());
        for url in [
            "https://services-ps-tlsm.ameli.fr/lps",
            "https://SERVICES-PS.ameli.fr:443/lps",
            "https://user@services-ps.ameli.fr./lps",
        ] {
            let env: Environment = url.parse().unwrap();
            assert!(env.is_production(), "{url}");
        }
        for url in [
            "https://qualiflps-services-ps-tlsm.ameli.fr:443/lps",
            "https://127.0.0.1:8443/lps",
            "https://services-ps.ameli.fr.example.org/lps",
        ] {
            let env: Environment = url.parse().unwrap();
            assert!(!env.is_production(), "{url}");
        }
    }

    #[test]
    fn auth_modes() {
        assert_eq!(Environment::QualifCpx.auth_mode(), AuthMode::Cpx);
        assert_eq!(Environment::ProdMtls.auth_mode(), AuthMode::Mtls);
        let cpx: Environment = "https://services-ps.ameli.fr/lps".parse().unwrap();
        assert_eq!(cpx.auth_mode(), AuthMode::Cpx);
    }
}
