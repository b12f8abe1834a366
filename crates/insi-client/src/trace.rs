//! Every attempt of a search, kept as evidence: raw request and response bytes, HTTP status,
//! timings. CNDA acceptance files attach them (INSI-PROTOCOL.md §5.1, §8.2).
//!
//! The raw bytes carry personal data, so `Debug` prints sizes, never bodies; they are written
//! out only on request ([`Trace::write_to_dir`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::strategy::QueryKind;

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AttemptOutcome {
    /// A RESULTAT with this `CodeCR`.
    Cr { code: String },
    /// A SOAP fault with this detail code (`desir_550`, `insi_102`, …) or subcode.
    Fault { code: String },
    /// No SOAP answer: connection, TLS, timeout, unreadable body.
    Transport { error: String },
}

/// One HTTP exchange.
#[derive(Clone, Serialize)]
pub struct Attempt {
    /// Position in the trace, from 0.
    pub index: usize,
    pub kind: QueryKind,
    /// The `Prenom` text sent.
    pub prenom: String,
    /// The COG was sent.
    pub with_cog: bool,
    /// 0 for a first try, 1.. for retries of the same query.
    pub retry: u32,
    pub url: String,
    #[serde(skip)]
    pub request: Vec<u8>,
    #[serde(skip)]
    pub response: Option<Vec<u8>>,
    pub http_status: Option<u16>,
    pub started_at: jiff::Timestamp,
    #[serde(serialize_with = "millis")]
    pub elapsed: Duration,
    pub outcome: AttemptOutcome,
    /// What the decoder tolerated in the answer (unknown elements, odd prefixes, invalid keys…):
    /// kept so that nobody decodes the response a second time to show them.
    pub warnings: Vec<String>,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

impl Attempt {
    /// Milliseconds, for reports.
    pub fn ms(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1000.0
    }
}

impl fmt::Debug for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempt")
            .field("index", &self.index)
            .field("kind", &self.kind)
            .field("retry", &self.retry)
            .field("with_cog", &self.with_cog)
            .field("request", &format_args!("{} bytes", self.request.len()))
            .field(
                "response",
                &format_args!("{} bytes", self.response.as_ref().map_or(0, Vec::len)),
            )
            .field("http_status", &self.http_status)
            .field("elapsed", &self.elapsed)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// All attempts of one search or verification, in order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Trace {
    pub attempts: Vec<Attempt>,
}

impl Trace {
    /// Writes `NN-request.xml`, `NN-response.xml` per attempt and `trace.json` (the summary,
    /// without bodies) into `dir`, creating it. Returns the files written.
    pub fn write_to_dir(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for attempt in &self.attempts {
            let request = dir.join(format!("{:02}-request.xml", attempt.index + 1));
            std::fs::write(&request, &attempt.request)?;
            written.push(request);
            if let Some(body) = &attempt.response {
                let response = dir.join(format!("{:02}-response.xml", attempt.index + 1));
                std::fs::write(&response, body)?;
                written.push(response);
            }
        }
        let summary = dir.join("trace.json");
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&summary, json)?;
        written.push(summary);
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(index: usize, response: Option<&[u8]>) -> Attempt {
        Attempt {
            index,
            kind: QueryKind::OnePrenom,
            prenom: "OLA".into(),
            with_cog: false,
            retry: 0,
            url: "https://127.0.0.1:1/lps".into(),
            request: b"<req>DUPONT</req>".to_vec(),
            response: response.map(<[u8]>::to_vec),
            http_status: response.map(|_| 200),
            started_at: jiff::Timestamp::UNIX_EPOCH,
            elapsed: Duration::from_micros(1500),
            outcome: AttemptOutcome::Cr { code: "01".into() },
            warnings: Vec::new(),
        }
    }

    #[test]
    fn debug_never_shows_bodies() {
        let text = format!("{:?}", attempt(0, Some(b"<resp>DUPONT</resp>")));
        assert!(!text.contains("DUPONT"), "{text}");
        assert!(text.contains("17 bytes"), "{text}");
    }

    #[test]
    fn writes_raw_bodies_and_summary() {
        let dir = tempfile::tempdir().unwrap();
        let trace = Trace {
            attempts: vec![attempt(0, Some(b"<r/>")), attempt(1, None)],
        };
        let files = trace.write_to_dir(&dir.path().join("t")).unwrap();
        assert_eq!(files.len(), 4);
        let req = std::fs::read(dir.path().join("t/01-request.xml")).unwrap();
        assert_eq!(req, b"<req>DUPONT</req>");
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("t/trace.json")).unwrap())
                .unwrap();
        assert_eq!(summary["attempts"][0]["elapsed"], 1.5);
        assert_eq!(
            summary["attempts"][1]["http_status"],
            serde_json::Value::Null
        );
    }
}
