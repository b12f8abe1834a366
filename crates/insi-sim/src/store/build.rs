//! Building the synthetic population's tables: generated, sorted in memory, written in key
//! order, into a file that takes the database's place only once complete.
//!
//! The work, on two cores. While the generator draws [`Person`]s (numbers, no text), a second
//! thread sorts each run of [`RUN`] of them by the key of each table to be written. Then that
//! thread merges the sorted runs and hands the rows over in key order while this one writes
//! them, so that SQLite builds every B-tree by appending to its last page: no descent from the
//! root to a random place per row, and no index left for SQLite to sort afterwards. A file
//! build writes with no journal and no sync, in one transaction, into `<db>.building`, renamed
//! over `<db>` at the end: a killed build leaves that side file, never a database that looks
//! complete.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use rusqlite::{Connection, OpenFlags, Statement, params};

use super::compact;
use crate::population::{self, Nom, Person};

/// People sorted together while the generator draws the next ones.
const RUN: usize = 1 << 20;

/// Rows handed from the merging thread to the writing one at a time.
const BATCH: usize = 4_096;

/// Identities per row of `generation_order`: 640 matricules of 6 bytes fill one 4 KiB page.
pub(super) const ORDER_CHUNK: u64 = 640;

/// Bytes of one matricule in `generation_order` (they are below 2^46).
pub(super) const ORDER_BYTES: usize = 6;

