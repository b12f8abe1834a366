//! The run journal: one JSON line per finished case, appended and synced to disk before the next
//! case starts, so a run killed at any moment loses at most the case in flight, and `--resume`
//! knows exactly what is done. Reports are always written from the journal, which is why a
//! resumed run ends with the same reports as an uninterrupted one.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::compare::Mismatch;
use super::outcome::Outcome;

pub const FILE_NAME: &str = "journal.jsonl";

/// The first line: which package and target the journal belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub journal: u32,
    pub package: String,
    pub package_version: String,
    pub target: String,
    pub started: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
}

/// One finished case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub mismatches: Vec<Mismatch>,
    pub outcome: Outcome,
    pub ms: f64,
}

/// An open journal, positioned for appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

/// What an existing journal holds.
#[derive(Debug)]
pub struct Previous {
    pub header: Header,
    pub results: Vec<CaseResult>,
}

impl Journal {
    /// Starts a new journal in `dir`, replacing any previous one.
    pub fn create(dir: &Path, header: &Header) -> anyhow::Result<Journal> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
        let path = dir.join(FILE_NAME);
        let file = File::create(&path)
            .with_context(|| format!("cannot create the journal {}", path.display()))?;
        let mut journal = Journal { file, path };
        journal.append_line(&serde_json::to_string(header)?)?;
        Ok(journal)
    }

    /// Reopens a journal for `--resume`: checks it belongs to the same package and returns what
    /// it holds. A last line cut short by a kill is dropped (and truncated away), since the case it
    /// described did not finish being recorded.
    pub fn resume(dir: &Path, package: &str) -> anyhow::Result<(Journal, Previous)> {
        let path = dir.join(FILE_NAME);
        let file = File::open(&path).with_context(|| {
            format!(
                "--resume: no journal at {} (run once without --resume)",
                path.display()
            )
        })?;
        let mut lines = Vec::new();
        let mut good_bytes = 0u64;
        let mut reader = BufReader::new(file);
        loop {
            let mut line = String::new();
            let n = reader
                .read_line(&mut line)
                .context("cannot read the journal")?;
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            good_bytes += n as u64;
            lines.push(line);
        }
        let mut lines = lines.into_iter();
        let header: Header = match lines.next() {
            Some(line) => serde_json::from_str(&line)
                .context("the journal's first line is not a journal header")?,
            None => bail!("--resume: the journal {} is empty", path.display()),
        };
        if header.package != package {
            bail!(
                "--resume: the journal in {} is for package '{}', not '{package}'; choose another \
                 --report-dir or run without --resume",
                dir.display(),
                header.package
            );
        }
        let mut results = Vec::new();
        let mut seen = HashSet::new();
        for (i, line) in lines.enumerate() {
            let result: CaseResult = serde_json::from_str(&line)
                .with_context(|| format!("journal line {} is damaged", i + 2))?;
            // A case recorded twice (should not happen) counts once: the first record stands.
            if seen.insert(result.id.clone()) {
                results.push(result);
            }
        }
        let file = OpenOptions::new().write(true).open(&path)?;
        file.set_len(good_bytes)?;
        let mut journal = Journal { file, path };
        use std::io::Seek;
        journal.file.seek(std::io::SeekFrom::End(0))?;
        Ok((journal, Previous { header, results }))
    }

    /// Appends one finished case and waits until it is on disk.
    pub fn record(&mut self, result: &CaseResult) -> anyhow::Result<()> {
        self.append_line(&serde_json::to_string(result)?)
    }

    fn append_line(&mut self, line: &str) -> anyhow::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write the journal {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            journal: 1,
            package: "p".into(),
            package_version: "1".into(),
            target: "sim".into(),
            started: "2026-11-26T12:00:00Z".into(),
        }
    }

    fn result(id: &str) -> CaseResult {
        CaseResult {
            id: id.into(),
            title: "t".into(),
            status: Status::Pass,
            mismatches: vec![],
            outcome: Outcome::default(),
            ms: 1.5,
        }
    }

    #[test]
    fn resume_drops_a_torn_last_line_and_appends_after_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), &header()).unwrap();
        j.record(&result("a")).unwrap();
        j.record(&result("b")).unwrap();
        drop(j);
        // A kill in the middle of writing case c.
        let path = dir.path().join(FILE_NAME);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"id":"c","title":"#).unwrap();
        drop(f);

        let (mut j, previous) = Journal::resume(dir.path(), "p").unwrap();
        assert_eq!(previous.header, header());
        let ids: Vec<&str> = previous.results.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        j.record(&result("c")).unwrap();
        drop(j);
        let (_, previous) = Journal::resume(dir.path(), "p").unwrap();
        let ids: Vec<&str> = previous.results.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[test]
    fn resume_refuses_another_package() {
        let dir = tempfile::tempdir().unwrap();
        Journal::create(dir.path(), &header()).unwrap();
        let err = Journal::resume(dir.path(), "other")
            .unwrap_err()
            .to_string();
        assert!(err.contains("for package 'p', not 'other'"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        assert!(
            Journal::resume(empty.path(), "p")
                .unwrap_err()
                .to_string()
                .contains("no journal")
        );
    }
}
