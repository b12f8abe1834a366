//! Simulator identity store: trait and Vitale searches over synthetic populations of 1 million
//! and 10 million identities (SQLite, bundled).
//!
//! Floor, measured in the same run on the same database: fetching one identity row by rowid
//! (`Store::population_identity`). search / floor is what the index lookup on the traits and the
//! search rules add to the cheapest read SQLite can do.
//!
//! Before criterion runs, 20 000 timed lookups per size print p50/p99 (criterion reports means).
//! Databases are generated once under `target/tmp/` (10 M takes a few minutes) and reused.
//! Sizes: `INSI_SIM_BENCH_SIZES=1000000,10000000` (the default).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use insi_sim::identity::Identity;
use insi_sim::search::{TraitQuery, VitaleQuery};
use insi_sim::store::Store;

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
    let store = Store::open(&path).expect("open store");
    let t = Instant::now();
    let report = store.ensure_population(n, SEED).expect("population");
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

fn vitale_query(id: &Identity) -> VitaleQuery {
    VitaleQuery {
        matricule_individu: Some(id.ins.matricule.clone()),
        ..VitaleQuery::default()
    }
}

fn percentiles(label: &str, mut times: Vec<Duration>) -> Duration {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let (p50, p99) = (at(0.5), at(0.99));
    eprintln!(
        "{label}: p50 {:.1} µs, p99 {:.1} µs over {} lookups",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
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
            &format!("{n}: floor (row by rowid)"),
            time(&|i| {
                black_box(store.population_identity(i as u64 * (n / SAMPLES)).ok());
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
        group.bench_function("floor_row_by_rowid", |b| {
            b.iter(|| {
                i = (i + 1) % ids.len();
                black_box(store.population_identity(i as u64 * (n / SAMPLES)).ok())
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