/// Tables of the population, all `WITHOUT ROWID`: written in key order, such a B-tree takes each
/// row on its last page without a search from the root (a rowid table given explicit rowids
/// searches from the root for each row).
///
/// - `population` is clustered on the trait-search key: a search reads one B-tree path and the
///   few adjacent rows of a `(nom, birth)` range, never a second table.
/// - `matricules` leads from a matricule to its row's key (`MatriculeIndividu`).
/// - `ouvrants_droits` does the same for the ouvrants droits that are not the identity's own
///   (minors and twins, about 6 %; an adult is their own).
/// - `generation_order` keeps the matricules in the order they were generated, for
///   [`super::Store::population_identity`].
const TABLES: &str = "
CREATE TABLE population (
    nom TEXT NOT NULL,
    birth INTEGER NOT NULL,
    mat INTEGER NOT NULL,
    prenoms INTEGER NOT NULL,
    cog TEXT NOT NULL,
    od INTEGER,
    flags INTEGER NOT NULL,
    PRIMARY KEY (nom, birth, mat)
) WITHOUT ROWID;
CREATE TABLE matricules (
    mat INTEGER PRIMARY KEY,
    nom TEXT NOT NULL,
    birth INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE ouvrants_droits (
    od INTEGER NOT NULL,
    mat INTEGER NOT NULL,
    nom TEXT NOT NULL,
    birth INTEGER NOT NULL,
    PRIMARY KEY (od, mat)
) WITHOUT ROWID;
CREATE TABLE generation_order (chunk INTEGER PRIMARY KEY, mats BLOB NOT NULL);
";

const DROP_TABLES: &str = "
DROP TABLE IF EXISTS population;
DROP TABLE IF EXISTS matricules;
DROP TABLE IF EXISTS ouvrants_droits;
DROP TABLE IF EXISTS generation_order;
";

/// Why a file build failed.
#[derive(Debug)]
pub(super) enum BuildError {
    Sqlite(rusqlite::Error),
    Io(String),
}

impl From<rusqlite::Error> for BuildError {
    fn from(e: rusqlite::Error) -> BuildError {
        BuildError::Sqlite(e)
    }
}

/// Builds the population of `(count, seed)` into `<db>.building` and renames it over `db`.
/// `record` is written last, in the same transaction as the rows.
pub(super) fn build_file(db: &Path, count: u64, seed: u64, record: &str) -> Result<(), BuildError> {
    let side = side_file(db);
    let io =
        |what: &str, e: std::io::Error| BuildError::Io(format!("{what} {}: {e}", side.display()));
    // Our own lock, apart from SQLite's: two processes generating the same database at once
    // would write the same side file.
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&side)
        .map_err(|e| io("cannot create", e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(BuildError::Io(format!(
                "{} is being written by another process generating this population; wait for \
                 it to finish (or stop it) and start again",
                side.display()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock", e)),
    }
    // What a killed build left is started afresh.
    lock.set_len(0).map_err(|e| io("cannot empty", e))?;
    let built = (|| {
        let conn = Connection::open_with_flags(
            &side,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // No journal, no sync: until the rename nothing reads this file, and a build that
        // stops half-way is thrown away.
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
             PRAGMA locking_mode = EXCLUSIVE;",
        )?;
        conn.execute_batch(super::META)?;
        build(&conn, count, seed, record)?;
        conn.close().map_err(|(_, e)| e)
    })();
    if let Err(e) = built {
        let _ = std::fs::remove_file(&side);
        return Err(e.into());
    }
    std::fs::rename(&side, db).map_err(|e| {
        let _ = std::fs::remove_file(&side);
        io("cannot rename", e)
    })?;
    drop(lock);
    Ok(())
}

/// `<db>.building`.
fn side_file(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".building");
    PathBuf::from(name)
}

/// Creates and fills the population tables on `conn` in one transaction (rolled back on error
/// where there is a journal).
pub(super) fn build(
    conn: &Connection,
    count: u64,
    seed: u64,
    record: &str,
) -> rusqlite::Result<()> {
    build_in_runs(conn, count, seed, record, RUN)
}

/// [`build`], sorting runs of `run_len` people.
fn build_in_runs(
    conn: &Connection,
    count: u64,
    seed: u64,
    record: &str,
    run_len: usize,
) -> rusqlite::Result<()> {
    // Room for the interior pages of the B-trees being written.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.execute_batch("BEGIN")?;
    let filled = (|| {
        conn.execute_batch(DROP_TABLES)?;
        conn.execute_batch(TABLES)?;
        let sorted = generate_sorted(count, seed, run_len);
        write_sorted(conn, &sorted)?;
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('population', ?1)",
            [record],
        )?;
        Ok(())
    })();
    match filled {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The population, generated and sorted in runs.
#[derive(Default)]
struct Sorted {
    /// Runs of people, each sorted by the `population` key.
    people: Vec<Vec<Person>>,
    /// For each run, where each matricule is in it, sorted by matricule.
    matricules: Vec<Vec<Place>>,
    /// The people whose ouvrant droit is another's, sorted by `(od, mat)`.
    ouvrants_droits: Vec<Vec<CardHolder>>,
    /// The matricules in generation order, [`ORDER_BYTES`] each.
    order: Vec<u8>,
}

/// A matricule and where its holder is in their run (16 bytes where a copy of the row's key
/// would take 32: at 10 M, that is 160 MB less).
#[derive(Clone, Copy)]
struct Place {
    matricule: u64,
    at: u32,
}

/// A card number (the matricule, or the ouvrant droit) and the key of its holder's row.
#[derive(Clone, Copy)]
struct CardHolder {
    number: u64,
    matricule: u64,
    nom: Nom,
    birth: u32,
}

impl CardHolder {
    fn of(number: u64, p: &Person) -> CardHolder {
        CardHolder {
            number,
            matricule: p.matricule,
            nom: p.nom,
            birth: p.birth,
        }
    }

    fn key(&self) -> (u64, u64) {
        (self.number, self.matricule)
    }
}

/// The `population` key. The zero padding of [`Nom`] sorts a name before its extensions, as
/// SQLite's binary collation does.
fn table_key(p: &Person) -> (Nom, u32, u64) {
    (p.nom, p.birth, p.matricule)
}

/// Generates the population on this thread and sorts runs of it on another.
fn generate_sorted(count: u64, seed: u64, run_len: usize) -> Sorted {
    let run_len = run_len.min(count as usize).max(1);
    let (tx, rx) = sync_channel::<Vec<Person>>(2);
    std::thread::scope(|scope| {
        let sorter = scope.spawn(move || {
            let mut sorted = Sorted::default();
            for mut run in rx {
                run.sort_unstable_by_key(table_key);
                let mut matricules: Vec<Place> = run
                    .iter()
                    .enumerate()
                    .map(|(at, p)| Place {
                        matricule: p.matricule,
                        at: at as u32,
                    })
                    .collect();
                matricules.sort_unstable_by_key(|p| p.matricule);
                let mut ouvrants_droits: Vec<CardHolder> = run
                    .iter()
                    .filter(|p| p.ouvrant_droit != 0)
                    .map(|p| CardHolder::of(p.ouvrant_droit, p))
                    .collect();
                ouvrants_droits.sort_unstable_by_key(CardHolder::key);
                sorted.people.push(run);
                sorted.matricules.push(matricules);
                sorted.ouvrants_droits.push(ouvrants_droits);
            }
            sorted
        });
        let mut order = Vec::with_capacity(count as usize * ORDER_BYTES);
        let mut run = Vec::with_capacity(run_len);
        let mut open = true;
        population::generate_people(count, seed, |person| {
            order.extend_from_slice(&person.matricule.to_be_bytes()[8 - ORDER_BYTES..]);
            run.push(*person);
            if run.len() == run_len && open {
                open = tx
                    .send(std::mem::replace(&mut run, Vec::with_capacity(run_len)))
                    .is_ok();
            }
        });
        if !run.is_empty() {
            let _ = tx.send(run);
        }
        drop(tx);
        // The sorter only ends early by panicking, which sorting does not do.
        let mut sorted = sorter.join().unwrap_or_default();
        sorted.order = order;
        sorted
    })
}

/// Writes every table: another thread merges the runs and hands rows over in key order.
fn write_sorted(conn: &Connection, sorted: &Sorted) -> rusqlite::Result<()> {
    let (people_tx, people) = sync_channel(4);
    let (matricules_tx, matricules) = sync_channel(4);
    let (ouvrants_droits_tx, ouvrants_droits) = sync_channel(4);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // Each stops early when the writer has stopped (an error): its receiver is gone.
            send_merged(&sorted.people, table_key, |_, p| Some(*p), &people_tx);
            drop(people_tx);
            // The holder's row is looked up here, off the writing thread: a cache miss a row.
            let holder = |run: usize, place: &Place| {
                let person = sorted
                    .people
                    .get(run)
                    .and_then(|r| r.get(place.at as usize));
                person.map(|p| CardHolder::of(p.matricule, p))
            };
            send_merged(&sorted.matricules, |p| p.matricule, holder, &matricules_tx);
            drop(matricules_tx);
            send_merged(
                &sorted.ouvrants_droits,
                CardHolder::key,
                |_, card| Some(*card),
                &ouvrants_droits_tx,
            );
        });
        let columns = ["nom", "prenoms", "birth", "cog", "mat", "od", "flags"];
        insert_all(conn, "population", &columns, people, |stmt, at, person| {
            let (nom, prenoms, birth, cog, mat, od, flags) = compact::columns(person);
            stmt.raw_bind_parameter(at, nom)?;
            stmt.raw_bind_parameter(at + 1, prenoms)?;
            stmt.raw_bind_parameter(at + 2, birth)?;
            stmt.raw_bind_parameter(at + 3, cog)?;
            stmt.raw_bind_parameter(at + 4, mat)?;
            stmt.raw_bind_parameter(at + 5, od)?;
            stmt.raw_bind_parameter(at + 6, flags)
        })?;
        let columns = ["mat", "nom", "birth"];
        insert_all(
            conn,
            "matricules",
            &columns,
            matricules,
            |stmt, at, card| {
                stmt.raw_bind_parameter(at, card.number as i64)?;
                stmt.raw_bind_parameter(at + 1, card.nom.as_str())?;
                stmt.raw_bind_parameter(at + 2, i64::from(card.birth))
            },
        )?;
        let columns = ["od", "mat", "nom", "birth"];
        insert_all(
            conn,
            "ouvrants_droits",
            &columns,
            ouvrants_droits,
            |stmt, at, card| {
                stmt.raw_bind_parameter(at, card.number as i64)?;
                stmt.raw_bind_parameter(at + 1, card.matricule as i64)?;
                stmt.raw_bind_parameter(at + 2, card.nom.as_str())?;
                stmt.raw_bind_parameter(at + 3, i64::from(card.birth))
            },
        )?;
        insert_order(conn, &sorted.order)
    })
}

