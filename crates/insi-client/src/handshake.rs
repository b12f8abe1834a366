//! Why a TLS handshake failed: the rustls error inside a reqwest error, read together with what
//! we know of our own certificate, becomes a [`TlsFailure`] (each with its message and advice;
//! the matrix is in `docs/tls.md`).
//!
//! Two sources of failure:
//! - our verdict on the server's certificate (`InvalidCertificate`): rustls' `…Context` variants
//!   carry the dates and names, which the message repeats;
//! - an alert the server sent about us. TLS has one alert, `certificate_expired`, for both
//!   "expired" and "not yet valid": the dates of our own leaf tell which. A server that ends the
//!   handshake with `handshake_failure` when no client certificate came (TLS 1.2 servers do) is
//!   told apart by whether we had one to give.

use jiff::Timestamp;
use rustls::{AlertDescription, CertificateError, PeerIncompatible};

use crate::error::TlsFailure;

/// What the transport knows of the client certificate it presents.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OwnCertificate {
    /// A client certificate is configured (mTLS).
    pub present: bool,
    /// Its validity window, when its leaf could be read.
    pub validity: Option<(Timestamp, Timestamp)>,
}

impl OwnCertificate {
    /// Reads the validity of `leaf` (DER); an unreadable leaf leaves it unknown (the handshake
    /// will say what is wrong with it).
    pub fn of(leaf: Option<&[u8]>) -> OwnCertificate {
        let Some(leaf) = leaf else {
            return OwnCertificate::default();
        };
        let validity = x509_parser::parse_x509_certificate(leaf)
            .ok()
            .and_then(|(_, cert)| {
                let v = cert.validity();
                Some((
                    Timestamp::from_second(v.not_before.timestamp()).ok()?,
                    Timestamp::from_second(v.not_after.timestamp()).ok()?,
                ))
            });
        OwnCertificate {
            present: true,
            validity,
        }
    }
}

/// Finds the rustls error in a reqwest error's source chain. hyper-rustls wraps it in an
/// `io::Error`, whose `source()` skips the wrapped error, so look inside those too.
pub(crate) fn find_rustls<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                return Some(r);
            }
            if let Some(r) = find_rustls(inner) {
                return Some(r);
            }
        }
        current = e.source();
    }
    None
}

/// The failure a rustls error stands for, `now` being this machine's time.
pub(crate) fn tls_failure(
    err: &rustls::Error,
    ours: &OwnCertificate,
    now: Timestamp,
) -> TlsFailure {
    match err {
        rustls::Error::AlertReceived(alert) => alert_failure(*alert, ours, now),
        rustls::Error::InvalidCertificate(cert) => server_certificate_failure(cert),
        rustls::Error::PeerIncompatible(
            PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
            | PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::SupportedVersionsExtensionRequired
            | PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled,
        ) => TlsFailure::ProtocolVersion,
        _ => TlsFailure::Other,
    }
}

/// An alert from the server: what it says about our certificate (or the protocol).
fn alert_failure(alert: AlertDescription, ours: &OwnCertificate, now: Timestamp) -> TlsFailure {
    use AlertDescription as A;
    match alert {
        A::UnknownCA => TlsFailure::ServerRejectedOurCa,
        A::CertificateRequired => TlsFailure::ClientCertificateRequired,
        A::HandshakeFailure if !ours.present => TlsFailure::ClientCertificateRequired,
        A::CertificateExpired => match ours.validity {
            Some((not_before, _)) if now < not_before => TlsFailure::ClientCertificateNotYetValid {
                not_before: not_before.to_string(),
            },
            Some((_, not_after)) => TlsFailure::ClientCertificateExpired {
                not_after: Some(not_after.to_string()),
            },
            None => TlsFailure::ClientCertificateExpired { not_after: None },
        },
        A::UnsupportedCertificate => TlsFailure::ClientCertificateWrongUsage,
        A::ProtocolVersion => TlsFailure::ProtocolVersion,
        A::BadCertificate
        | A::CertificateRevoked
        | A::CertificateUnknown
        | A::AccessDenied
        | A::DecryptError => TlsFailure::ClientCertificateRefused {
            alert: alert_name(alert),
        },
        _ => TlsFailure::Other,
    }
}

