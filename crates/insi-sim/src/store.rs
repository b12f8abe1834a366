//! The référentiel: identities in SQLite (bundled), indexed for the two searches.
//!
//! One table `identity` holds personas (`source = 1`, replaced at every start from the personas
//! file) and the synthetic population (`source = 0`, generated once per database and reused).
//! Indexes: `(nom, date_naissance)` for trait search, `matricule` and `matricule_od` for Vitale
//! search. The SQL only narrows candidates; [`crate::search`] decides.
//!
//! Lookups go through a small pool of connections (one per core) so that concurrent requests do
//! not queue behind one mutex; a file database runs in WAL mode so readers never block.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::identity::{Identity, Ins};
use crate::personas::{FaultPersona, Personas};
use crate::search::{Outcome, TraitQuery, VitaleQuery, decide_traits, decide_vitale};

/// Upper bound on candidates read for one search: more means the request is far too vague
/// (an answer is `02` anyway), and the bound keeps a hostile query cheap.
pub const MAX_CANDIDATES: usize = 256;

/// Bump when the population generator changes its output for a given seed.
const GENERATOR_VERSION: &str = "2";

/// Rows per transaction while generating a population.
const BATCH: u64 = 500_000;

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
    faults: Vec<FaultPersona>,
    never_found: Vec<String>,
    lookups: AtomicU64,
}

