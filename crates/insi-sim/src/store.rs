//! The référentiel: personas in memory, the synthetic population in SQLite (bundled).
//!
//! - Personas (a few dozen, replaced at every start from the personas file) are kept in memory
//!   as loaded, indexed by birth name, matricule and ouvrant droit.
//! - The population (up to 10 M, generated once per database and reused) is one table of
//!   packed rows (`store/compact.rs`, about 36 bytes an identity) **clustered on the
//!   trait-search key** `(nom, birth, mat)` (`WITHOUT ROWID`): birth date and sexe in one
//!   integer, both sexes of a date adjacent, so a trait search is one B-tree descent ending on
//!   the page that holds its candidates — no second lookup per candidate, whatever the
//!   population size. Beside it: a unique index on `mat` for `MatriculeIndividu`, a partial
//!   `od` index holding only the minors' and twins' ouvrants droits (an adult's is their own),
//!   and the matricules in generation order for [`Store::population_identity`].
//!   `store/build.rs` generates, sorts and writes them (`docs/simulator.md` §Store).
//!
//! The SQL only narrows candidates; [`crate::search`] decides. Once the population is there
//! the file is never written again, so lookups go through a pool of read-only `immutable`
//! connections (no file lock, no change check per search) reading the file through a memory
//! map.

mod build;
mod compact;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::identity::Identity;
use crate::personas::{FaultPersona, Personas};
use crate::search::{Outcome, TraitQuery, VitaleQuery, decide_traits, decide_vitale};

/// Upper bound on candidates read for one search: more means the request is far too vague
/// (an answer is `02` anyway), and the bound keeps a hostile query cheap.
pub const MAX_CANDIDATES: usize = 256;

/// Bump when the population generator changes its output for a given seed.
const GENERATOR_VERSION: &str = "2";

/// Bump when the table layout changes (3: packed rows, personas in memory; 4: clustered on the
/// trait key, first names as list indexes, built in a side file).
const STORE_FORMAT: &str = "4";

/// Largest memory map SQLite is asked for (the bundled build caps it near 2 GiB).
const MMAP_BYTES: i64 = 1 << 31;

/// The one table every database has from its first opening.
const META: &str = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("identity database {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error(
        "identity database {path} holds a population of {found}, not the {wanted} asked for; \
         delete the file or choose another --db"
    )]
    PopulationMismatch {
        path: String,
        found: String,
        wanted: String,
    },
    #[error("identity database {path}: cannot generate the population: {why}")]
    Build { path: String, why: String },
}

/// Figures of a population build or reuse.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationReport {
    pub count: u64,
    pub seed: u64,
    /// False when an existing database already held this population.
    pub generated: bool,
    pub elapsed: Duration,
}

/// The identity store.
#[derive(Debug)]
pub struct Store {
    pool: Vec<Mutex<Connection>>,
    next: AtomicUsize,
    label: String,
    /// The database file (`None`: in memory), reopened read-only once the population is there.
    file: Option<PathBuf>,
    /// True once the database holds a population of this store format: until then no search
    /// reads the population tables (a file made by another version may have others).
    populated: AtomicBool,
    personas: PersonaIndex,
    faults: Vec<FaultPersona>,
    never_found: Vec<String>,
    lookups: AtomicU64,
}

/// Stored personas and where to find them.
#[derive(Debug, Default)]
struct PersonaIndex {
    all: Vec<Identity>,
    by_nom: HashMap<String, Vec<usize>>,
    by_matricule: HashMap<String, Vec<usize>>,
    by_od: HashMap<String, Vec<usize>>,
}

impl PersonaIndex {
    fn new(identities: &[Identity]) -> PersonaIndex {
        let mut index = PersonaIndex::default();
        for (i, id) in identities.iter().enumerate() {
            index
                .by_nom
                .entry(id.nom_naissance.clone())
                .or_default()
                .push(i);
            index
                .by_matricule
                .entry(id.ins.matricule.clone())
                .or_default()
                .push(i);
            if let Some(od) = &id.matricule_od {
                index.by_od.entry(od.clone()).or_default().push(i);
            }
            index.all.push(as_stored(id.clone()));
        }
        index
    }

