//! The référentiel: personas in memory, the synthetic population in SQLite (bundled).
//!
//! - Personas (a few dozen, replaced at every start from the personas file) are kept in memory
//!   as loaded, indexed by birth name, matricule and ouvrant droit.
//! - The population (up to 10 M, generated once per database and reused) is one table of
//!   packed rows (`store/compact.rs`: about 50 bytes an identity instead of 120), row id =
//!   generation order. Indexes: `(nom, birth)` for trait search — birth date and sexe in one
//!   integer, both sexes of a date adjacent, so a search is one B-tree descent and a short range
//!   read, whatever the population size —, `mat` for `MatriculeIndividu`, and a partial `od`
//!   index holding only the minors' and twins' ouvrants droits (an adult's is their own).
//!
//! The SQL only narrows candidates; [`crate::search`] decides, exactly as before. Once the
//! population is there the file is never written again, so lookups go through a pool of
//! read-only `immutable` connections (no file lock, no change check per search) reading the
//! file through a memory map: what keeps p99 flat from 1 M to 10 M (`docs/simulator.md`).

mod compact;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// Bump when the table layout changes (3: packed rows, personas in memory).
const STORE_FORMAT: &str = "3";

/// Identities handed from the generator thread to the inserting one at a time.
const BATCH: usize = 8_192;

/// Largest memory map SQLite is asked for (the bundled build caps it near 2 GiB).
const MMAP_BYTES: i64 = 1 << 31;

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
    #[error(
        "identity database {path}: generated identity #{index} does not fit the packed rows \
         ({why}); the generator changed without store/compact.rs"
    )]
    Unpackable {
        path: String,
        index: u64,
        why: String,
    },
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

impl Store {
    /// Opens (or creates) a database file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let label = path.display().to_string();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_with(path.to_path_buf(), flags, label, Some(path.to_path_buf()))
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
                conn.execute_batch(SCHEMA).map_err(err)?;
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