static MEMORY_DBS: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Opens (or creates) a database file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let label = path.display().to_string();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_with(path.to_path_buf(), flags, label, true)
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
        Self::open_with(PathBuf::from(uri), flags, "<memory>".into(), false)
    }

    fn open_with(
        path: PathBuf,
        flags: OpenFlags,
        label: String,
        wal: bool,
    ) -> Result<Store, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        };
        let size = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(2, 8);
        let mut pool = Vec::with_capacity(size);
        for i in 0..size {
            let conn = Connection::open_with_flags(&path, flags).map_err(err)?;
            if i == 0 {
                if wal {
                    conn.pragma_update(None, "journal_mode", "WAL")
                        .map_err(err)?;
                }
                conn.execute_batch(SCHEMA).map_err(err)?;
            }
            conn.pragma_update(None, "cache_size", -65_536)
                .map_err(err)?;
            pool.push(Mutex::new(conn));
        }
        Ok(Store {
            pool,
            next: AtomicUsize::new(0),
            label,
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

    /// Replaces the personas: stored ones go in the table, fault and never-found ones stay in
    /// memory. Returns the number stored.
    pub fn load_personas(&mut self, personas: &Personas) -> Result<usize, StoreError> {
        self.faults = personas.faults.clone();
        self.never_found = personas.never_found.clone();
        let ids = personas.identities.clone();
        self.with_conn(move |conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM identity WHERE source = 1", [])?;
            {
                let mut stmt = tx.prepare(INSERT)?;
                for id in &ids {
                    insert(&mut stmt, 1, id)?;
                }
            }
            tx.commit()?;
            Ok(ids.len())
        })
    }

    /// Makes sure the database holds the population `(count, seed)`: generates it when the
    /// database has none, reuses it when it matches, refuses another one.
    pub fn ensure_population(&self, count: u64, seed: u64) -> Result<PopulationReport, StoreError> {
        let started = Instant::now();
        let wanted = format!("{count} identities, seed {seed}, generator v{GENERATOR_VERSION}");
        let found: Option<String> = self.with_conn(|conn| {
            conn.query_row("SELECT value FROM meta WHERE key = 'population'", [], |r| {
                r.get(0)
            })
            .optional()
        })?;
        match found {
            Some(found) if found == wanted => {
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
        self.with_conn(|conn| {
            conn.pragma_update(None, "synchronous", "OFF")?;
            conn.execute_batch(DROP_INDEXES)?;
            // Commits every BATCH rows: one 10 M-row transaction would grow the WAL to the size
            // of the whole database before the first checkpoint.
            conn.execute_batch("BEGIN; DELETE FROM identity WHERE source = 0;")?;
            {
                let mut stmt = conn.prepare(INSERT)?;
                let mut failure = None;
                let mut done = 0u64;
                crate::population::generate(count, seed, |id| {
                    if failure.is_some() {
                        return;
                    }
                    if let Err(e) = insert(&mut stmt, 0, &id) {
                        failure = Some(e);
                        return;
                    }
                    done += 1;
                    if done.is_multiple_of(BATCH)
                        && let Err(e) = conn.execute_batch("COMMIT; BEGIN;")
                    {
                        failure = Some(e);
                    }
                });
                if let Some(e) = failure {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(e);
                }
            }
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('population', ?1)",
                [&wanted],
            )?;

            conn.execute_batch("COMMIT")?;
            conn.execute_batch(CREATE_INDEXES)?;
            conn.execute_batch("ANALYZE")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            Ok(())
        })?;
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
        let text: Option<String> = self.with_conn(|conn| {
            conn.query_row("SELECT value FROM meta WHERE key = 'population'", [], |r| {
                r.get(0)
            })
            .optional()
        })?;
        // The record reads "N identities, seed S, generator vV".
        Ok(text
            .and_then(|t| t.split(' ').next().and_then(|n| n.parse().ok()))
            .unwrap_or(0))
    }

    /// Number of stored identities (personas included), by counting rows.
    pub fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .with_conn(|conn| conn.query_row("SELECT count(*) FROM identity", [], |r| r.get(0)))?;
        Ok(n.max(0) as u64)
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

    /// Trait search (`RECSANSVITALE`).
    pub fn search_traits(&self, query: &TraitQuery) -> Result<Outcome, StoreError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let candidates = self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT * FROM identity WHERE nom = ?1 AND date_naissance = ?2 LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![
                    query.nom_naissance,
                    query.date_naissance,
                    MAX_CANDIDATES as i64
                ],
                row_identity,
            )?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(decide_traits(query, candidates))
    }

    /// Vitale search (`RECVITALE`).
    pub fn search_vitale(&self, query: &VitaleQuery) -> Result<Outcome, StoreError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let (sql, key) = match (&query.matricule_individu, &query.matricule_od) {
            (Some(m), _) => ("SELECT * FROM identity WHERE matricule = ?1 LIMIT ?2", m),
            (None, Some(od)) => (
                "SELECT * FROM identity WHERE matricule_od = ?1 LIMIT ?2",
                od,
            ),
            (None, None) => return Ok(Outcome::NotFound),
        };
        let candidates = self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map(params![key, MAX_CANDIDATES as i64], row_identity)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(decide_vitale(query, candidates))
    }

    /// Every identity with this birth name (tests and tools; bounded by [`MAX_CANDIDATES`]).
    pub fn by_nom(&self, nom: &str) -> Result<Vec<Identity>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached("SELECT * FROM identity WHERE nom = ?1 LIMIT ?2")?;
            let rows = stmt.query_map(params![nom, MAX_CANDIDATES as i64], row_identity)?;
            rows.collect()
        })
    }

    /// The `n`-th population identity (0-based), for load generators and benches.
    pub fn population_identity(&self, n: u64) -> Result<Option<Identity>, StoreError> {
        self.with_conn(|conn| {
            conn.query_row(
                "SELECT * FROM identity WHERE source = 0 AND id = (SELECT min(id) FROM identity WHERE source = 0) + ?1",
                [n as i64],
                row_identity,
            )
            .optional()
        })
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS identity (
    id INTEGER PRIMARY KEY,
    source INTEGER NOT NULL,
    nom TEXT NOT NULL,
    prenoms TEXT NOT NULL,
    sexe TEXT NOT NULL,
    date_naissance TEXT NOT NULL,
    cog TEXT,
    matricule TEXT NOT NULL,
    cle TEXT NOT NULL,
    oid TEXT NOT NULL,
    histo TEXT,
    matricule_od TEXT,
    rang TEXT
);
CREATE INDEX IF NOT EXISTS identity_traits ON identity(nom, date_naissance);
CREATE INDEX IF NOT EXISTS identity_matricule ON identity(matricule);
CREATE INDEX IF NOT EXISTS identity_od ON identity(matricule_od);
-- Partial index: only persona rows, so replacing personas at startup does not scan 10 M rows.
CREATE INDEX IF NOT EXISTS identity_personas ON identity(source) WHERE source = 1;
";

// Bulk loads insert without indexes and build them once at the end: several times faster.
const DROP_INDEXES: &str = "
DROP INDEX IF EXISTS identity_traits;
DROP INDEX IF EXISTS identity_matricule;
DROP INDEX IF EXISTS identity_od;
";
const CREATE_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS identity_traits ON identity(nom, date_naissance);
CREATE INDEX IF NOT EXISTS identity_matricule ON identity(matricule);
CREATE INDEX IF NOT EXISTS identity_od ON identity(matricule_od);
";

const INSERT: &str = "INSERT INTO identity
    (source, nom, prenoms, sexe, date_naissance, cog, matricule, cle, oid, histo, matricule_od, rang)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

fn insert(stmt: &mut rusqlite::Statement<'_>, source: i64, id: &Identity) -> rusqlite::Result<()> {
    let histo = (!id.histo.is_empty()).then(|| encode_histo(&id.histo));
    stmt.execute(params![
        source,
        id.nom_naissance,
        id.prenoms,
        id.sexe,
        id.date_naissance,
        id.lieu_naissance,
        id.ins.matricule,
        id.ins.cle,
        id.ins.oid,
        histo,
        id.matricule_od,
        id.rang_naissance,
    ])?;
    Ok(())
}

fn row_identity(row: &rusqlite::Row<'_>) -> rusqlite::Result<Identity> {
    let histo: Option<String> = row.get("histo")?;
    Ok(Identity {
        nom_naissance: row.get("nom")?,
        prenoms: row.get("prenoms")?,
        sexe: row.get("sexe")?,
        date_naissance: row.get("date_naissance")?,
        lieu_naissance: row.get("cog")?,
        ins: Ins {
            matricule: row.get("matricule")?,
            cle: row.get("cle")?,
            oid: row.get("oid")?,
            date_deb: None,
            date_fin: None,
        },
        histo: histo.as_deref().map(decode_histo).unwrap_or_default(),
        matricule_od: row.get("matricule_od")?,
        rang_naissance: row.get("rang")?,
    })
}

// INSHISTO entries as `matricule|cle|oid|deb|fin` joined by `;`: none of these fields can hold
// `|` or `;` (checked when personas load; generated ones are digits and dashes).
fn encode_histo(histo: &[Ins]) -> String {
    histo
        .iter()
        .map(|h| {
            format!(
                "{}|{}|{}|{}|{}",
                h.matricule,
                h.cle,
                h.oid,
                h.date_deb.as_deref().unwrap_or(""),
                h.date_fin.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn decode_histo(text: &str) -> Vec<Ins> {
    text.split(';')
        .filter_map(|entry| {
            let mut f = entry.split('|');
            let opt = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
            Some(Ins {
                matricule: f.next()?.to_owned(),
                cle: f.next()?.to_owned(),
                oid: f.next()?.to_owned(),
                date_deb: opt(f.next()),
                date_fin: opt(f.next()),
            })
        })
        .collect()
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
