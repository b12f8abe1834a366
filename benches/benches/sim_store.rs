//! Simulator identity store: trait and Vitale searches over synthetic populations of 1 million
//! and 10 million identities (SQLite, bundled; layout in `crates/insi-sim/src/store.rs`).
//!
//! Floor, measured in the same run on the same database: a trait search for a birth name no
//! identity has (`Store::search_traits` down the same B-tree to an empty range: the statement,
//! the descent, no row). search / floor is what reading the rows of a `(nom, birth)` range,
//! spelling them out and applying the search rules add to it.
//!
//! Before criterion runs, 20 000 timed lookups per size print p50/p99/p99.9 (criterion reports
//! means). The honest tail figures (queries drawn from the generator, cold and warm passes,
//! page faults, load average) come from `cargo run --release -p insi-sim --example population`
//! (`scripts/bench store`). Databases are generated once under `target/tmp/` (10 M: about a
//! minute) and reused; one of an older format is generated again. Sizes:
//! `INSI_SIM_BENCH_SIZES=1000000,10000000` (the default).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use insi_sim::identity::Identity;
use insi_sim::search::{TraitQuery, VitaleQuery};
use insi_sim::store::{Store, StoreError};

const SEED: u64 = 1;
const SAMPLES: u64 = 20_000;

fn sizes() -> Vec<u64> {
    std::env::var("INSI_SIM_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn open(n: u64) -> Store {
    let path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("insi-sim-pop-{n}-s{SEED}.sqlite"));
    let t = Instant::now();
    let store = Store::open(&path).expect("open store");
    let report = match store.ensure_population(n, SEED) {
        Err(StoreError::PopulationMismatch { .. }) => {
            // Made by an older build (another format): generate it again.
            drop(store);
            std::fs::remove_file(&path).expect("remove the old database");
            return open(n);
        }
        other => other.expect("population"),
    };
    if report.generated {
        eprintln!(
            "generated {n} identities in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    store
}

fn trait_query(id: &Identity) -> TraitQuery {
    TraitQuery {
        nom_naissance: id.nom_naissance.clone(),
        prenoms: vec![id.prenoms.split(' ').next().unwrap_or_default().to_owned()],
        sexe: id.sexe.clone(),
        date_naissance: id.date_naissance.clone(),
        lieu_naissance: None,
    }
}

/// The same query for a birth name the generator never writes (its syllables end no name in
/// `QZ`): the floor.
fn absent_query(id: &Identity) -> TraitQuery {
    TraitQuery {
        nom_naissance: format!("{}QZ", id.nom_naissance),
        ..trait_query(id)
    }
}

fn vitale_query(id: &Identity) -> VitaleQuery {
    VitaleQuery {
        matricule_individu: Some(id.ins.matricule.clone()),
        ..VitaleQuery::default()
    }
}

fn percentiles(label: &str, mut times: Vec<Duration>) -> Duration {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let (p50, p99, p999) = (at(0.5), at(0.99), at(0.999));
    eprintln!(
        "{label}: p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs over {} lookups",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        p999.as_secs_f64() * 1e6,
        times.len()
    );
    p50
}

fn bench(c: &mut Criterion) {
    for n in sizes() {
        let store = open(n);
        let ids: Vec<Identity> = (0..SAMPLES)
            .filter_map(|i| store.population_identity(i * (n / SAMPLES)).expect("row"))
            .collect();
        let traits: Vec<TraitQuery> = ids.iter().map(trait_query).collect();
        let absent: Vec<TraitQuery> = ids.iter().map(absent_query).collect();
        let vitale: Vec<VitaleQuery> = ids.iter().map(vitale_query).collect();
        let time = |f: &dyn Fn(usize)| {
            (0..ids.len())
                .map(|i| {
                    let t = Instant::now();
                    f(i);
                    t.elapsed()
                })
                .collect::<Vec<_>>()
        };
        let floor = percentiles(
            &format!("{n}: floor (trait search, absent birth name)"),
            time(&|i| {
                black_box(store.search_traits(&absent[i]).ok());
            }),
        );
        let t = percentiles(
            &format!("{n}: trait search"),
            time(&|i| {
                black_box(store.search_traits(&traits[i]).ok());
            }),
        );
        let v = percentiles(
            &format!("{n}: vitale search"),
            time(&|i| {
                black_box(store.search_vitale(&vitale[i]).ok());
            }),
        );
        eprintln!(
            "{n}: p50 ratios to floor: trait {:.2}, vitale {:.2}",
            t.as_secs_f64() / floor.as_secs_f64(),
            v.as_secs_f64() / floor.as_secs_f64()
        );

        let mut group = c.benchmark_group(format!("sim_store/{n}"));
        let mut i = 0usize;
        group.bench_function("floor_absent_name", |b| {
            b.iter(|| {
                i = (i + 1) % absent.len();
                black_box(store.search_traits(&absent[i]).ok())
            })
        });
        group.bench_function("trait_search", |b| {
            b.iter(|| {
                i = (i + 1) % traits.len();
                black_box(store.search_traits(&traits[i]).ok())
            })
        });
        group.bench_function("vitale_search", |b| {
            b.iter(|| {
                i = (i + 1) % vitale.len();
                black_box(store.search_vitale(&vitale[i]).ok())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
