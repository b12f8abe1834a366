//! `N` requests of one kind against a simulator, sequential, on one keep-alive connection (the
//! raw client of `benches/support/raw_http.rs`): a fixed amount of work for `valgrind` to count
//! or profile. `scripts/bench sim` takes the instruction count of two runs (N = 500 and 1500)
//! and divides the difference by 1000: the cost of one request, client and server together,
//! start-up cancelled out.
//!
//! ```text
//! cargo build --release -p insi-bench-benches --example sim_requests
//! valgrind --tool=callgrind target/release/examples/sim_requests soap 2000
//! ```
//!
//! `KIND`: `health` (`GET /health`, mTLS), `soap` (trait search of population member #7 →
//! `00`, mTLS), `cpx` (the same on the CPx host, with one PS assertion signed at start: after
//! the first request a cache hit), `cpx-uncached` (the same, the verifier's cache off: one
//! XML-DSig verification per request). Population: 10 000 identities, seed 1 (enough for the
//! index to be a real B-tree descent, small enough to generate under valgrind); the fixed PKI of
//! `testdata/` (`benches/support/fixed_sim.rs`).

#[path = "../benches/support/mod.rs"]
mod support;

use insi_sim::tls::HostMode;
use support::fixed_sim;
use support::raw_http::RawConnection;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (kind, n) = match args.as_slice() {
        [k, n] if ["health", "soap", "cpx", "cpx-uncached"].contains(&k.as_str()) => {
            (k.clone(), n.parse::<u32>().unwrap_or(0))
        }
        _ => {
            eprintln!("usage: sim_requests health|soap|cpx|cpx-uncached N");
            std::process::exit(2);
        }
    };
    let cpx = kind.starts_with("cpx");
    let mode = if cpx { HostMode::Cpx } else { HostMode::Mtls };
    let cache = if kind == "cpx-uncached" {
        0
    } else {
        insi_sim::cpx::CACHE_CAPACITY
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (server, store) = runtime.block_on(fixed_sim::start(mode, 10_000, cache));
    let addr = server.addr(mode).expect("listener");
    let bytes = if kind == "health" {
        format!("GET /health HTTP/1.1\r\nhost: {addr}\r\n\r\n").into_bytes()
    } else {
        fixed_sim::post_bytes(addr, &fixed_sim::member_search(&store, 7, cpx))
    };

    runtime.block_on(async {
        let (chain, key) = fixed_sim::insi_auto();
        let identity = (!cpx).then_some((chain.as_str(), key.as_str()));
        let ca = fixed_sim::testdata("pki/ca.pem");
        let mut conn = RawConnection::connect(addr, &ca, identity).await;
        // The first answer is looked at: a 00 (or "ok"), not a fault, or the count means nothing.
        let (status, _) = conn.exchange(&bytes).await;
        let text = String::from_utf8_lossy(conn.last_body());
        assert_eq!(status, 200, "{text}");
        assert!(
            kind == "health" || text.contains(">00<"),
            "not a 00 answer: {text}"
        );
        for _ in 0..n {
            let (status, _) = conn.exchange(&bytes).await;
            assert_eq!(status, 200);
        }
    });
    runtime.block_on(server.shutdown());
}
