//! The request inspector: a small web page on loopback listing a simulator's exchanges live
//! (`insi-bench sim serve --inspect [ADDR]`).
//!
//! Plain HTTP, loopback only (the page shows personal data unredacted, for the person at the
//! console): [`Inspector::start`] refuses any other address, and requests whose `Host` is not a
//! loopback name are refused too (a web page elsewhere cannot read it through DNS rebinding).
//! One self-contained HTML page (no network, no CDN), polling a JSON API:
//!
//! - `GET /`: the page (`inspect.html`);
//! - `GET /api/exchanges?after=ID`: `{"keep": N, "exchanges": [summary…]}`, the kept exchanges
//!   after `ID`, oldest first;
//! - `GET /api/exchanges/ID`: one exchange in full ([`crate::exchange::ExchangeJson`]).
//!
//! ```no_run
//! # async fn demo(sim: &insi_sim::embedded::EmbeddedSim) -> std::io::Result<()> {
//! // The log must keep exchanges for the page (EmbeddedConfig::keep_exchanges > 0).
//! let inspector = insi_sim::inspect::Inspector::start(
//!     "127.0.0.1:0".parse().unwrap(),
//!     sim.exchanges().clone(),
//! )
//! .await?;
//! println!("inspector on http://{}/", inspector.addr());
//! inspector.shutdown().await;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tokio::sync::watch;

use crate::exchange::{Exchange, ExchangeLog};

const PAGE: &str = include_str!("inspect.html");

/// A running inspector.
#[derive(Debug)]
pub struct Inspector {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Debug, Serialize)]
struct Summary<'a> {
    id: u64,
    at: String,
    host: &'static str,
    http_version: &'static str,
    method: &'a str,
    path: &'a str,
    operation: Option<&'static str>,
    status: Option<u16>,
    verdict: String,
    cr: Option<&'a str>,
    reason: String,
    duration_ms: f64,
}

impl<'a> From<&'a Exchange> for Summary<'a> {
    fn from(e: &'a Exchange) -> Summary<'a> {
        Summary {
            id: e.id,
            at: e.at.to_string(),
            host: e.host.as_str(),
            http_version: e.http_version,
            method: &e.method,
            path: &e.path,
            operation: e.operation.map(|o| o.name()),
            status: e.status,
            verdict: e.verdict.label(),
            cr: match &e.verdict {
                crate::exchange::Verdict::Cr(c) => Some(c),
                _ => None,
            },
            reason: e.reason.to_string(),
            duration_ms: e.duration.as_secs_f64() * 1000.0,
        }
    }
}

#[derive(Debug, Serialize)]
struct ListJson<'a> {
    keep: usize,
    exchanges: Vec<Summary<'a>>,
}

impl Inspector {
    /// Serves the page for `log` on `addr` (a loopback address; port 0 picks one).
    pub async fn start(addr: SocketAddr, log: Arc<ExchangeLog>) -> std::io::Result<Inspector> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the inspector shows personal data unredacted: it listens on loopback only \
                     (127.0.0.1 or [::1]), not {addr}"
                ),
            ));
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/", get(page))
            .route("/api/exchanges", get(list))
            .route("/api/exchanges/{id}", get(one))
            .layer(axum::middleware::from_fn(loopback_host))
            .with_state(log);
        let (shutdown, mut stop) = watch::channel(false);
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!("inspector: {e}");
            }
        });
        Ok(Inspector {
            addr,
            shutdown,
            task,
        })
    }

    /// The bound address (`http://ADDR/` is the page).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving; returns when the server task has ended.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Refuses requests whose `Host` is not a loopback name (DNS rebinding).
async fn loopback_host(request: Request, next: axum::middleware::Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    if matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "the inspector answers only to http://127.0.0.1:PORT/ or http://localhost:PORT/",
        )
            .into_response()
    }
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Self-contained: nothing may be loaded from elsewhere.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'",
            ),
        ],
        PAGE,
    )
        .into_response()
}

fn json(value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn list(State(log): State<Arc<ExchangeLog>>, request: Request) -> Response {
    let after = request
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("after="))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let kept = log.since(after);
    json(&ListJson {
        keep: log.keep(),
        exchanges: kept.iter().map(|e| Summary::from(e.as_ref())).collect(),
    })
}

async fn one(State(log): State<Arc<ExchangeLog>>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>().ok().and_then(|id| log.get(id)) {
        Some(e) => json(&e.to_json()),
        None => (
            StatusCode::NOT_FOUND,
            format!(
                "exchange {id} is not kept (the inspector keeps the last {})",
                log.keep()
            ),
        )
            .into_response(),
    }
}