    fn get<'a>(
        &'a self,
        map: &'a HashMap<String, Vec<usize>>,
        key: &str,
    ) -> impl Iterator<Item = &'a Identity> + 'a {
        map.get(key)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.all.get(i))
    }
}

/// A persona as the searches return it: what the earlier SQL table gave back (the active INS
/// carries no dates; an empty INSHISTO date is no date).
fn as_stored(mut id: Identity) -> Identity {
    id.ins.date_deb = None;
    id.ins.date_fin = None;
    for h in &mut id.histo {
        h.date_deb = h.date_deb.take().filter(|d| !d.is_empty());
        h.date_fin = h.date_fin.take().filter(|d| !d.is_empty());
    }
    id
}

static MEMORY_DBS: AtomicU64 = AtomicU64::new(0);

/// A query of population rows, with the columns `compact::decode` reads (`p`: the row).
macro_rules! select {
    ($($from_where:tt)+) => {
        concat!(
            "SELECT p.nom, p.prenoms, p.birth, p.cog, p.mat, p.od, p.flags ",
            $($from_where)+
        )
    };
}

/// The row of a matricule: its key from `matricules`, then the row (two B-tree descents).
macro_rules! by_matricule {
    ($and:literal) => {
        select!(concat!(
            "FROM matricules m CROSS JOIN population p \
             ON p.nom = m.nom AND p.birth = m.birth AND p.mat = m.mat WHERE m.mat = ?1",
            $and
        ))
    };
}

