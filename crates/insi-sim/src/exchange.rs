//! Exchanges: every request the simulator judged, with its answer and the reason for it, and the
//! [`ExchangeLog`] others read them from (the CLI's log lines, `--record`, the inspector page,
//! `check-client`).
//!
//! An [`Exchange`] is published when its answer is ready (after the chaos delay), with the raw
//! request and response bytes as received and sent: `Bytes` handles shared with the HTTP layer,
//! never copies. Nothing at all is built when nobody observes the log
//! ([`ExchangeLog::is_observed`]: no subscriber, no lossless sink, no ring buffer), so the hot
//! path of a load test stays as it was.
//!
//! Three ways to read:
//! - [`ExchangeLog::subscribe`]: a `tokio::sync::broadcast` receiver of what comes next (a slow
//!   reader gets `Lagged` and misses exchanges: for live views);
//! - [`ExchangeLog::subscribe_lossless`]: an unbounded channel that never drops (for recorders
//!   and judges; its reader must keep up or memory grows);
//! - [`ExchangeLog::recent`] / [`ExchangeLog::since`]: the last `keep` exchanges, for late viewers.
//!
//! ```
//! # async fn demo() -> Result<(), insi_sim::server::SimError> {
//! let sim = insi_sim::embedded::start(Default::default()).await?;
//! let mut live = sim.exchanges().subscribe_lossless();
//! // … a client sends a request to sim.url() …
//! # drop(live.try_recv());
//! # sim.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use insi_soap::Operation;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

use crate::reason::Reason;
use crate::search::TraitQuery;
use crate::tls::HostMode;

/// How the simulator ended an exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A RESULTAT with this CodeCR (`00`, `01`, `02`, or whatever an injected file says).
    Cr(String),
    /// A SOAP Fault with this `siram:Erreur/@code` (`DESIR_560`, `desir_550`, `insisim_requete`…).
    Fault(String),
    /// An HTTP answer without SOAP (413, 408, 404, 405) or an injected file that is not SOAP.
    Http(u16),
    /// The connection was dropped without an answer (chaos reset).
    Reset,
}

impl Verdict {
    /// `00`, `DESIR_560`, `HTTP 413`, `reset`.
    pub fn label(&self) -> String {
        match self {
            Verdict::Cr(c) => format!("CR {c}"),
            Verdict::Fault(f) => f.clone(),
            Verdict::Http(s) => format!("HTTP {s}"),
            Verdict::Reset => "reset".into(),
        }
    }
}

/// One request and what the simulator did with it.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// 1, 2, 3… in order of publication, per log.
    pub id: u64,
    /// When the request arrived.
    pub at: jiff::Timestamp,
    pub host: HostMode,
    /// The listener that took the connection.
    pub listener: SocketAddr,
    /// The client's address.
    pub remote: SocketAddr,
    /// `HTTP/1.1` or `HTTP/2`.
    pub http_version: &'static str,
    /// TLS client certificate subject (RFC 4514 text), mTLS host; empty without one.
    pub client_subject: String,
    /// Its CN and OU (the OU is the structure a client should send as `Emetteur`).
    pub client_cn: Option<String>,
    pub client_ou: Option<String>,
    /// The `NameID` of a PS assertion that verified (CPx host).
    pub ps_name_id: Option<String>,
    pub method: String,
    pub path: String,
    /// The request headers that matter for INSi: `content-type` (with its `action`),
    /// `soapaction`, `x-insi-bench-case`, `user-agent`, `content-length`, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The request body as received (for a body over the limit: its first `limit` bytes).
    pub request: Bytes,
    /// The request body's full size (larger than `request.len()` only for a 413).
    pub request_size: usize,
    /// HTTP status; `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    pub response: Bytes,
    /// The operation named by `wsa:Action` / the content-type action, once decoded.
    pub operation: Option<Operation>,
    pub action: Option<String>,
    pub message_id: Option<String>,
    /// The traits of a trait search, as received.
    pub traits: Option<TraitQuery>,
    /// What the request decoder tolerated (unknown elements, second payloads…).
    pub warnings: Vec<String>,
    pub verdict: Verdict,
    pub reason: Reason,
    /// From the request's arrival to the answer (chaos latency included).
    pub duration: Duration,
}

impl Exchange {
    /// One log line: `#id host op status verdict — reason (N ms)`, reason redacted unless
    /// `personal_data`.
    pub fn summary(&self, personal_data: bool) -> String {
        format!(
            "#{} {} {} {} {} — {} ({:.1} ms)",
            self.id,
            self.host.as_str(),
            self.operation.map_or("-", |o| o.name()),
            self.status
                .map_or_else(|| "---".to_owned(), |s| s.to_string()),
            self.verdict.label(),
            self.reason.render(personal_data),
            self.duration.as_secs_f64() * 1000.0
        )
    }