/// Our verdict on the server's certificate.
fn server_certificate_failure(cert: &CertificateError) -> TlsFailure {
    use CertificateError as C;
    let date = |t: &rustls_pki_types::UnixTime| {
        i64::try_from(t.as_secs())
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .map(|t| t.to_string())
    };
    match cert {
        C::UnknownIssuer | C::BadSignature => TlsFailure::ServerUntrusted,
        C::ExpiredContext { not_after, .. } => TlsFailure::ServerCertificateExpired {
            not_after: date(not_after),
        },
        C::Expired => TlsFailure::ServerCertificateExpired { not_after: None },
        C::NotValidYetContext { not_before, .. } => TlsFailure::ServerCertificateNotYetValid {
            not_before: date(not_before),
        },
        C::NotValidYet => TlsFailure::ServerCertificateNotYetValid { not_before: None },
        C::NotValidForNameContext {
            expected,
            presented,
        } => TlsFailure::ServerNameMismatch {
            expected: Some(expected.to_str().into_owned()),
            presented: presented.iter().map(|n| plain_name(n)).collect(),
        },
        C::NotValidForName => TlsFailure::ServerNameMismatch {
            expected: None,
            presented: Vec::new(),
        },
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => TlsFailure::ServerWrongUsage,
        _ => TlsFailure::Other,
    }
}

/// webpki writes the names it found as `DnsName("host")` / `IpAddress(1.2.3.4)`: keep the name.
fn plain_name(presented: &str) -> String {
    for prefix in ["DnsName(\"", "IpAddress("] {
        if let Some(rest) = presented.strip_prefix(prefix) {
            return rest.trim_end_matches(')').trim_end_matches('"').to_owned();
        }
    }
    presented.to_owned()
}

/// The TLS name of an alert (`bad_certificate`), from rustls' `BadCertificate`.
fn alert_name(alert: AlertDescription) -> String {
    let mut name = String::new();
    for (i, c) in format!("{alert:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn certificate_expired_is_told_apart_by_our_own_dates() {
        let ours = OwnCertificate {
            present: true,
            validity: Some((at(1_000), at(2_000))),
        };
        let alert = rustls::Error::AlertReceived(AlertDescription::CertificateExpired);
        assert_eq!(
            tls_failure(&alert, &ours, at(500)),
            TlsFailure::ClientCertificateNotYetValid {
                not_before: "1970-01-01T00:16:40Z".into()
            }
        );
        assert_eq!(
            tls_failure(&alert, &ours, at(3_000)),
            TlsFailure::ClientCertificateExpired {
                not_after: Some("1970-01-01T00:33:20Z".into())
            }
        );
    }

    #[test]
    fn handshake_failure_without_a_certificate_means_one_is_required() {
        let alert = rustls::Error::AlertReceived(AlertDescription::HandshakeFailure);
        let none = OwnCertificate::default();
        assert_eq!(
            tls_failure(&alert, &none, at(0)),
            TlsFailure::ClientCertificateRequired
        );
        let some = OwnCertificate {
            present: true,
            validity: None,
        };
        assert_eq!(tls_failure(&alert, &some, at(0)), TlsFailure::Other);
    }

    #[test]
    fn names_and_alerts_read_plainly() {
        assert_eq!(plain_name("DnsName(\"other.example\")"), "other.example");
        assert_eq!(plain_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate"
        );
        let wrapped = std::io::Error::other(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired,
        ));
        assert!(matches!(
            find_rustls(&wrapped),
            Some(rustls::Error::AlertReceived(
                AlertDescription::CertificateRequired
            ))
        ));
    }
}
