//! Measures a synthetic population's store: generation (wall and CPU), file size, startup from
//! the existing file, and search latency percentiles over random existing and absent traits.
//! Run in release:
//!
//! ```sh
//! cargo run --release -p insi-sim --example population -- 10000000 1 /tmp/insi-sim-10m.sqlite
//! ```
//!
//! `scripts/bench store` runs it for 100 k, 1 M (and 10 M) identities; figures go to
//! `BENCHMARKS.md` §Store. The database is reused when it already holds the population (then
//! generation is not measured); delete it to time generation again.
//!
//! The queries come from the generator, not from the store, so that building them does not
//! bring into memory the very pages the timed searches then read. Each query set is searched
//! twice: the first pass meets pages this process has never touched (page faults on the
//! memory map), the second pass is the steady state of a server that has run for a while. Page
//! faults and the load average are printed beside each pass: they explain a tail.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use insi_sim::identity::Identity;
use insi_sim::rng::Rng;
use insi_sim::search::{TraitQuery, VitaleQuery};
use insi_sim::store::Store;

const USAGE: &str =
    "usage: population N SEED DB_FILE [QUERIES (default 50000; 0: generation and startup only)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().ok_or(USAGE)?.parse()?;
    let seed: u64 = args.next().ok_or(USAGE)?.parse()?;
    let db = PathBuf::from(args.next().ok_or(USAGE)?);
    let queries: usize = match args.next() {
        Some(q) => q.parse()?,
        None => 50_000,
    };
    if n == 0 {
        return Err(USAGE.into());
    }

    println!("load average before: {}", load_average());
    let (t, cpu) = (Instant::now(), Usage::now());
    let store = Store::open(&db)?;
    let report = store.ensure_population(n, seed)?;
    let spent = Usage::now().since(&cpu);
    println!(
        "population {n} seed {seed}: {} in {:.1} s wall, {:.1} s CPU, peak RSS {} MB",
        if report.generated {
            "generated"
        } else {
            "already there"
        },
        t.elapsed().as_secs_f64(),
        spent.cpu.as_secs_f64(),
        peak_rss_kb() / 1024,
    );
    drop(store);
    let size: u64 = ["", "-journal", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "database size: {:.0} MB ({} bytes/identity)",
        size as f64 / 1e6,
        size / n
    );

    // Startup from the existing database: open, check the population record, first answer.
    let t = Instant::now();
    let store = Store::open(&db)?;
    store.ensure_population(n, seed)?;
    let first = store
        .population_identity(n / 2)?
        .ok_or("population identity missing")?;
    let out = store.search_traits(&trait_query(&first))?;
    println!(
        "startup from existing database to first answer ({}): {:.1} ms",
        out.code(),
        t.elapsed().as_secs_f64() * 1e3
    );

    if queries == 0 {
        return Ok(());
    }
    let t = Instant::now();
    let set = QuerySet::draw(n, seed, queries);
    println!(
        "queries: {} ({} from identities, {} with another birth date, {} with an unknown name), \
         drawn from the generator in {:.1} s",
        set.traits.len(),
        set.existing,
        set.other_date,
        set.unknown,
        t.elapsed().as_secs_f64()
    );

    for pass in ["first pass", "second pass"] {
        let before = Usage::now();
        let mut times = Vec::with_capacity(set.traits.len());
        let mut codes = [0usize; 3];
        for q in &set.traits {
            let t = Instant::now();
            let out = store.search_traits(q)?;
            times.push(t.elapsed());
            codes[usize::from(out.code().as_bytes()[1] - b'0')] += 1;
        }
        let faults = Usage::now().since(&before);
        println!(
            "trait search, {pass}: {} (00: {}, 01: {}, 02: {}; {} minor / {} major page faults; \
             load average {})",
            Percentiles::of(times),
            codes[0],
            codes[1],
            codes[2],
            faults.minor_faults,
            faults.major_faults,
            load_average()
        );
    }
    // Every identity drawn is found by its matricule, as generated: the store holds the
    // generator's population, and the Vitale path is timed beside the trait one.
    let mut times = Vec::with_capacity(set.vitale.len());
    let mut wrong = 0usize;
    for (q, id) in set.vitale.iter().zip(&set.identities) {
        let t = Instant::now();
        let out = store.search_vitale(q)?;
        times.push(t.elapsed());
        if out != insi_sim::search::Outcome::Found(Box::new(id.clone())) {
            wrong += 1;
        }
    }
    println!(
        "vitale search (MatriculeIndividu): {} ({wrong} not the generated identity)",
        Percentiles::of(times)
    );
    if wrong > 0 {
        return Err(format!("{wrong} identities differ from the generator's").into());
    }
    Ok(())
}

