//! The history file: SQLite (bundled), one row per run, one row per case of a package run, and
//! the snapshot each comparison reads. Rows are only ever added.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use serde::Serialize;

use crate::snapshot::{LoadFigures, RunSnapshot, Snapshot};

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,              -- 'run' (package run) or 'load'
    started       TEXT NOT NULL,
    finished      TEXT NOT NULL,
    tool_version  TEXT NOT NULL,
    label         TEXT,                       -- --label: e.g. the software under test's version
    git_describe  TEXT,                       -- `git describe` of the working directory, if any
    package       TEXT,
    package_version TEXT,
    target        TEXT NOT NULL,
    summary       TEXT NOT NULL,              -- one line, for `insi-bench history`
    ok            INTEGER NOT NULL,           -- no failed case / no wrong answer
    snapshot      TEXT NOT NULL,              -- JSON: what `compare` reads
    detail        TEXT                        -- JSON: the whole load result (histograms included)
);
CREATE TABLE cases (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    case_id  TEXT NOT NULL,
    status   TEXT NOT NULL,
    ms       REAL NOT NULL,
    PRIMARY KEY (run_id, case_id)
);
CREATE INDEX runs_by_package ON runs(kind, package, id);
";

/// Why the history could not be read or written. Nothing already in the file is lost by any of
/// these: writes are single transactions.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "{} is locked by another process (another insi-bench writing it?): try again, or give \
         another --history file",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error(
        "{} is not an insi-bench history file ({detail}); give another --history file — this one \
         was left untouched",
        path.display()
    )]
    NotAHistory { path: PathBuf, detail: String },
    #[error(
        "{} was written by a newer insi-bench (history schema {found}, this one reads up to \
         {SCHEMA_VERSION}): upgrade insi-bench",
        path.display()
    )]
    Newer { path: PathBuf, found: i64 },
    #[error(
        "{} is damaged ({detail}); it was left as it is: restore it from a backup, or give \
         another --history file (`sqlite3 FILE .recover` may save its runs)",
        path.display()
    )]
    Damaged { path: PathBuf, detail: String },
    #[error("{}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("no run matches {0} in the history")]
    NoSuchRun(String),
    #[error("history row {id} is damaged: {detail}")]
    DamagedRow { id: i64, detail: String },
}

/// Which run: `last`, `previous` (the one before the last), or an id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    Last,
    Previous,
    Id(i64),
}

impl std::str::FromStr for Selector {
    type Err = String;
    fn from_str(text: &str) -> Result<Selector, String> {
        match text {
            "last" => Ok(Selector::Last),
            "previous" => Ok(Selector::Previous),
            other => other
                .parse()
                .map(Selector::Id)
                .map_err(|_| format!("'{other}' is not a run: write an id, `last` or `previous`")),
        }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Last => f.write_str("last"),
            Selector::Previous => f.write_str("previous"),
            Selector::Id(id) => write!(f, "#{id}"),
        }
    }
}

/// Narrows listings and selectors.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// `run` or `load`.
    pub kind: Option<String>,
    pub package: Option<String>,
}

/// Who recorded a run, beyond what the run itself says.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Meta {
    pub tool_version: String,
    pub label: Option<String>,
    pub git_describe: Option<String>,
}

/// One line of `insi-bench history`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub started: String,
    pub target: String,
    pub package: Option<String>,
    pub package_version: Option<String>,
    pub label: Option<String>,
    pub git_describe: Option<String>,
    pub tool_version: String,
    pub summary: String,
    pub ok: bool,
}