    /// The JSON form (records, the inspector): every field, reason and bodies unredacted.
    pub fn to_json(&self) -> ExchangeJson<'_> {
        let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
        ExchangeJson {
            id: self.id,
            at: self.at.to_string(),
            host: self.host.as_str(),
            listener: self.listener.to_string(),
            remote: self.remote.to_string(),
            http_version: self.http_version,
            client_subject: &self.client_subject,
            client_cn: self.client_cn.as_deref(),
            client_ou: self.client_ou.as_deref(),
            ps_name_id: self.ps_name_id.as_deref(),
            method: &self.method,
            path: &self.path,
            headers: &self.headers,
            request: text(&self.request),
            request_utf8: std::str::from_utf8(&self.request).is_ok(),
            request_size: self.request_size,
            status: self.status,
            response: text(&self.response),
            operation: self.operation.map(|o| o.name()),
            action: self.action.as_deref(),
            message_id: self.message_id.as_deref(),
            traits: self.traits.as_ref().map(|t| TraitsJson {
                nom_naissance: &t.nom_naissance,
                prenoms: &t.prenoms,
                sexe: &t.sexe,
                date_naissance: &t.date_naissance,
                lieu_naissance: t.lieu_naissance.as_deref(),
            }),
            warnings: &self.warnings,
            verdict: self.verdict.label(),
            cr: match &self.verdict {
                Verdict::Cr(c) => Some(c),
                _ => None,
            },
            fault: match &self.verdict {
                Verdict::Fault(f) => Some(f),
                _ => None,
            },
            reason: self.reason.to_string(),
            duration_ms: self.duration.as_secs_f64() * 1000.0,
        }
    }
}

/// [`Exchange`] as JSON: one line of a `--record` file, one item of the inspector's API.
/// Bodies are text (lossy UTF-8; `request_utf8` says whether the request was valid UTF-8).
#[derive(Debug, Serialize)]
pub struct ExchangeJson<'a> {
    pub id: u64,
    pub at: String,
    pub host: &'static str,
    pub listener: String,
    pub remote: String,
    pub http_version: &'static str,
    pub client_subject: &'a str,
    pub client_cn: Option<&'a str>,
    pub client_ou: Option<&'a str>,
    pub ps_name_id: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(String, String)],
    pub request: String,
    pub request_utf8: bool,
    pub request_size: usize,
    pub status: Option<u16>,
    pub response: String,
    pub operation: Option<&'static str>,
    pub action: Option<&'a str>,
    pub message_id: Option<&'a str>,
    pub traits: Option<TraitsJson<'a>>,
    pub warnings: &'a [String],
    pub verdict: String,
    pub cr: Option<&'a String>,
    pub fault: Option<&'a String>,
    pub reason: String,
    pub duration_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct TraitsJson<'a> {
    pub nom_naissance: &'a str,
    pub prenoms: &'a [String],
    pub sexe: &'a str,
    pub date_naissance: &'a str,
    pub lieu_naissance: Option<&'a str>,
}

/// Capacity of the live broadcast channel: a reader further behind than this lags.
pub const LIVE_CAPACITY: usize = 1024;

/// Where exchanges are published; shared by every connection of a server.
#[derive(Debug)]
pub struct ExchangeLog {
    next_id: AtomicU64,
    live: broadcast::Sender<Arc<Exchange>>,
    lossless: Mutex<Vec<mpsc::UnboundedSender<Arc<Exchange>>>>,
    lossless_count: AtomicUsize,
    recent: Mutex<VecDeque<Arc<Exchange>>>,
    keep: usize,
}

impl ExchangeLog {
    /// A log keeping the last `keep` exchanges for late viewers (0: none).
    pub fn new(keep: usize) -> Arc<ExchangeLog> {
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        Arc::new(ExchangeLog {
            next_id: AtomicU64::new(1),
            live,
            lossless: Mutex::new(Vec::new()),
            lossless_count: AtomicUsize::new(0),
            recent: Mutex::new(VecDeque::with_capacity(keep.min(4096))),
            keep,
        })
    }

    /// How many exchanges the ring buffer keeps.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// Is anyone going to read an exchange? When not, the server builds none.
    pub fn is_observed(&self) -> bool {
        self.keep > 0
            || self.live.receiver_count() > 0
            || self.lossless_count.load(Ordering::Relaxed) > 0
    }