/// Sends the items of sorted runs in overall `key` order (a k-way merge; keys are unique), as
/// `row` makes them from their run's index and themselves, in batches of [`BATCH`].
fn send_merged<T, K: Ord, R>(
    runs: &[Vec<T>],
    key: impl Fn(&T) -> K,
    row: impl Fn(usize, &T) -> Option<R>,
    tx: &SyncSender<Vec<R>>,
) {
    let mut next = vec![0usize; runs.len()];
    let mut heads: BinaryHeap<Reverse<(K, usize)>> = runs
        .iter()
        .enumerate()
        .filter_map(|(r, run)| run.first().map(|t| Reverse((key(t), r))))
        .collect();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(Reverse((_, r))) = heads.pop() {
        let run = &runs[r];
        if let Some(item) = run.get(next[r]).and_then(|item| row(r, item)) {
            batch.push(item);
        }
        next[r] += 1;
        if let Some(t) = run.get(next[r]) {
            heads.push(Reverse((key(t), r)));
        }
        if batch.len() == BATCH
            && tx
                .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .is_err()
        {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
}

/// Rows written by one `INSERT` statement: one execution per batch keeps SQLite's cursor on the
/// page it appends to and spreads the statement's own cost; together about half the time of one
/// row per execution. `OR FAIL` rather than the default `ABORT` spares a statement journal
/// (there is no conflict to undo: the keys are unique, and a failed build is thrown away).
const ROWS_PER_INSERT: usize = 64;

/// Inserts the items received, in their order, into `table`: `bind` binds one item's
/// `columns.len()` values from the given parameter index on.
fn insert_all<T>(
    conn: &Connection,
    table: &str,
    columns: &[&str],
    items: Receiver<Vec<T>>,
    bind: impl Fn(&mut Statement<'_>, usize, &T) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let sql = |rows: usize| {
        let one = format!("({})", vec!["?"; columns.len()].join(", "));
        format!(
            "INSERT OR FAIL INTO {table} ({}) VALUES {}",
            columns.join(", "),
            vec![one; rows].join(", ")
        )
    };
    let mut batch = conn.prepare(&sql(ROWS_PER_INSERT))?;
    let mut single = conn.prepare(&sql(1))?;
    let mut pending: Vec<T> = Vec::with_capacity(ROWS_PER_INSERT);
    for item in items.into_iter().flatten() {
        pending.push(item);
        if pending.len() == ROWS_PER_INSERT {
            for (i, item) in pending.iter().enumerate() {
                bind(&mut batch, 1 + i * columns.len(), item)?;
            }
            batch.raw_execute()?;
            pending.clear();
        }
    }
    for item in &pending {
        bind(&mut single, 1, item)?;
        single.raw_execute()?;
    }
    Ok(())
}

/// Writes the matricules in generation order, [`ORDER_CHUNK`] to a row.
fn insert_order(conn: &Connection, order: &[u8]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("INSERT INTO generation_order (chunk, mats) VALUES (?1, ?2)")?;
    for (chunk, mats) in order.chunks(ORDER_CHUNK as usize * ORDER_BYTES).enumerate() {
        stmt.execute(params![chunk as i64, mats])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table's rows, in key order, as text.
    fn dump(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT nom, birth, mat, prenoms, cog, od, flags FROM population",
            "SELECT mat, nom, birth FROM matricules",
            "SELECT od, mat, nom, birth FROM ouvrants_droits",
            "SELECT chunk, hex(mats) FROM generation_order",
        ] {
            let mut stmt = conn.prepare(sql).unwrap();
            let width = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                let cells: Vec<String> = (0..width)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect();
                out.push(cells.join("|"));
            }
        }
        out
    }

    fn built(count: u64, run_len: usize) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(super::super::META).unwrap();
        build_in_runs(&conn, count, 4, "test", run_len).unwrap();
        conn
    }

    #[test]
    fn merging_many_runs_writes_what_one_sorted_run_writes() {
        // 5 000 people in runs of 333: sixteen runs, the last one short.
        let one = dump(&built(5_000, usize::MAX));
        let many = built(5_000, 333);
        assert_eq!(dump(&many), one);
        let ok: String = many
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        // Every person once in `population` and `matricules`, minors and twins in
        // `ouvrants_droits`, the generation order whole.
        let mut people = Vec::new();
        population::generate_people(5_000, 4, |p| people.push(*p));
        let count = |sql: &str| -> i64 { many.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM population"), 5_000);
        assert_eq!(count("SELECT count(*) FROM matricules"), 5_000);
        let with_od = people.iter().filter(|p| p.ouvrant_droit != 0).count() as i64;
        assert!(with_od > 0);
        assert_eq!(count("SELECT count(*) FROM ouvrants_droits"), with_od);
        assert_eq!(
            count("SELECT sum(length(mats)) FROM generation_order"),
            5_000 * ORDER_BYTES as i64
        );
    }
}