/// An open history file.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl History {
    /// Opens `path`, creating it (and its schema) when missing.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| HistoryError::Sqlite {
                path: path.to_path_buf(),
                source: rusqlite::Error::InvalidPath(dir.join(e.to_string())),
            })?;
        }
        let conn = Connection::open(path).map_err(|e| classify(path, e))?;
        let history = History {
            conn,
            path: path.to_path_buf(),
        };
        history
            .conn
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| history.error(e))?;
        history.migrate()?;
        Ok(history)
    }

    fn error(&self, e: rusqlite::Error) -> HistoryError {
        classify(&self.path, e)
    }

    fn migrate(&self) -> Result<(), HistoryError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.error(e))?;
        if version > SCHEMA_VERSION {
            return Err(HistoryError::Newer {
                path: self.path.clone(),
                found: version,
            });
        }
        if version == SCHEMA_VERSION {
            // A damaged page would otherwise show up only when the run is recorded, after every
            // case ran; quick_check reads each page once (milliseconds for a history file).
            let verdict: String = self
                .conn
                .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
                .map_err(|e| self.error(e))?;
            if verdict != "ok" {
                return Err(HistoryError::Damaged {
                    path: self.path.clone(),
                    detail: format!("SQLite integrity check: {verdict}"),
                });
            }
            return Ok(());
        }
        // Version 0: a new file, or some other SQLite database we must not touch.
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| self.error(e))?;
        if tables > 0 {
            return Err(HistoryError::NotAHistory {
                path: self.path.clone(),
                detail: format!("a SQLite database with {tables} other objects"),
            });
        }
        self.conn
            .execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(|e| self.error(e))
    }

    /// Records a finished package run; returns its id.
    pub fn record_run(&mut self, run: &insi_runner::Run, meta: &Meta) -> Result<i64, HistoryError> {
        let snapshot = Snapshot::Run(RunSnapshot::of(run));
        let s = &run.summary;
        let mut summary = format!(
            "{} cases: {} passed, {} failed",
            s.total, s.passed, s.failed
        );
        for (n, what) in [
            (s.skipped, "skipped"),
            (s.xfailed, "xfail"),
            (s.xpassed, "xpass"),
        ] {
            if n > 0 {
                summary.push_str(&format!(", {n} {what}"));
            }
        }
        let row = Row {
            kind: "run",
            started: &run.header.started,
            finished: &run.finished,
            package: Some(&run.header.package),
            package_version: Some(&run.header.package_version),
            target: &run.header.target,
            summary: &summary,
            ok: s.ok(),
            detail: None,
        };
        let cases: Vec<(&str, &str, f64)> = run
            .cases
            .iter()
            .map(|c| (c.id.as_str(), c.status.as_str(), c.ms))
            .collect();
        self.insert(&row, &snapshot, meta, &cases)
    }

    /// Records a load run: its figures (compared later) and the whole result document
    /// (`detail`, histograms included), as JSON.
    pub fn record_load(
        &mut self,
        figures: &LoadFigures,
        started: &str,
        finished: &str,
        detail: &serde_json::Value,
        meta: &Meta,
    ) -> Result<i64, HistoryError> {
        let summary = format!(
            "{} requests, {:.0} req/s, p99 {:.3} ms, {} errors, {} wrong answers",
            figures.requests,
            figures.throughput,
            figures.p99_ms,
            figures.errors,
            figures.wrong_answers
        );
        let detail = detail.to_string();
        let row = Row {
            kind: "load",
            started,
            finished,
            package: None,
            package_version: None,
            target: &figures.target,
            summary: &summary,
            ok: figures.wrong_answers == 0,
            detail: Some(&detail),
        };
        self.insert(&row, &Snapshot::Load(figures.clone()), meta, &[])
    }

    fn insert(
        &mut self,
        row: &Row<'_>,
        snapshot: &Snapshot,
        meta: &Meta,
        cases: &[(&str, &str, f64)],
    ) -> Result<i64, HistoryError> {
        let snapshot = serde_json::to_string(snapshot).map_err(|e| HistoryError::DamagedRow {
            id: 0,
            detail: e.to_string(),
        })?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| classify(&path, e))?;
        tx.execute(
            "INSERT INTO runs (kind, started, finished, tool_version, label, git_describe, \
             package, package_version, target, summary, ok, snapshot, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                row.kind,
                row.started,
                row.finished,
                meta.tool_version,
                meta.label,
                meta.git_describe,
                row.package,
                row.package_version,
                row.target,
                row.summary,
                row.ok,
                snapshot,
                row.detail,
            ],
        )
        .map_err(|e| classify(&path, e))?;
        let id = tx.last_insert_rowid();
        for (case, status, ms) in cases {
            tx.execute(
                "INSERT INTO cases (run_id, case_id, status, ms) VALUES (?1, ?2, ?3, ?4)",
                params![id, case, status, ms],
            )
            .map_err(|e| classify(&path, e))?;
        }
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(id)
    }

    /// Runs, newest first.
    pub fn list(&self, filter: &Filter, limit: usize) -> Result<Vec<Entry>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, kind, started, target, package, package_version, label, \
                 git_describe, tool_version, summary, ok FROM runs \
                 WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR package = ?2) \
                 ORDER BY id DESC LIMIT ?3",
            )
            .map_err(|e| self.error(e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![filter.kind, filter.package, limit], |r| {
                Ok(Entry {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    started: r.get(2)?,
                    target: r.get(3)?,
                    package: r.get(4)?,
                    package_version: r.get(5)?,
                    label: r.get(6)?,
                    git_describe: r.get(7)?,
                    tool_version: r.get(8)?,
                    summary: r.get(9)?,
                    ok: r.get(10)?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(e))
    }

    /// The id a selector names, among the runs `filter` keeps.
    pub fn resolve(&self, selector: &Selector, filter: &Filter) -> Result<i64, HistoryError> {
        let offset = match selector {
            Selector::Id(id) => {
                let found: Option<i64> = self
                    .conn
                    .query_row("SELECT id FROM runs WHERE id = ?1", [id], |r| r.get(0))
                    .optional()
                    .map_err(|e| self.error(e))?;
                return found.ok_or_else(|| HistoryError::NoSuchRun(selector.to_string()));
            }
            Selector::Last => 0,
            Selector::Previous => 1,
        };
        self.conn
            .query_row(
                "SELECT id FROM runs WHERE (?1 IS NULL OR kind = ?1) \
                 AND (?2 IS NULL OR package = ?2) ORDER BY id DESC LIMIT 1 OFFSET ?3",
                params![filter.kind, filter.package, offset],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?
            .ok_or_else(|| HistoryError::NoSuchRun(selector.to_string()))
    }

    /// The newest run before `id` of the same kind (and package, for package runs): the base a
    /// run is compared with by default.
    pub fn before(&self, id: i64) -> Result<i64, HistoryError> {
        self.conn
            .query_row(
                "SELECT b.id FROM runs b JOIN runs n ON n.id = ?1 \
                 WHERE b.id < n.id AND b.kind = n.kind AND b.package IS n.package \
                 AND b.target = n.target ORDER BY b.id DESC LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?
            .ok_or_else(|| HistoryError::NoSuchRun(format!("a run before #{id} like it")))
    }

    /// The snapshot of run `id`.
    pub fn snapshot_of(&self, id: i64) -> Result<Snapshot, HistoryError> {
        let text: String = self
            .conn
            .query_row("SELECT snapshot FROM runs WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.error(e))?
            .ok_or_else(|| HistoryError::NoSuchRun(format!("#{id}")))?;
        serde_json::from_str(&text).map_err(|e| HistoryError::DamagedRow {
            id,
            detail: e.to_string(),
        })
    }

    /// The snapshot a selector names (no filter).
    pub fn snapshot(&self, selector: &Selector) -> Result<Snapshot, HistoryError> {
        self.snapshot_of(self.resolve(selector, &Filter::default())?)
    }

    /// The listing entry of run `id`.
    pub fn entry(&self, id: i64) -> Result<Entry, HistoryError> {
        self.list(&Filter::default(), usize::MAX)?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| HistoryError::NoSuchRun(format!("#{id}")))
    }
}

struct Row<'a> {
    kind: &'a str,
    started: &'a str,
    finished: &'a str,
    package: Option<&'a str>,
    package_version: Option<&'a str>,
    target: &'a str,
    summary: &'a str,
    ok: bool,
    detail: Option<&'a str>,
}

/// SQLite's errors in the words a user can act on.
fn classify(path: &Path, e: rusqlite::Error) -> HistoryError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => HistoryError::Locked {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::NotADatabase) => HistoryError::NotAHistory {
            path: path.to_path_buf(),
            detail: "not a SQLite database".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => HistoryError::Damaged {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => HistoryError::Sqlite {
            path: path.to_path_buf(),
            source: e,
        },
    }
}

/// Records the finished run into a history: an `insi_runner::Sink` to pass with the others.
#[derive(Debug)]
pub struct RunSink {
    history: History,
    meta: Meta,
    /// The id the run got, once recorded.
    pub recorded: Option<i64>,
}

impl RunSink {
    pub fn new(history: History, meta: Meta) -> RunSink {
        RunSink {
            history,
            meta,
            recorded: None,
        }
    }
}

impl insi_runner::Sink for RunSink {
    fn finish(&mut self, run: &insi_runner::Run) -> Result<(), insi_runner::SinkError> {
        let id = self
            .history
            .record_run(run, &self.meta)
            .map_err(|e| insi_runner::SinkError::new("history", e))?;
        self.recorded = Some(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insi_runner::{CaseResult, Header, Outcome, Run, Status, Summary};

    fn run(statuses: &[(&str, Status)]) -> Run {
        let cases: Vec<CaseResult> = statuses
            .iter()
            .map(|(id, status)| CaseResult {
                id: (*id).into(),
                title: "t".into(),
                status: *status,
                reason: None,
                mismatches: vec![],
                outcome: Outcome::default(),
                ms: 2.0,
            })
            .collect();
        Run {
            header: Header::new("p", "1", "sim (embedded)", "2026-12-03T08:00:00Z".into()),
            finished: "2026-12-03T08:00:01Z".into(),
            wall_ms: 1000.0,
            summary: Summary::of(&cases),
            cases,
            resumed: 0,
        }
    }

    fn meta() -> Meta {
        Meta {
            tool_version: "0.1.0".into(),
            label: Some("v1.2.3".into()),
            git_describe: None,
        }
    }

    #[test]
    fn runs_are_recorded_listed_and_selected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite");
        let mut h = History::open(&path).unwrap();
        let a = h.record_run(&run(&[("x", Status::Pass)]), &meta()).unwrap();
        let b = h.record_run(&run(&[("x", Status::Fail)]), &meta()).unwrap();
        assert_eq!(h.resolve(&Selector::Last, &Filter::default()).unwrap(), b);
        assert_eq!(
            h.resolve(&Selector::Previous, &Filter::default()).unwrap(),
            a
        );
        assert_eq!(h.before(b).unwrap(), a);
        assert!(h.before(a).is_err());
        let list = h.list(&Filter::default(), 10).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].summary, "1 cases: 0 passed, 1 failed");
        assert!(!list[0].ok);
        assert_eq!(list[1].label.as_deref(), Some("v1.2.3"));
        drop(h);
        // Reopening keeps everything.
        let h = History::open(&path).unwrap();
        match h.snapshot(&Selector::Id(a)).unwrap() {
            Snapshot::Run(r) => assert_eq!(r.cases[0].status, "pass"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            h.snapshot(&Selector::Id(99)),
            Err(HistoryError::NoSuchRun(_))
        ));
    }

    #[test]
    fn foreign_corrupt_and_newer_files_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(
            &garbage,
            b"this is not a database at all, not even close.......",
        )
        .unwrap();
        let before = std::fs::read(&garbage).unwrap();
        let err = History::open(&garbage).unwrap_err();
        assert!(matches!(err, HistoryError::NotAHistory { .. }), "{err}");
        assert_eq!(std::fs::read(&garbage).unwrap(), before, "left untouched");

        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let err = History::open(&other).unwrap_err().to_string();
        assert!(err.contains("not an insi-bench history"), "{err}");

        let newer = dir.path().join("newer.sqlite");
        Connection::open(&newer)
            .unwrap()
            .execute_batch("PRAGMA user_version = 7")
            .unwrap();
        let err = History::open(&newer).unwrap_err().to_string();
        assert!(err.contains("newer insi-bench"), "{err}");
    }

    #[test]
    fn a_locked_file_is_a_clear_error_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite");
        let mut h = History::open(&path).unwrap();
        h.record_run(&run(&[("x", Status::Pass)]), &meta()).unwrap();
        // Another process holds the write lock for longer than our busy timeout.
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        h.conn.busy_timeout(Duration::from_millis(50)).unwrap();
        let err = h
            .record_run(&run(&[("x", Status::Fail)]), &meta())
            .unwrap_err();
        assert!(matches!(err, HistoryError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("locked by another process"));
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(h.list(&Filter::default(), 10).unwrap().len(), 1);
    }
}
