//! What each request ended as, sans-IO: one [`Class`] per request, from the client's outcome and
//! the oracle's expectation.
//!
//! Only a request whose answer is *right* is a latency sample (`ok`). Everything else is
//! counted by class: a wrong answer (a RESULTAT that differs from what the population says),
//! a SOAP fault by its detail code, an HTTP status without a SOAP answer, and the transport
//! failures the client tells apart (connect, TLS, timeout, other I/O such as a reset, an
//! unreadable 200 answer).

use std::fmt;

use insi_client::{ClientError, Outcome, TransportError};

use crate::oracle::{Expectation, Expected, Mismatch, compare_resultat};

/// How one request ended.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// The answer the population says, with the expected number of calls.
    Ok,
    /// A RESULTAT (or fault) other than the expected one.
    WrongAnswer,
    /// A SOAP fault, by detail code (`desir_1020`, `insi_102`, …), when not expected.
    Fault(String),
    /// An HTTP status with a body that is no SOAP message.
    HttpStatus(u16),
    /// TCP connection refused or failed.
    Connect,
    /// TLS handshake failed.
    Tls,
    /// The call timed out (connect or exchange), or the search's deadline passed.
    Timeout,
    /// Other transport failures: connection reset or closed mid-answer, body errors.
    Transport,
    /// A 200 answer that does not decode.
    Decode,
    /// Refused before sending (setup, guard, assertion): a configuration problem.
    Setup,
}

impl Class {
    /// The stable name used in results (`ok`, `wrong-answer`, `fault:desir_1020`, `http:503`,
    /// `connect`, `tls`, `timeout`, `transport`, `decode`, `setup`).
    pub fn name(&self) -> String {
        match self {
            Class::Ok => "ok".into(),
            Class::WrongAnswer => "wrong-answer".into(),
            Class::Fault(code) => format!("fault:{code}"),
            Class::HttpStatus(status) => format!("http:{status}"),
            Class::Connect => "connect".into(),
            Class::Tls => "tls".into(),
            Class::Timeout => "timeout".into(),
            Class::Transport => "transport".into(),
            Class::Decode => "decode".into(),
            Class::Setup => "setup".into(),
        }
    }

    /// Reads a name back (results files).
    pub fn parse(name: &str) -> Option<Class> {
        Some(match name {
            "ok" => Class::Ok,
            "wrong-answer" => Class::WrongAnswer,
            "connect" => Class::Connect,
            "tls" => Class::Tls,
            "timeout" => Class::Timeout,
            "transport" => Class::Transport,
            "decode" => Class::Decode,
            "setup" => Class::Setup,
            other => {
                if let Some(code) = other.strip_prefix("fault:") {
                    Class::Fault(code.to_owned())
                } else {
                    Class::HttpStatus(other.strip_prefix("http:")?.parse().ok()?)
                }
            }
        })
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, Class::Ok)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The class of a finished search, and for a wrong answer what differed.
pub fn classify(
    expected: &Expectation,
    outcome: &Outcome,
    calls: usize,
) -> (Class, Option<Mismatch>) {
    match outcome {
        Outcome::Resultat(r) => match compare_resultat(expected, r, calls) {
            Ok(()) => (Class::Ok, None),
            Err(m) => (Class::WrongAnswer, Some(m)),
        },
        Outcome::Fault(fault) => {
            let code = insi_client::fault_code(fault);
            match &expected.answer {
                Expected::Fault(want) if want.eq_ignore_ascii_case(code) => (Class::Ok, None),
                // A fault the population does not explain: the service's (chaos, outage).
                _ => (Class::Fault(code.to_owned()), None),
            }
        }
        Outcome::Failed(error) => (classify_error(error), None),
    }
}

/// The class of a client error.
pub fn classify_error(error: &ClientError) -> Class {
    match error {
        ClientError::Transport(t) => match t {
            TransportError::Connect { .. } => Class::Connect,
            TransportError::Tls { .. } => Class::Tls,
            TransportError::Timeout { .. } => Class::Timeout,
            TransportError::Body { .. } | TransportError::Other { .. } => Class::Transport,
        },
        ClientError::Deadline(_) => Class::Timeout,
        ClientError::Http { status, .. } => Class::HttpStatus(*status),
        ClientError::Decode(_) => Class::Decode,
        ClientError::Guard(_)
        | ClientError::Cert(_)
        | ClientError::Config(_)
        | ClientError::Setup(_)
        | ClientError::Assertion(_)
        | ClientError::Missing(_) => Class::Setup,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insi_client::Phase;
    use insi_soap::Resultat;

    fn expect(cr: &'static str) -> Expectation {
        Expectation {
            answer: Expected::Resultat { cr, identity: None },
            calls: 1,
        }
    }

    #[test]
    fn names_round_trip() {
        for class in [
            Class::Ok,
            Class::WrongAnswer,
            Class::Fault("desir_1020".into()),
            Class::HttpStatus(503),
            Class::Connect,
            Class::Tls,
            Class::Timeout,
            Class::Transport,
            Class::Decode,
            Class::Setup,
        ] {
            assert_eq!(Class::parse(&class.name()), Some(class));
        }
        assert_eq!(Class::parse("http:x"), None);
        assert_eq!(Class::parse("nonsense"), None);
    }

    #[test]
    fn right_and_wrong_resultats() {
        let r01 = Outcome::Resultat(Resultat::without_identity(ins::CodeCr::AucuneIdentite));
        assert_eq!(classify(&expect("01"), &r01, 1).0, Class::Ok);
        let (class, why) = classify(&expect("02"), &r01, 1);
        assert_eq!(class, Class::WrongAnswer);
        assert!(why.unwrap().0.contains("expected CR 02"));
        // Right CR, wrong number of calls: the strategy went another way.
        assert_eq!(classify(&expect("01"), &r01, 3).0, Class::WrongAnswer);
    }

    #[test]
    fn errors_by_class() {
        let t = |e: TransportError| classify_error(&ClientError::Transport(e));
        assert_eq!(
            t(TransportError::Connect {
                detail: String::new()
            }),
            Class::Connect
        );
        assert_eq!(
            t(TransportError::Timeout {
                phase: Phase::Exchange,
                after_ms: 1
            }),
            Class::Timeout
        );
        assert_eq!(
            t(TransportError::Other {
                detail: String::new()
            }),
            Class::Transport
        );
        assert_eq!(
            classify_error(&ClientError::Http {
                status: 502,
                excerpt: String::new()
            }),
            Class::HttpStatus(502)
        );
        assert_eq!(
            classify_error(&ClientError::Decode(String::new())),
            Class::Decode
        );
    }
}