/// Searches over random members of the population, with a share of near misses and absent names.
struct QuerySet {
    traits: Vec<TraitQuery>,
    vitale: Vec<VitaleQuery>,
    identities: Vec<Identity>,
    existing: usize,
    other_date: usize,
    unknown: usize,
}

impl QuerySet {
    /// `count` queries: 80 % a member's own traits (first first name, no COG), 10 % the same
    /// with the day of birth moved (mostly `01`), 10 % a birth name the generator never makes.
    fn draw(n: u64, seed: u64, count: usize) -> QuerySet {
        let mut rng = Rng::new(seed ^ 0x5EED_0F5E_A2C4);
        let mut wanted: Vec<u64> = (0..count).map(|_| rng.below(n)).collect();
        wanted.sort_unstable();
        let mut identities = Vec::with_capacity(count);
        let mut next = wanted.iter().peekable();
        let mut index = 0u64;
        insi_sim::population::generate(n, seed, |id| {
            while next.peek() == Some(&&index) {
                identities.push(id.clone());
                next.next();
            }
            index += 1;
        });
        // Generation order is sorted by index: shuffle so that searches jump across the file.
        for i in (1..identities.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            identities.swap(i, j);
        }
        let mut set = QuerySet {
            traits: Vec::with_capacity(count),
            vitale: Vec::with_capacity(count),
            identities: Vec::with_capacity(count),
            existing: 0,
            other_date: 0,
            unknown: 0,
        };
        for id in identities {
            let mut q = trait_query(&id);
            match rng.below(10) {
                0 => {
                    let day: u32 = q.date_naissance[8..].parse().unwrap_or(1);
                    q.date_naissance = format!("{}{:02}", &q.date_naissance[..8], day % 28 + 1);
                    set.other_date += 1;
                }
                1 => {
                    // Letters the generator's syllables never end a name with.
                    q.nom_naissance = (0..8)
                        .map(|_| char::from(b'A' + rng.below(26) as u8))
                        .chain("QZ".chars())
                        .collect();
                    set.unknown += 1;
                }
                _ => set.existing += 1,
            }
            set.traits.push(q);
            set.vitale.push(VitaleQuery {
                matricule_individu: Some(id.ins.matricule.clone()),
                ..VitaleQuery::default()
            });
            set.identities.push(id);
        }
        set
    }
}

/// A trait search with the first first name, without COG (so homonyms give 02, like a client
/// that does not know the birthplace).
fn trait_query(id: &Identity) -> TraitQuery {
    TraitQuery {
        nom_naissance: id.nom_naissance.clone(),
        prenoms: vec![id.prenoms.split(' ').next().unwrap_or_default().to_owned()],
        sexe: id.sexe.clone(),
        date_naissance: id.date_naissance.clone(),
        lieu_naissance: None,
    }
}

struct Percentiles(Vec<Duration>);

impl Percentiles {
    fn of(mut times: Vec<Duration>) -> Percentiles {
        times.sort_unstable();
        Percentiles(times)
    }

    fn at(&self, p: f64) -> f64 {
        let i = ((self.0.len() as f64 * p) as usize).min(self.0.len() - 1);
        self.0[i].as_secs_f64() * 1e6
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.0} µs over {} searches",
            self.at(0.5),
            self.at(0.99),
            self.at(0.999),
            self.at(1.0),
            self.0.len()
        )
    }
}

/// This process's CPU time (all threads, finished ones included) and page faults, from
/// `/proc/self/stat` (zeros where it cannot be read).
struct Usage {
    cpu: Duration,
    minor_faults: u64,
    major_faults: u64,
}

impl Usage {
    fn now() -> Usage {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // Fields after the command name, which ends at the last ')': state is field 3.
        let fields: Vec<u64> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or_default()
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        let field = |n: usize| fields.get(n - 3).copied().unwrap_or(0);
        // utime and stime count clock ticks of 1/100 s (USER_HZ on Linux).
        Usage {
            cpu: Duration::from_millis((field(14) + field(15)) * 10),
            minor_faults: field(10),
            major_faults: field(12),
        }
    }

    fn since(&self, before: &Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(before.cpu),
            minor_faults: self.minor_faults.saturating_sub(before.minor_faults),
            major_faults: self.major_faults.saturating_sub(before.major_faults),
        }
    }
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
