//! The floor of a simulator trait search under `oha`: the simulator's own accept loop, TLS
//! (mTLS host, the fixed PKI of `testdata/`) and HTTP/1.1 settings, serving `GET /health` as the
//! simulator does and a `POST /lps` that reads the whole request body and answers with given
//! bytes — the answer the simulator gave to the same request — with no SOAP work at all: no
//! decoding, no store, no encoding.
//!
//! `scripts/bench sim` runs it beside the simulator and measures, in the same alternating
//! rounds, `floor /lps ÷ floor /health`: the most a trait search can reach against `/health`
//! on this machine whatever the simulator's own work costs (docs/simulator.md §Performance).
//!
//! ```text
//! cargo build --release -p insi-bench-benches --example exchange_floor
//! target/release/examples/exchange_floor ANSWER_FILE    # prints {"url":"https://127.0.0.1:PORT/lps"}
//! ```
//!
//! It serves until killed.

#[path = "../benches/support/mod.rs"]
mod support;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use insi_sim::server::RunningServer;
use insi_sim::store::Store;
use insi_sim::tls::HostMode;
use support::fixed_sim;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: exchange_floor ANSWER_FILE (the bytes POST /lps answers with)");
        std::process::exit(2);
    };
    let answer = match std::fs::read(&path) {
        Ok(bytes) if !bytes.is_empty() => Bytes::from(bytes),
        Ok(_) => {
            eprintln!(
                "exchange_floor: {path} is empty: give the simulator's answer to the request"
            );
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("exchange_floor: cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let config = fixed_sim::config(HostMode::Mtls);
        let limit = config.body_limit;
        let router = axum::Router::new()
            .route(
                "/lps",
                post(move |body: Body| {
                    let answer = answer.clone();
                    async move {
                        // The body is read whole, as the simulator reads it, then dropped.
                        match axum::body::to_bytes(body, limit).await {
                            Ok(_) => (
                                StatusCode::OK,
                                [(header::CONTENT_TYPE, "application/soap+xml; charset=utf-8")],
                                answer,
                            ),
                            Err(_) => (
                                StatusCode::PAYLOAD_TOO_LARGE,
                                [(header::CONTENT_TYPE, "text/plain")],
                                Bytes::from_static(b"body over the limit"),
                            ),
                        }
                    }
                }),
            )
            .route("/health", get(|| async { "ok" }));
        let store = Arc::new(Store::in_memory().expect("store"));
        let server = RunningServer::start_router(config, store, router)
            .await
            .expect("floor server");
        let addr = server.addr(HostMode::Mtls).expect("listener");
        println!("{{\"url\":\"https://{addr}/lps\"}}");
        std::future::pending::<()>().await;
    });
}
