//! Client ↔ simulator over mutual TLS: what one search round trip through the whole
//! client costs (request built by the codec, POST, response decoded, attempt traced) against a
//! raw POST of the same bytes, alternating, against the same simulator.
//!
//! Three measures per round, each `N` sequential calls on one keep-alive connection:
//! - `raw`: the request bytes written on a tokio-rustls stream and the response read back by
//!   Content-Length — no HTTP library, no codec: the floor;
//! - `transport`: the same bytes through the client's own transport (`HttpTransport::send`,
//!   reqwest), sharing its connection pool with the client below;
//! - `search`: `InsiClient::search` (one call, `Strategy::Single`): fresh ids, encoding,
//!   POST, decoding, the trace.
//!
//! Rounds alternate the three so that load from elsewhere on the machine hits them alike; the
//! ratios are per round, their medians printed last. The target (search ≤ 1.2 × a POST of the
//! same bytes on the same keep-alive connection) is search / transport; search / raw also
//! counts what reqwest and hyper cost over bare TLS.
//!
//! `cargo bench -p insi-bench-benches --bench client` (`scripts/bench client`). Settings:
//! `INSI_CLIENT_BENCH_CALLS` (N, default 2000), `INSI_CLIENT_BENCH_ROUNDS` (default 7),
//! `INSI_CLIENT_BENCH_ONLY` (`raw`, `transport` or `search`: that measure alone, N calls, no
//! output — for valgrind to count instructions per call).

use std::hint::black_box;
use std::time::{Duration, Instant};

use insi_client::{
    ClientIdentity, HttpRequest, HttpTransport, InsiClient, Outcome, Strategy, TlsSetup, Transport,
};
use insi_sim::tls::HostMode;
use insi_soap::{CallIds, RecSansVitale, Request};

mod support;
use support::fixed_sim;
use support::raw_http::RawConnection;

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one round measures.
#[derive(Clone, Copy, Debug)]
enum Measure {
    Raw,
    Transport,
    Search,
}

impl Measure {
    fn parse(text: &str) -> Option<Measure> {
        match text {
            "raw" => Some(Measure::Raw),
            "transport" => Some(Measure::Transport),
            "search" => Some(Measure::Search),
            _ => None,
        }
    }
}

/// The three ways to make the same call, and what they send.
struct Calls<'a> {
    raw: RawConnection,
    raw_bytes: Vec<u8>,
    transport: &'a HttpTransport,
    post: HttpRequest,
    client: &'a InsiClient<HttpTransport>,
    traits: &'a ins::Traits,
}

