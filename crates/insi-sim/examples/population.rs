//! Measures a synthetic population: generation time, database size, startup time from the
//! existing database, and trait-search latency percentiles. Run in release:
//!
//! ```sh
//! cargo run --release -p insi-sim --example population -- 10000000 1 /tmp/insi-sim-10m.sqlite
//! ```
//!
//! Figures go to `docs/simulator.md`. The database is reused when it already holds the
//! population (then only startup and lookups are measured); delete it to time generation again.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use insi_sim::search::TraitQuery;
use insi_sim::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: population N SEED DB_FILE";
    let n: u64 = args.next().ok_or(usage)?.parse()?;
    let seed: u64 = args.next().ok_or(usage)?.parse()?;
    let db = PathBuf::from(args.next().ok_or(usage)?);

    let t = Instant::now();
    let store = Store::open(&db)?;
    let report = store.ensure_population(n, seed)?;
    println!(
        "population {n} seed {seed}: {} in {:.1} s",
        if report.generated {
            "generated"
        } else {
            "already there"
        },
        t.elapsed().as_secs_f64()
    );
    drop(store);
    let size: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "database size: {:.0} MB ({} bytes/identity)",
        size as f64 / 1e6,
        size / n.max(1)
    );

    // Startup from the existing database: open, check the population, first answer.
    let t = Instant::now();
    let store = Store::open(&db)?;
    store.ensure_population(n, seed)?;
    let first = store
        .population_identity(n / 2)?
        .ok_or("population identity missing")?;
    let q = query(&first);
    let out = store.search_traits(&q)?;
    println!(
        "startup from existing database to first answer ({}): {:.1} ms",
        out.code(),
        t.elapsed().as_secs_f64() * 1e3
    );

    // Lookup percentiles over identities spread across the population.
    let samples = 20_000u64.min(n);
    let mut queries = Vec::with_capacity(samples as usize);
    for i in 0..samples {
        if let Some(id) = store.population_identity(i * (n / samples))? {
            queries.push(query(&id));
        }
    }
    let mut times: Vec<Duration> = Vec::with_capacity(queries.len());
    let mut codes = [0usize; 3];
    for q in &queries {
        let t = Instant::now();
        let out = store.search_traits(q)?;
        times.push(t.elapsed());
        codes[out.code().as_bytes()[1] as usize - b'0' as usize] += 1;
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "trait search over {} queries: p50 {:.1} µs, p99 {:.1} µs (00: {}, 01: {}, 02: {})",
        times.len(),
        pct(0.50).as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
        codes[0],
        codes[1],
        codes[2]
    );
    Ok(())
}

/// A trait search with the first first name, without COG (so homonyms give 02, like a client
/// that does not know the birthplace).
fn query(id: &insi_sim::identity::Identity) -> TraitQuery {
    TraitQuery {
        nom_naissance: id.nom_naissance.clone(),
        prenoms: vec![id.prenoms.split(' ').next().unwrap_or_default().to_owned()],
        sexe: id.sexe.clone(),
        date_naissance: id.date_naissance.clone(),
        lieu_naissance: None,
    }
}