impl Store {
    /// Opens (or creates) a database file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let label = path.display().to_string();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let store = Self::open_with(path.to_path_buf(), flags, label, Some(path.to_path_buf()))?;
        // A population of this format already there is searchable at once, read-only.
        if store.holds_this_format()? {
            store.reopen_read_only()?;
            store.populated.store(true, Ordering::Release);
        }
        Ok(store)
    }

    /// A private in-memory database (shared between this store's connections only).
    pub fn in_memory() -> Result<Store, StoreError> {
        let n = MEMORY_DBS.fetch_add(1, Ordering::Relaxed);
        let uri = format!(
            "file:insi-sim-{}-{n}?mode=memory&cache=shared",
            std::process::id()
        );
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_with(PathBuf::from(uri), flags, "<memory>".into(), None)
    }

    fn open_with(
        path: PathBuf,
        flags: OpenFlags,
        label: String,
        file: Option<PathBuf>,
    ) -> Result<Store, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        };
        let mut pool = Vec::with_capacity(pool_size());
        for i in 0..pool_size() {
            let conn = Connection::open_with_flags(&path, flags).map_err(err)?;
            if i == 0 {
                conn.execute_batch(META).map_err(err)?;
            }
            conn.pragma_update(None, "cache_size", -16_384)
                .map_err(err)?;
            stable_plans(&conn).map_err(err)?;
            pool.push(Mutex::new(conn));
        }
        Ok(Store {
            pool,
            next: AtomicUsize::new(0),
            label,
            file,
            populated: AtomicBool::new(false),
            personas: PersonaIndex::default(),
            faults: Vec::new(),
            never_found: Vec::new(),
            lookups: AtomicU64::new(0),
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.label.clone(),
            source,
        }
    }

    /// Runs `f` on a free connection (the first one not busy, else waits for one).
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..self.pool.len() {
            if let Ok(mut conn) = self.pool[(start + k) % self.pool.len()].try_lock() {
                return f(&mut conn).map_err(|e| self.err(e));
            }
        }
        let slot = &self.pool[start % self.pool.len()];
        let mut conn = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn).map_err(|e| self.err(e))
    }

    /// Replaces the pool by read-only connections that take the file as immutable: called once
    /// the population is complete, after which nothing writes the file.
    fn reopen_read_only(&self) -> Result<(), StoreError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let uri = format!("file:{}?immutable=1", uri_path(path));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        for slot in &self.pool {
            let conn = Connection::open_with_flags(&uri, flags).map_err(|e| self.err(e))?;
            conn.pragma_update(None, "mmap_size", MMAP_BYTES)
                .map_err(|e| self.err(e))?;
            stable_plans(&conn).map_err(|e| self.err(e))?;
            conn.pragma_update(None, "cache_size", -16_384)
                .map_err(|e| self.err(e))?;
            let mut guard = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *guard = conn;
        }
        Ok(())
    }

    /// Replaces the personas: stored ones are searched, fault and never-found ones answer by
    /// name. Returns the number stored.
    pub fn load_personas(&mut self, personas: &Personas) -> Result<usize, StoreError> {
        self.faults = personas.faults.clone();
        self.never_found = personas.never_found.clone();
        self.personas = PersonaIndex::new(&personas.identities);
        Ok(self.personas.all.len())
    }

    fn population_record(&self) -> Result<Option<String>, StoreError> {
        self.with_conn(|conn| {
            conn.query_row("SELECT value FROM meta WHERE key = 'population'", [], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    fn holds_this_format(&self) -> Result<bool, StoreError> {
        Ok(self
            .population_record()?
            .is_some_and(|r| r.ends_with(&format!(", store v{STORE_FORMAT}"))))
    }

    /// Makes sure the database holds the population `(count, seed)`: generates it when the
    /// database has none, reuses it when it matches, refuses another one.
    pub fn ensure_population(&self, count: u64, seed: u64) -> Result<PopulationReport, StoreError> {
        let started = Instant::now();
        let wanted = format!(
            "{count} identities, seed {seed}, generator v{GENERATOR_VERSION}, store v{STORE_FORMAT}"
        );
        let report = |generated| PopulationReport {
            count,
            seed,
            generated,
            elapsed: started.elapsed(),
        };
        match self.population_record()? {
            Some(found) if found == wanted => {
                // `open` already reopened a populated file read-only.
                if !self.populated() {
                    self.reopen_read_only()?;
                    self.populated.store(true, Ordering::Release);
                }
                return Ok(report(false));
            }
            Some(found) => {
                return Err(StoreError::PopulationMismatch {
                    path: self.label.clone(),
                    found,
                    wanted,
                });
            }
            None => {}
        }
        match &self.file {
            Some(path) => build::build_file(path, count, seed, &wanted).map_err(|e| match e {
                build::BuildError::Sqlite(source) => self.err(source),
                build::BuildError::Io(why) => StoreError::Build {
                    path: self.label.clone(),
                    why,
                },
            })?,
            None => self.with_conn(|conn| build::build(conn, count, seed, &wanted))?,
        }
        self.reopen_read_only()?;
        self.populated.store(true, Ordering::Release);
        Ok(report(true))
    }

    fn populated(&self) -> bool {
        self.populated.load(Ordering::Acquire)
    }

    /// Size of the synthetic population, from the database's records (no table scan: a
    /// `count(*)` over 10 M rows takes over a second).
    pub fn population_count(&self) -> Result<u64, StoreError> {
        if !self.populated() {
            return Ok(0);
        }
        // The record reads "N identities, seed S, …".
        Ok(self
            .population_record()?
            .and_then(|t| t.split(' ').next().and_then(|n| n.parse().ok()))
            .unwrap_or(0))
    }

    /// Number of stored identities (personas included), by counting rows.
    pub fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = if self.populated() {
            self.with_conn(|conn| {
                conn.query_row("SELECT count(*) FROM population", [], |r| r.get(0))
            })?
        } else {
            0
        };
        Ok(n.max(0) as u64 + self.personas.all.len() as u64)
    }

    /// The fault a trait search ends in, if it names a fault persona (birth name + first first
    /// name).
    pub fn fault_for(&self, query: &TraitQuery) -> Option<&FaultPersona> {
        let premier = crate::search::query_prenoms(&query.prenoms)
            .first()
            .copied()?;
        self.faults
            .iter()
            .find(|f| f.nom_naissance == query.nom_naissance && f.premier_prenom == premier)
    }

    /// Personas that are never found (for the banner).
    pub fn never_found(&self) -> &[String] {
        &self.never_found
    }

    /// How many searches this store answered.
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Trait search (`RECSANSVITALE`). The population rows read share the birth name, the
    /// birth date, the sexe and the first first name — what the rules require of any match,
    /// so that a common name born on a common day (fifteen rows and more at 10 M) does not
    /// turn into fifteen identities to spell out; [`decide_traits`] decides over them.
    pub fn search_traits(&self, query: &TraitQuery) -> Result<Outcome, StoreError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let mut candidates: Vec<Identity> = self
            .personas
            .get(&self.personas.by_nom, &query.nom_naissance)
            .filter(|p| p.date_naissance == query.date_naissance)
            .take(MAX_CANDIDATES)
            .cloned()
            .collect();
        // A sexe, date or first name the population cannot hold matches no generated identity.
        let male = match query.sexe.as_str() {
            "M" => Some(true),
            "F" => Some(false),
            _ => None,
        };
        let first = crate::search::query_prenoms(&query.prenoms)
            .first()
            .copied();
        let keys = male.zip(first).and_then(|(male, first)| {
            compact::birth_key(&query.date_naissance, male)
                .zip(compact::first_prenom_key(first, male))
        });
        if let Some((birth, first)) = keys {
            self.select_population(
                &mut candidates,
                select!(
                    "FROM population p WHERE p.nom = ?1 AND p.birth = ?2 AND ",
                    // The first first name's bits (`compact::first_prenom_key`).
                    "(p.prenoms & 252) = ?3"
                ),
                params![query.nom_naissance, birth, first],
            )?;
        }
        Ok(decide_traits(query, candidates))
    }

    /// Vitale search (`RECVITALE`).
    pub fn search_vitale(&self, query: &VitaleQuery) -> Result<Outcome, StoreError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let (map, key, sql) = match (&query.matricule_individu, &query.matricule_od) {
            (Some(m), _) => (&self.personas.by_matricule, m, by_matricule!("")),
            // An adult is their own ouvrant droit (od NULL); minors and twins carry theirs.
            (None, Some(od)) => (
                &self.personas.by_od,
                od,
                concat!(
                    select!(
                        "FROM ouvrants_droits o CROSS JOIN population p \
                         ON p.nom = o.nom AND p.birth = o.birth AND p.mat = o.mat WHERE o.od = ?1"
                    ),
                    " UNION ALL ",
                    by_matricule!(" AND p.od IS NULL")
                ),
            ),
            (None, None) => return Ok(Outcome::NotFound),
        };
        let mut candidates: Vec<Identity> = self
            .personas
            .get(map, key)
            .take(MAX_CANDIDATES)
            .cloned()
            .collect();
        if let Some(k) = compact::matricule_key(key) {
            self.select_population(&mut candidates, sql, params![k])?;
        }
        Ok(decide_vitale(query, candidates))
    }

    /// Every identity with this birth name (tests and tools; bounded by [`MAX_CANDIDATES`]).
    pub fn by_nom(&self, nom: &str) -> Result<Vec<Identity>, StoreError> {
        let mut out: Vec<Identity> = self
            .personas
            .get(&self.personas.by_nom, nom)
            .take(MAX_CANDIDATES)
            .cloned()
            .collect();
        self.select_population(
            &mut out,
            select!("FROM population p WHERE p.nom = ?1"),
            params![nom],
        )?;
        Ok(out)
    }

    /// The `n`-th population identity (0-based, in generation order), for load generators and
    /// benches.
    pub fn population_identity(&self, n: u64) -> Result<Option<Identity>, StoreError> {
        if !self.populated() {
            return Ok(None);
        }
        let (chunk, at) = (n / build::ORDER_CHUNK, n % build::ORDER_CHUNK);
        let (Ok(chunk), Ok(at)) = (i64::try_from(chunk), usize::try_from(at)) else {
            return Ok(None);
        };
        let mats: Option<Vec<u8>> = self.with_conn(|conn| {
            conn.prepare_cached("SELECT mats FROM generation_order WHERE chunk = ?1")?
                .query_row([chunk], |r| r.get(0))
                .optional()
        })?;
        let start = at * build::ORDER_BYTES;
        let Some(bytes) = mats
            .as_ref()
            .and_then(|m| m.get(start..start + build::ORDER_BYTES))
        else {
            return Ok(None);
        };
        let mat = bytes.iter().fold(0i64, |n, &b| n << 8 | i64::from(b));
        let mut out = Vec::with_capacity(1);
        self.select_population(&mut out, by_matricule!(""), params![mat])?;
        Ok(out.pop())
    }

    /// Appends the population rows of `sql` to `out`, up to [`MAX_CANDIDATES`] in all (the
    /// bound is applied here rather than by a bound `LIMIT`, whose changing value would make
    /// SQLite prepare the statement again).
    fn select_population(
        &self,
        out: &mut Vec<Identity>,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<(), StoreError> {
        if !self.populated() {
            return Ok(());
        }
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            let mut rows = stmt.query(params)?;
            while out.len() < MAX_CANDIDATES
                && let Some(row) = rows.next()?
            {
                let values = compact::RowValues {
                    nom: row.get_ref(0)?.as_str()?,
                    prenoms: row.get(1)?,
                    birth: row.get(2)?,
                    cog: row.get_ref(3)?.as_str()?,
                    mat: row.get(4)?,
                    od: row.get(5)?,
                    flags: row.get(6)?,
                };
                // A row this store did not write (a damaged file) is no candidate.
                if let Some(id) = compact::decode(&values) {
                    out.push(id);
                }
            }
            Ok(())
        })
    }
}