    /// Makes sure the database holds the population `(count, seed)`: generates it when the
    /// database has none, reuses it when it matches, refuses another one.
    pub fn ensure_population(&self, count: u64, seed: u64) -> Result<PopulationReport, StoreError> {
        let started = Instant::now();
        let wanted = format!(
            "{count} identities, seed {seed}, generator v{GENERATOR_VERSION}, store v{STORE_FORMAT}"
        );
        match self.population_record()? {
            Some(found) if found == wanted => {
                self.reopen_read_only()?;
                return Ok(PopulationReport {
                    count,
                    seed,
                    generated: false,
                    elapsed: started.elapsed(),
                });
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
        let mut unpackable = None;
        self.with_conn(|conn| {
            conn.pragma_update(None, "synchronous", "OFF")?;
            // The index sorts are the longest part: let them use memory and a second thread.
            conn.pragma_update(None, "cache_size", -262_144)?;
            conn.pragma_update(None, "threads", 2)?;
            conn.execute_batch(DROP_INDEXES)?;
            // One transaction: rows are appended to a new table, so the rollback journal holds
            // almost nothing (SQLite journals only pages that existed before).
            conn.execute_batch("BEGIN; DELETE FROM population;")?;
            let inserted = insert_population(conn, count, seed);
            match inserted {
                Ok(Ok(())) => {}
                Ok(Err(why)) => {
                    conn.execute_batch("ROLLBACK")?;
                    unpackable = Some(why);
                    return Ok(());
                }
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(e);
                }
            }
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('population', ?1)",
                [&wanted],
            )?;
            conn.execute_batch(CREATE_INDEXES)?;
            conn.execute_batch("COMMIT")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "cache_size", -16_384)?;
            Ok(())
        })?;
        if let Some((index, why)) = unpackable {
            return Err(StoreError::Unpackable {
                path: self.label.clone(),
                index,
                why,
            });
        }
        self.reopen_read_only()?;
        Ok(PopulationReport {
            count,
            seed,
            generated: true,
            elapsed: started.elapsed(),
        })
    }

    /// Size of the synthetic population, from the database's records (no table scan: a
    /// `count(*)` over 10 M rows takes over a second).
    pub fn population_count(&self) -> Result<u64, StoreError> {
        // The record reads "N identities, seed S, …".
        Ok(self
            .population_record()?
            .and_then(|t| t.split(' ').next().and_then(|n| n.parse().ok()))
            .unwrap_or(0))
    }

    /// Number of stored identities (personas included), by counting rows.
    pub fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self.with_conn(|conn| {
            conn.query_row("SELECT count(*) FROM population", [], |r| r.get(0))
        })?;
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

    /// Trait search (`RECSANSVITALE`): candidates share the birth name and the birth date.
    pub fn search_traits(&self, query: &TraitQuery) -> Result<Outcome, StoreError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let mut candidates: Vec<Identity> = self
            .personas
            .get(&self.personas.by_nom, &query.nom_naissance)
            .filter(|p| p.date_naissance == query.date_naissance)
            .take(MAX_CANDIDATES)
            .cloned()
            .collect();
        // A date the population cannot hold (not `YYYY-MM-DD`) matches no generated identity.
        if let (Some(lo), Some(hi)) = (
            compact::birth_key(&query.date_naissance, false),
            compact::birth_key(&query.date_naissance, true),
        ) {
            self.select_population(
                &mut candidates,
                "SELECT nom, prenoms, birth, cog, mat, od, flags FROM population \
                 WHERE nom = ?1 AND birth BETWEEN ?2 AND ?3",
                params![query.nom_naissance, lo, hi],
            )?;
        }
        Ok(decide_traits(query, candidates))
    }

    /// Vitale search (`RECVITALE`).
    pub fn search_vitale(&self, query: &VitaleQuery) -> Result<Outcome, StoreError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let (map, key, sql) = match (&query.matricule_individu, &query.matricule_od) {
            (Some(m), _) => (
                &self.personas.by_matricule,
                m,
                "SELECT nom, prenoms, birth, cog, mat, od, flags FROM population \
                 WHERE mat = ?1",
            ),
            // An adult is their own ouvrant droit (od NULL); minors and twins carry theirs.
            (None, Some(od)) => (
                &self.personas.by_od,
                od,
                "SELECT nom, prenoms, birth, cog, mat, od, flags FROM population \
                 WHERE od = ?1 \
                 UNION ALL \
                 SELECT nom, prenoms, birth, cog, mat, od, flags FROM population \
                 WHERE mat = ?1 AND od IS NULL",
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
            "SELECT nom, prenoms, birth, cog, mat, od, flags FROM population WHERE nom = ?1",
            params![nom],
        )?;
        Ok(out)
    }

    /// The `n`-th population identity (0-based), for load generators and benches.
    pub fn population_identity(&self, n: u64) -> Result<Option<Identity>, StoreError> {
        let Ok(n) = i64::try_from(n) else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(1);
        self.select_population(
            &mut out,
            "SELECT nom, prenoms, birth, cog, mat, od, flags FROM population WHERE id = ?1",
            params![n],
        )?;
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
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            let mut rows = stmt.query(params)?;
            while out.len() < MAX_CANDIDATES
                && let Some(row) = rows.next()?
            {
                // A row this store did not write (a damaged file) is no candidate.
                if let Some(id) = compact::decode(
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                ) {
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

/// Generates and packs on one thread, inserts on this one (the two halves take about as long).
/// `Ok(Err((index, why)))` when an identity does not fit the packed rows.
fn insert_population(
    conn: &Connection,
    count: u64,
    seed: u64,
) -> rusqlite::Result<Result<(), (u64, String)>> {
    type Batch = Vec<Result<compact::OwnedRow, String>>;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(8);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut batch: Batch = Vec::with_capacity(BATCH);
            let mut open = true;
            crate::population::generate_each(count, seed, |id| {
                if !open {
                    return;
                }
                batch.push(compact::encode(id).map(|row| row.to_owned_row()));
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    open = tx.send(full).is_ok();
                }
            });
            if open && !batch.is_empty() {
                let _ = tx.send(batch);
            }
        });
        let mut stmt = conn.prepare(INSERT)?;
        let mut index: u64 = 0;
        for batch in rx {
            for row in batch {
                let row = match row {
                    Ok(row) => row,
                    // Dropping the receiver stops the generator's sends.
                    Err(why) => return Ok(Err((index, why))),
                };
                stmt.execute(params![
                    index as i64,
                    row.nom,
                    row.prenoms,
                    row.birth,
                    row.cog,
                    row.mat,
                    row.od,
                    row.flags
                ])?;
                index += 1;
            }
        }
        Ok(Ok(()))
    })
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

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS population (
    id INTEGER PRIMARY KEY,
    nom TEXT NOT NULL,
    prenoms TEXT NOT NULL,
    birth INTEGER NOT NULL,
    cog TEXT NOT NULL,
    mat INTEGER NOT NULL,
    od INTEGER,
    flags INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS population_traits ON population(nom, birth);
CREATE INDEX IF NOT EXISTS population_mat ON population(mat);
CREATE INDEX IF NOT EXISTS population_od ON population(od) WHERE od IS NOT NULL;
";

// Bulk loads insert without indexes and build them once at the end: several times faster.
const DROP_INDEXES: &str = "
DROP INDEX IF EXISTS population_traits;
DROP INDEX IF EXISTS population_mat;
DROP INDEX IF EXISTS population_od;
";
const CREATE_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS population_traits ON population(nom, birth);
CREATE INDEX IF NOT EXISTS population_mat ON population(mat);
CREATE INDEX IF NOT EXISTS population_od ON population(od) WHERE od IS NOT NULL;
";

const INSERT: &str = "INSERT INTO population (id, nom, prenoms, birth, cog, mat, od, flags)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

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
