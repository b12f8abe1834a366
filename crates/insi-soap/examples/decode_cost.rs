//! Decoding cost of the live-shaped response against its floor (a bare quick-xml event scan of
//! the same bytes, whatever the decoder reads them with), as wall time or as instruction
//! counts, which stay exact on a busy machine (mode `envelope` counts building a trait-search
//! envelope):
//!
//! ```text
//! cargo build --release -p insi-soap --example decode_cost
//! ./target/release/examples/decode_cost 100000                 # wall time, ratio printed
//! for m in floor decode; do for n in 1000 3000; do
//!   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
//!     ./target/release/examples/decode_cost $n $m 2>&1 | grep 'I *refs'; done; done
//! ```
//! (instructions per decode = difference of the two counts / 2000). A third argument `K` uses
//! the live response with `K` INSHISTO entries instead of two (the size curve of
//! `BENCHMARKS.md`, `scripts/bench`), `cnda` the CNDA-style sample (`ns2:` prefixes, default
//! namespace `INSiRecSans`, indented); `print` writes that response to stdout.

use std::hint::black_box;

use quick_xml::events::Event;

const LIVE: &[u8] = include_bytes!("../../../testdata/xml/resultat-00-live.xml");
const CNDA: &[u8] = include_bytes!("../../../testdata/xml/resultat-00-cnda-ns2.xml");

fn scan(bytes: &[u8]) -> usize {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut events = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => return events,
            Ok(_) => events += 1,
        }
    }
}

/// The live response with `k` INSHISTO entries (the two of the sample, repeated), written in
/// the live style.
fn with_histo(k: usize) -> Vec<u8> {
    let Ok(decoded) = insi_soap::decode_response(LIVE) else {
        panic!("the live sample decodes");
    };
    let insi_soap::Response::Resultat(mut r) = decoded.response else {
        panic!("the live sample is a RESULTAT");
    };
    if let Some(ind) = r.individu.as_mut() {
        let two = std::mem::take(&mut ind.ins_histo);
        ind.ins_histo = two.iter().cycle().take(k).cloned().collect();
    }
    r.encode(insi_soap::ResultatStyle::Live).into_bytes()
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let third = std::env::args().nth(3);
    let sized = third
        .as_deref()
        .and_then(|k| k.parse().ok())
        .map(with_histo);
    let input: &[u8] = match (third.as_deref(), sized.as_deref()) {
        (Some("cnda"), _) => CNDA,
        (_, Some(sized)) => sized,
        _ => LIVE,
    };
    match std::env::args().nth(2).as_deref() {
        Some("print") => println!("{}", String::from_utf8_lossy(input)),
        Some("wall-us") => {
            // Best of three rounds, in microseconds per decode (scripts/bench, node-soap ratio).
            let best = (0..3)
                .map(|_| {
                    let t = std::time::Instant::now();
                    (0..n).for_each(|_| {
                        let _ = black_box(insi_soap::decode_response(black_box(input)));
                    });
                    t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
                })
                .fold(f64::INFINITY, f64::min);
            println!("{best:.3}");
        }
        Some("floor") => (0..n).for_each(|_| {
            black_box(scan(black_box(input)));
        }),
        Some("decode") => (0..n).for_each(|_| {
            let _ = black_box(insi_soap::decode_response(black_box(input)));
        }),
        Some("envelope") => {
            let traits =
                ins::Traits::parse("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14", Some("63220"))
                    .unwrap_or_else(|e| panic!("{e}"));
            let caller = insi_soap::Caller {
                idam: "TESTSGIE0000".into(),
                lps_version: "1.0".into(),
                instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
                nom: "urn:lps:insi-bench:1.0".into(),
                emetteur: "10B0152872".into(),
            };
            let ids = insi_soap::CallIds::fresh();
            (0..n).for_each(|_| {
                let mut out = String::with_capacity(2048);
                insi_soap::Request::write_trait_search(
                    black_box(&caller),
                    black_box(&ids),
                    insi_soap::RecSansVitale::from_traits(black_box(&traits)),
                    &mut out,
                );
                black_box(out);
            });
        }
        _ => {
            for _ in 0..3 {
                let t = std::time::Instant::now();
                (0..n).for_each(|_| {
                    black_box(scan(black_box(input)));
                });
                let floor = t.elapsed() / n;
                let t = std::time::Instant::now();
                (0..n).for_each(|_| {
                    let _ = black_box(insi_soap::decode_response(black_box(input)));
                });
                let decode = t.elapsed() / n;
                println!(
                    "floor {floor:?}  decode {decode:?}  ratio {:.2}",
                    decode.as_secs_f64() / floor.as_secs_f64()
                );
            }
        }
    }
}