impl Calls<'_> {
    /// `calls` sequential calls; microseconds per call.
    async fn measure(&mut self, what: Measure, calls: u32) -> f64 {
        let started = Instant::now();
        for _ in 0..calls {
            match what {
                Measure::Raw => {
                    let (status, _) = self.raw.exchange(black_box(&self.raw_bytes)).await;
                    assert_eq!(status, 200);
                }
                Measure::Transport => {
                    let r = self.transport.send(black_box(self.post.clone())).await;
                    assert_eq!(r.expect("post").status, 200);
                }
                Measure::Search => {
                    let report = self
                        .client
                        .search(black_box(self.traits), Strategy::Single)
                        .await
                        .expect("search");
                    assert!(matches!(report.outcome, Outcome::Resultat(_)));
                }
            }
        }
        started.elapsed().as_secs_f64() * 1e6 / f64::from(calls)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: then one quick
    // round proves the bench still runs.
    let benching = std::env::args().any(|a| a == "--bench");
    let calls = if benching {
        env_or("INSI_CLIENT_BENCH_CALLS", 2000)
    } else {
        20
    };
    let rounds = if benching {
        env_or("INSI_CLIENT_BENCH_ROUNDS", 7)
    } else {
        1
    };
    // INSI_CLIENT_BENCH_ONLY=raw|transport|search: that measure alone, `calls` times, for
    // valgrind to count (the difference of two runs is per call; scripts/bench client).
    let only = std::env::var("INSI_CLIENT_BENCH_ONLY")
        .ok()
        .map(|v| Measure::parse(&v).expect("INSI_CLIENT_BENCH_ONLY: raw, transport or search"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Persona ADRUN ZOE (00), no population: the same answer for the three measures.
    let (server, _store) = runtime.block_on(fixed_sim::start(HostMode::Mtls, 0, 0));
    let addr = server.addr(HostMode::Mtls).expect("mTLS address");
    let url = format!("https://{addr}/lps");
    let ca = fixed_sim::testdata("pki/ca.pem");
    let (chain, key) = fixed_sim::insi_auto();
    let tls = TlsSetup {
        ca: insi_client::cert::parse_ca_pem(ca.as_bytes(), "ca").expect("ca"),
        identity: Some(
            ClientIdentity::from_pem(format!("{key}{chain}").as_bytes()).expect("identity"),
        ),
    };
    let caller = fixed_sim::caller(false);
    let traits = ins::Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).expect("traits");
    // One transport, cloned: the client and the transport measure share one pool, so one
    // keep-alive connection when calls are sequential.
    let transport = HttpTransport::new(tls, Duration::from_secs(10)).expect("transport");
    let client = InsiClient::new(transport.clone(), url.clone(), caller.clone());

    let request = Request::rechercher_par_traits(
        &caller,
        &CallIds::fresh(),
        RecSansVitale::from_traits(&traits),
    );
    let post = HttpRequest {
        url: url.clone(),
        content_type: request.content_type(),
        body: request.encode().into_bytes(),
    };
    let raw_bytes = fixed_sim::post_bytes(addr, &request);

    runtime.block_on(async {
        let identity = Some((chain.as_str(), key.as_str()));
        let mut raw = RawConnection::connect(addr, &ca, identity).await;
        // Every measure answers 00 with ADRUN's identity, checked once here (and by status
        // below): the same work on the server for all three.
        let (status, raw_len) = raw.exchange(&raw_bytes).await;
        assert_eq!(status, 200);
        let first = client.search(&traits, Strategy::Single).await.expect("search");
        assert!(matches!(first.outcome, Outcome::Resultat(ref r) if r.cr == ins::CodeCr::Ok));
        let sent = transport.send(post.clone()).await.expect("post");
        assert_eq!((sent.status, sent.body.len()), (200, raw_len));
        let mut ctx = Calls {
            raw,
            raw_bytes,
            transport: &transport,
            post,
            client: &client,
            traits: &traits,
        };
        if let Some(what) = only {
            // Instruction counting (scripts/bench client): one measure, nothing printed.
            ctx.measure(what, calls).await;
            return;
        }

        println!(
            "client round trip vs raw POST, one simulator (testdata PKI), mTLS keep-alive, HTTP/1.1, \
             {calls} sequential calls per measure, {rounds} alternating rounds"
        );
        println!(
            "{:>5} {:>10} {:>14} {:>11} {:>12} {:>18} {:>15}",
            "round",
            "raw µs",
            "transport µs",
            "search µs",
            "search/raw",
            "search/transport",
            "transport/raw"
        );
        let (mut ratios, mut same_ratios, mut transport_ratios) =
            (Vec::new(), Vec::new(), Vec::new());
        for round in 1..=rounds {
            let raw_us = ctx.measure(Measure::Raw, calls).await;
            let transport_us = ctx.measure(Measure::Transport, calls).await;
            let search_us = ctx.measure(Measure::Search, calls).await;
            ratios.push(search_us / raw_us);
            same_ratios.push(search_us / transport_us);
            transport_ratios.push(transport_us / raw_us);
            println!(
                "{round:>5} {raw_us:>10.1} {transport_us:>14.1} {search_us:>11.1} {:>12.2} {:>18.2} {:>15.2}",
                search_us / raw_us,
                search_us / transport_us,
                transport_us / raw_us
            );
        }
        println!(
            "median search / raw POST: {:.2}; search / transport POST (same bytes, same pooled \
             connection): {:.2} (target <= 1.2); transport / raw POST: {:.2}",
            median(ratios),
            median(same_ratios),
            median(transport_ratios)
        );
    });
    runtime.block_on(server.shutdown());
}
