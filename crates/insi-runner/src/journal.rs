//! The run journal: one JSON line per finished case, appended and synced to disk before the next
//! case is recorded, so a run killed at any moment loses at most the cases in flight, and
//! `--resume` knows exactly what is done. Reports are always written from what the journal holds,
//! which is why a resumed run ends with the same reports as an uninterrupted one.
//!
//! Resume rules: the journal must belong to the same package (else an error naming both); a last
//! line cut short by a kill is dropped and truncated away (its case did not finish being
//! recorded, so it runs again); a case recorded twice counts once (the first record stands).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, Write};
use std::path::{Path, PathBuf};

use crate::result::{CaseResult, Header};
use crate::sink::{Sink, SinkError};

pub const FILE_NAME: &str = "journal.jsonl";

/// Why the journal could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot create the report directory {}: {source}", dir.display())]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error("cannot write the journal {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// A finished case could not be added (disk full, file system gone read-only, …). The file
    /// was cut back to its last whole line: what it held before is intact.
    #[error(
        "cannot add a finished case to the journal {}: {source}; the {recorded} cases recorded \
         before are intact: free space there (or move the report directory elsewhere), then run \
         the same command with --resume to run only the others",
        path.display()
    )]
    Append {
        path: PathBuf,
        recorded: usize,
        source: io::Error,
    },
    #[error("cannot read the journal {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("--resume: no journal at {} (run once without --resume)", path.display())]
    Missing { path: PathBuf },
    #[error("--resume: the journal {} is empty", path.display())]
    Empty { path: PathBuf },
    #[error("the journal {}'s first line is not a journal header: {source}", path.display())]
    NotAHeader {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "--resume: the journal in {} is for package '{found}', not '{wanted}'; choose another \
         --report-dir or run without --resume",
        dir.display()
    )]
    OtherPackage {
        dir: PathBuf,
        found: String,
        wanted: String,
    },
    #[error("journal line {line} of {} is damaged: {source}", path.display())]
    Damaged {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
}

/// An open journal, positioned for appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    /// Bytes of whole lines written: where a failed append is cut back to.
    len: u64,
    /// Cases recorded (the header excluded), for the error that says what is safe.
    recorded: usize,
}

/// What an existing journal holds.
#[derive(Debug)]
pub struct Previous {
    pub header: Header,
    pub results: Vec<CaseResult>,
}

