//! Client ↔ embedded simulator over mutual TLS, one keep-alive connection: one search round
//! trip through the whole client (request built by the codec, POST, response decoded, attempt
//! traced).
//!
//! Floor, measured in the same run: the same POST of pre-encoded bytes through the same
//! transport, no encoding or decoding on the client side. search / floor is what the client
//! adds to a bare mTLS exchange with the simulator.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use insi_client::{
    ClientIdentity, HttpRequest, HttpTransport, InsiClient, Outcome, Strategy, TlsSetup, Transport,
};
use insi_soap::{CallIds, Caller, RecSansVitale, Request};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = runtime
        .block_on(insi_sim::embedded::start(Default::default()))
        .expect("simulator");
    let url = sim.url().expect("mTLS host");
    let tls = || TlsSetup {
        ca: insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "ca").expect("ca"),
        identity: Some(
            ClientIdentity::from_pem(sim.client_identity_pem().as_bytes()).expect("identity"),
        ),
    };
    let caller = Caller {
        idam: insi_sim::server::DEFAULT_IDAM.into(),
        lps_version: "1".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-bench:bench".into(),
        emetteur: insi_sim::pki::STRUCTURE_ID.into(),
    };
    let traits = ins::Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).expect("traits");
    let client = InsiClient::new(
        HttpTransport::new(tls(), Duration::from_secs(10)).expect("transport"),
        url.clone(),
        caller.clone(),
    );
    // Check once that the round trip really finds ADRUN.
    let first = runtime
        .block_on(client.search(&traits, Strategy::Single))
        .expect("search");
    assert!(matches!(first.outcome, Outcome::Resultat(ref r) if r.cr == ins::CodeCr::Ok));

    let raw = HttpTransport::new(tls(), Duration::from_secs(10)).expect("transport");
    let request = Request::rechercher_par_traits(
        &caller,
        &CallIds::fresh(),
        RecSansVitale::from_traits(&traits),
    );
    let post = HttpRequest {
        url,
        content_type: request.content_type(),
        body: request.encode().into_bytes(),
    };

    let mut group = c.benchmark_group("client_sim_mtls");
    group.bench_function("floor/raw_post_keepalive", |b| {
        b.iter(|| {
            let response = runtime
                .block_on(raw.send(black_box(post.clone())))
                .expect("post");
            assert_eq!(response.status, 200);
            response
        })
    });
    group.bench_function("search_single_roundtrip", |b| {
        b.iter(|| {
            runtime
                .block_on(client.search(black_box(&traits), Strategy::Single))
                .expect("search")
        })
    });
    group.finish();
    runtime.block_on(sim.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