/// Plans that do not depend on bound values. Without it this SQLite build (STAT4) marks the
/// search statements to be prepared again whenever a bound value changes, which is every
/// search: parsing and planning were 65 % of a lookup's instructions (callgrind).
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

/// One connection per core, at least two, at most eight.
fn pool_size() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8)
}

/// A path as the path part of an SQLite `file:` URI.
fn uri_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(nom: &str, prenom: &str, sexe: &str, date: &str, cog: Option<&str>) -> TraitQuery {
        TraitQuery {
            nom_naissance: nom.into(),
            prenoms: vec![prenom.into()],
            sexe: sexe.into(),
            date_naissance: date.into(),
            lieu_naissance: cog.map(Into::into),
        }
    }

    #[test]
    fn population_is_searchable_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pop.sqlite");
        let store = Store::open(&path).unwrap();
        let report = store.ensure_population(3_000, 9).unwrap();
        assert!(report.generated);
        assert_eq!(store.count().unwrap(), 3_000);
        assert_eq!(store.population_count().unwrap(), 3_000);
        let mut expected = Vec::new();
        crate::population::generate(3_000, 9, |i| expected.push(i));
        // Every generated identity is found by a Vitale search on its own matricule.
        for id in expected.iter().step_by(97) {
            let out = store
                .search_vitale(&VitaleQuery {
                    matricule_individu: Some(id.ins.matricule.clone()),
                    ..VitaleQuery::default()
                })
                .unwrap();
            assert_eq!(out, Outcome::Found(Box::new(id.clone())));
        }
        // Trait search on a non-homonym gives 00 with the right INS.
        let id = &expected[10];
        let first = id.prenoms.split(' ').next().unwrap();
        let out = store
            .search_traits(&q(
                &id.nom_naissance,
                first,
                &id.sexe,
                &id.date_naissance,
                id.lieu_naissance.as_deref(),
            ))
            .unwrap();
        assert_eq!(out.code(), "00");
        assert_eq!(store.population_identity(10).unwrap().as_ref(), Some(id));
        drop(store);
        let again = Store::open(&path).unwrap();
        assert!(!again.ensure_population(3_000, 9).unwrap().generated);
        let err = again.ensure_population(3_000, 10).unwrap_err().to_string();
        assert!(
            err.contains("delete the file or choose another --db"),
            "{err}"
        );
    }

    #[test]
    fn only_a_complete_build_takes_the_database_s_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pop.sqlite");
        let side = dir.path().join("pop.sqlite.building");
        // What a killed build left behind.
        std::fs::write(&side, b"half a database").unwrap();
        // While another process writes the side file, a build refuses to start.
        let other = std::fs::File::open(&side).unwrap();
        other.lock().unwrap();
        let store = Store::open(&path).unwrap();
        let err = store.ensure_population(500, 2).unwrap_err().to_string();
        assert!(err.contains("being written by another process"), "{err}");
        assert_eq!(store.population_count().unwrap(), 0);
        assert_eq!(store.population_identity(0).unwrap(), None);
        drop(other);
        assert!(store.ensure_population(500, 2).unwrap().generated);
        assert!(!side.exists());
        assert_eq!(store.count().unwrap(), 500);
        // Another process finds it at once, before asking for it.
        drop(store);
        let again = Store::open(&path).unwrap();
        assert_eq!(again.population_count().unwrap(), 500);
        let mut last = None;
        crate::population::generate(500, 2, |id| last = Some(id));
        assert_eq!(again.population_identity(499).unwrap(), last);
        assert_eq!(again.population_identity(500).unwrap(), None);
    }

    #[test]
    fn searches_answer_what_the_rules_say_over_the_whole_population() {
        // The reference: search.rs's rules over every generated identity sharing the keys
        // (grouped in plain maps, no SQL). The store must give the same outcome for every query.
        let store = Store::in_memory().unwrap();
        store.ensure_population(20_000, 3).unwrap();
        let mut all = Vec::new();
        crate::population::generate(20_000, 3, |i| all.push(i));
        let mut groups: HashMap<(String, String), Vec<Identity>> = HashMap::new();
        let mut by_mat: HashMap<String, Vec<Identity>> = HashMap::new();
        let mut by_od: HashMap<String, Vec<Identity>> = HashMap::new();
        for i in &all {
            let key = (i.nom_naissance.clone(), i.date_naissance.clone());
            groups.entry(key).or_default().push(i.clone());
            by_mat
                .entry(i.ins.matricule.clone())
                .or_default()
                .push(i.clone());
            by_od
                .entry(i.matricule_od.clone().unwrap())
                .or_default()
                .push(i.clone());
        }
        let by_traits = |q: &TraitQuery| {
            let key = (q.nom_naissance.clone(), q.date_naissance.clone());
            decide_traits(q, groups.get(&key).cloned().unwrap_or_default())
        };
        let mut codes = [0usize; 3];
        for (n, id) in all.iter().enumerate().step_by(7) {
            let first = id.prenoms.split(' ').next().unwrap();
            for q in [
                q(&id.nom_naissance, first, &id.sexe, &id.date_naissance, None),
                q(
                    &id.nom_naissance,
                    first,
                    &id.sexe,
                    &id.date_naissance,
                    id.lieu_naissance.as_deref(),
                ),
                q(
                    &id.nom_naissance,
                    &id.prenoms,
                    &id.sexe,
                    &id.date_naissance,
                    None,
                ),
                q(
                    &id.nom_naissance,
                    first,
                    if id.sexe == "M" { "F" } else { "M" },
                    &id.date_naissance,
                    None,
                ),
                // The second first name alone, a name of neither list, none, a sexe and a
                // date the population cannot hold, first names over two elements.
                q(
                    &id.nom_naissance,
                    id.prenoms.split(' ').nth(1).unwrap_or("ZOE"),
                    &id.sexe,
                    &id.date_naissance,
                    None,
                ),
                q(
                    &id.nom_naissance,
                    "ZEPHYRIN",
                    &id.sexe,
                    &id.date_naissance,
                    None,
                ),
                q(&id.nom_naissance, "", &id.sexe, &id.date_naissance, None),
                q(&id.nom_naissance, first, "I", &id.date_naissance, None),
                q(&id.nom_naissance, first, &id.sexe, "1975-02-30", None),
                TraitQuery {
                    prenoms: id.prenoms.splitn(2, ' ').map(str::to_owned).collect(),
                    ..q(&id.nom_naissance, first, &id.sexe, &id.date_naissance, None)
                },
            ] {
                let out = store.search_traits(&q).unwrap();
                codes[usize::from(out.code().as_bytes()[1] - b'0')] += 1;
                assert_eq!(out, by_traits(&q), "{q:?}");
            }
            let od = id.matricule_od.clone();
            for v in [
                VitaleQuery {
                    matricule_individu: Some(id.ins.matricule.clone()),
                    ..VitaleQuery::default()
                },
                VitaleQuery {
                    matricule_od: od.clone(),
                    ..VitaleQuery::default()
                },
                VitaleQuery {
                    matricule_od: od,
                    date_naissance: Some(id.date_naissance.clone()),
                    rang_naissance: id.rang_naissance.clone(),
                    ..VitaleQuery::default()
                },
            ] {
                let c = match (&v.matricule_individu, &v.matricule_od) {
                    (Some(m), _) => by_mat.get(m),
                    (None, Some(od)) => by_od.get(od),
                    (None, None) => None,
                }
                .cloned()
                .unwrap_or_default();
                assert_eq!(
                    store.search_vitale(&v).unwrap(),
                    decide_vitale(&v, c),
                    "{v:?}"
                );
            }
            assert_eq!(
                store.population_identity(n as u64).unwrap().as_ref(),
                Some(id)
            );
        }
        // The sample covers every outcome.
        assert!(codes.iter().all(|&c| c > 0), "{codes:?}");
        assert_eq!(store.population_identity(20_000).unwrap(), None);
        let nom = &all[0].nom_naissance;
        let expected: Vec<_> = all
            .iter()
            .filter(|i| &i.nom_naissance == nom)
            .take(MAX_CANDIDATES)
            .collect();
        assert_eq!(store.by_nom(nom).unwrap().len(), expected.len());
    }

    #[test]
    fn personas_replace_personas_only() {
        let mut store = Store::in_memory().unwrap();
        store.ensure_population(100, 1).unwrap();
        let personas = Personas::parse(
            r#"
            [[persona]]
            nom = "CORSE"
            prenoms = "ANTHONY"
            sexe = "M"
            date_naissance = "1980-03-02"
            lieu_naissance = "2B020"
            matricule = "180032B020401"
            cle = "23"
            [[persona.histo]]
            matricule = "180032B020401"
            cle = "23"
            date_deb = "2001-01-01"
            "#,
        )
        .unwrap();
        assert_eq!(store.load_personas(&personas).unwrap(), 1);
        assert_eq!(store.load_personas(&personas).unwrap(), 1);
        assert_eq!(store.count().unwrap(), 101);
        match store
            .search_traits(&q("CORSE", "ANTHONY", "M", "1980-03-02", None))
            .unwrap()
        {
            Outcome::Found(id) => {
                assert_eq!(id.histo.len(), 1);
                assert_eq!(id.histo[0].date_deb.as_deref(), Some("2001-01-01"));
                assert_eq!(id.histo[0].date_fin, None);
            }
            other => panic!("{other:?}"),
        }
    }
}