impl Journal {
    /// Starts a new journal in `dir`, replacing any previous one, and writes the header.
    pub fn create(dir: &Path, header: &Header) -> Result<Journal, JournalError> {
        std::fs::create_dir_all(dir).map_err(|source| JournalError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
        let file = File::create(&path).map_err(|source| JournalError::Write {
            path: path.clone(),
            source,
        })?;
        let mut journal = Journal {
            file,
            path,
            len: 0,
            recorded: 0,
        };
        journal
            .append(header)
            .map_err(|(path, source)| JournalError::Write { path, source })?;
        Ok(journal)
    }

    /// Reopens the journal of `dir` for `--resume` (rules in the module doc).
    pub fn resume(dir: &Path, package: &str) -> Result<(Journal, Previous), JournalError> {
        let path = dir.join(FILE_NAME);
        let read_error = |source| JournalError::Read {
            path: path.clone(),
            source,
        };
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(JournalError::Missing { path });
            }
            Err(e) => return Err(read_error(e)),
        };
        let mut lines = Vec::new();
        let mut good_bytes = 0u64;
        let mut reader = BufReader::new(file);
        loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).map_err(read_error)?;
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            good_bytes += n as u64;
            lines.push(line);
        }
        let mut lines = lines.into_iter();
        let Some(first) = lines.next() else {
            return Err(JournalError::Empty { path });
        };
        let header: Header =
            serde_json::from_str(&first).map_err(|source| JournalError::NotAHeader {
                path: path.clone(),
                source,
            })?;
        if header.package != package {
            return Err(JournalError::OtherPackage {
                dir: dir.to_path_buf(),
                found: header.package,
                wanted: package.to_owned(),
            });
        }
        let mut results = Vec::new();
        let mut seen = HashSet::new();
        for (i, line) in lines.enumerate() {
            let result: CaseResult =
                serde_json::from_str(&line).map_err(|source| JournalError::Damaged {
                    path: path.clone(),
                    line: i + 2,
                    source,
                })?;
            if seen.insert(result.id.clone()) {
                results.push(result);
            }
        }
        let write_error = |source| JournalError::Write {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(write_error)?;
        file.set_len(good_bytes).map_err(write_error)?;
        file.seek(io::SeekFrom::End(0)).map_err(write_error)?;
        let recorded = results.len();
        Ok((
            Journal {
                file,
                path,
                len: good_bytes,
                recorded,
            },
            Previous { header, results },
        ))
    }

    /// Appends one finished case and waits until it is on disk.
    pub fn record(&mut self, result: &CaseResult) -> Result<(), JournalError> {
        self.append(result)
            .map_err(|(path, source)| JournalError::Append {
                path,
                recorded: self.recorded,
                source,
            })?;
        self.recorded += 1;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line and syncs it; on failure, cuts the file back to its last whole line (a
    /// torn line would be dropped by `--resume` anyway, but a clean file is one less surprise).
    fn append(&mut self, value: &impl serde::Serialize) -> Result<(), (PathBuf, io::Error)> {
        let mut bytes =
            serde_json::to_vec(value).map_err(|e| (self.path.clone(), io::Error::other(e)))?;
        bytes.push(b'\n');
        match self
            .file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
        {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(source) => {
                // Best effort: truncating frees space, so it works on a full disk too.
                let _ = self.file.set_len(self.len);
                let _ = self.file.seek(io::SeekFrom::Start(self.len));
                Err((self.path.clone(), source))
            }
        }
    }
}

impl Sink for Journal {
    fn case(&mut self, result: &CaseResult) -> Result<(), SinkError> {
        self.record(result)
            .map_err(|e| SinkError::new("journal", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use crate::result::Status;

    fn header() -> Header {
        Header::new("p", "1", "sim", "2026-11-26T12:00:00Z".into())
    }

    fn result(id: &str) -> CaseResult {
        CaseResult {
            id: id.into(),
            title: "t".into(),
            status: Status::Pass,
            reason: None,
            mismatches: vec![],
            outcome: Outcome::default(),
            ms: 1.5,
        }
    }

    fn ids(previous: &Previous) -> Vec<&str> {
        previous.results.iter().map(|r| r.id.as_str()).collect()
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
        assert_eq!(ids(&previous), ["a", "b"]);
        j.record(&result("c")).unwrap();
        drop(j);
        let (_, previous) = Journal::resume(dir.path(), "p").unwrap();
        assert_eq!(ids(&previous), ["a", "b", "c"]);
    }

    #[test]
    fn a_case_recorded_twice_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), &header()).unwrap();
        j.record(&result("a")).unwrap();
        let mut again = result("a");
        again.status = Status::Fail;
        j.record(&again).unwrap();
        drop(j);
        let (_, previous) = Journal::resume(dir.path(), "p").unwrap();
        assert_eq!(ids(&previous), ["a"]);
        assert_eq!(previous.results[0].status, Status::Pass);
    }

    #[test]
    fn resume_refuses_another_package_and_a_missing_or_damaged_journal() {
        let dir = tempfile::tempdir().unwrap();
        Journal::create(dir.path(), &header()).unwrap();
        let err = Journal::resume(dir.path(), "other")
            .unwrap_err()
            .to_string();
        assert!(err.contains("for package 'p', not 'other'"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        let err = Journal::resume(empty.path(), "p").unwrap_err().to_string();
        assert!(err.contains("no journal"), "{err}");
        std::fs::write(
            dir.path().join(FILE_NAME),
            format!("{}\nnot json\n", serde_json::to_string(&header()).unwrap()),
        )
        .unwrap();
        let err = Journal::resume(dir.path(), "p").unwrap_err().to_string();
        assert!(err.contains("journal line 2"), "{err}");
    }
}