    /// Live exchanges from now on; a reader more than [`LIVE_CAPACITY`] behind gets `Lagged`.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Exchange>> {
        self.live.subscribe()
    }

    /// Every exchange from now on, none dropped, until the receiver is dropped.
    pub fn subscribe_lossless(&self) -> mpsc::UnboundedReceiver<Arc<Exchange>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut sinks = self.lossless.lock().unwrap_or_else(|p| p.into_inner());
        sinks.push(tx);
        self.lossless_count.store(sinks.len(), Ordering::Relaxed);
        rx
    }

    /// The kept exchanges, oldest first.
    pub fn recent(&self) -> Vec<Arc<Exchange>> {
        self.since(0)
    }

    /// The kept exchanges whose id is greater than `after`, oldest first.
    pub fn since(&self, after: u64) -> Vec<Arc<Exchange>> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.iter().filter(|e| e.id > after).cloned().collect()
    }

    /// A kept exchange by id.
    pub fn get(&self, id: u64) -> Option<Arc<Exchange>> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.iter().find(|e| e.id == id).cloned()
    }

    /// Gives the exchange its id and hands it to every reader.
    pub fn publish(&self, mut exchange: Exchange) -> Arc<Exchange> {
        exchange.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let exchange = Arc::new(exchange);
        if self.keep > 0 {
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            if recent.len() == self.keep {
                recent.pop_front();
            }
            recent.push_back(exchange.clone());
        }
        if self.lossless_count.load(Ordering::Relaxed) > 0 {
            let mut sinks = self.lossless.lock().unwrap_or_else(|p| p.into_inner());
            sinks.retain(|tx| tx.send(exchange.clone()).is_ok());
            self.lossless_count.store(sinks.len(), Ordering::Relaxed);
        }
        // No receiver is not an error: nobody is watching live.
        let _ = self.live.send(exchange.clone());
        exchange
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Exchange {
        Exchange {
            id: 0,
            at: jiff::Timestamp::UNIX_EPOCH,
            host: HostMode::Mtls,
            listener: SocketAddr::from(([127, 0, 0, 1], 8443)),
            remote: SocketAddr::from(([127, 0, 0, 1], 50000)),
            http_version: "HTTP/1.1",
            client_subject: "CN=INSI-AUTO".into(),
            client_cn: Some("INSI-AUTO".into()),
            client_ou: None,
            ps_name_id: None,
            method: "POST".into(),
            path: "/lps".into(),
            headers: vec![],
            request: Bytes::from_static(b"<x/>"),
            request_size: 4,
            status: Some(200),
            response: Bytes::from_static(b"<y/>"),
            operation: Some(Operation::RechercherInsAvecTraitsIdentite),
            action: None,
            message_id: None,
            traits: None,
            warnings: vec![],
            verdict: Verdict::Cr("01".into()),
            reason: Reason::text("CR 01: ")
                .personal(crate::reason::Personal::Nom, "HOUILLES")
                .push(" is never found"),
            duration: Duration::from_micros(1500),
        }
    }

    #[test]
    fn ring_keeps_the_last_and_sinks_get_everything() {
        let log = ExchangeLog::new(2);
        assert!(log.is_observed());
        let mut sink = log.subscribe_lossless();
        for _ in 0..3 {
            log.publish(sample());
        }
        let kept: Vec<u64> = log.recent().iter().map(|e| e.id).collect();
        assert_eq!(kept, [2, 3]);
        assert_eq!(log.since(2).len(), 1);
        assert!(log.get(1).is_none() && log.get(3).is_some());
        for id in 1..=3 {
            assert_eq!(sink.try_recv().unwrap().id, id);
        }
        drop(sink);
        log.publish(sample());
        assert_eq!(log.lossless_count.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn unobserved_until_someone_subscribes() {
        let log = ExchangeLog::new(0);
        assert!(!log.is_observed());
        let rx = log.subscribe();
        assert!(log.is_observed());
        drop(rx);
        assert!(!log.is_observed());
    }

    #[test]
    fn summary_is_redacted_and_json_is_not() {
        let mut e = sample();
        e.id = 7;
        let line = e.summary(false);
        assert_eq!(
            line,
            "#7 mtls rechercherInsAvecTraitsIdentite 200 CR 01 — CR 01: <nom> is never found (1.5 ms)"
        );
        assert!(e.summary(true).contains("HOUILLES"));
        let json = serde_json::to_value(e.to_json()).unwrap();
        assert_eq!(json["reason"], "CR 01: HOUILLES is never found");
        assert_eq!(json["cr"], "01");
        assert_eq!(json["request"], "<x/>");
    }
}
