//! `--record DIR`: every exchange as one JSON line, one file per run, flushed line by line so a
//! crash loses nothing already answered.
//!
//! The first line is `{"record":1,"personal_data":"…"}` ([`PERSONAL_DATA_NOTICE`]); every
//! other line is [`crate::exchange::ExchangeJson`]: raw request and response (text), client
//! certificate subject, PS NameID, HTTP status, CR or fault code, reason, timing. **The file
//! holds personal data** (traits, NIR in the bodies and the reasons): it is evidence for the
//! person running the tests, not something to publish.
//!
//! ```no_run
//! # async fn demo(sim: &insi_sim::embedded::EmbeddedSim) -> Result<(), insi_sim::record::RecordError> {
//! let recorder = insi_sim::record::Recorder::start(std::path::Path::new("records"), sim.exchanges())?;
//! println!("recording to {}", recorder.path().display());
//! // … requests …
//! let lines = recorder.finish().await?;
//! # let _ = lines; Ok(()) }
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Notify;

use crate::exchange::{Exchange, ExchangeLog};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot create the record directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the record file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the recorder task ended abnormally: {0}")]
    Task(String),
}

/// The first line of every record file: the exchanges after it carry personal data.
pub const PERSONAL_DATA_NOTICE: &str = "This file holds personal data (the identity traits, NIR \
     and INS in the requests, answers and reasons): it is test evidence, not something to publish; \
     delete it when no longer needed.";

/// A running recorder: a task writing every exchange of one log to one file.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    stop: Arc<Notify>,
    task: tokio::task::JoinHandle<Result<u64, RecordError>>,
}

impl Recorder {
    /// Creates `dir` if needed and a new file in it, `exchanges-<UTC time>-<pid>.jsonl`, and
    /// records every exchange published from now on. Call on a tokio runtime.
    pub fn start(dir: &Path, log: &ExchangeLog) -> Result<Recorder, RecordError> {
        std::fs::create_dir_all(dir).map_err(|source| RecordError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S%.3fZ");
        let path = dir.join(format!("exchanges-{stamp}-{}.jsonl", std::process::id()));
        let write_err = |source| RecordError::Write {
            path: path.display().to_string(),
            source,
        };
        let file = File::options()
            .create_new(true)
            .write(true)
            .open(&path)
            .map_err(write_err)?;
        let mut out = BufWriter::new(file);
        // The first line says what the file holds, before any exchange is in it.
        let notice = serde_json::json!({ "record": 1, "personal_data": PERSONAL_DATA_NOTICE });
        serde_json::to_writer(&mut out, &notice)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .map_err(write_err)?;
        let mut rx = log.subscribe_lossless();
        let stop = Arc::new(Notify::new());
        let stopped = stop.clone();
        let label = path.display().to_string();
        let task = tokio::spawn(async move {
            let result = record(&mut rx, &stopped, &mut out, &label).await;
            if let Err(e) = &result {
                tracing::error!("{e}; recording stopped");
            }
            result
        });
        Ok(Recorder { path, stop, task })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes what is pending, closes the file and returns the number of lines written.
    pub async fn finish(self) -> Result<u64, RecordError> {
        self.stop.notify_one();
        self.task
            .await
            .map_err(|e| RecordError::Task(e.to_string()))?
    }
}

async fn record(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Arc<Exchange>>,
    stop: &Notify,
    out: &mut BufWriter<File>,
    label: &str,
) -> Result<u64, RecordError> {
    let mut lines = 0u64;
    let mut write = |e: &Exchange| -> Result<(), RecordError> {
        let err = |source| RecordError::Write {
            path: label.to_owned(),
            source,
        };
        serde_json::to_writer(&mut *out, &e.to_json()).map_err(|e| err(e.into()))?;
        // One small write and a flush per exchange: the line is on disk before the next one
        // (a crash loses nothing answered).
        out.write_all(b"\n")
            .and_then(|()| out.flush())
            .map_err(err)?;
        lines += 1;
        Ok(())
    };
    loop {
        tokio::select! {
            next = rx.recv() => match next {
                Some(e) => write(&e)?,
                None => break,
            },
            _ = stop.notified() => {
                while let Ok(e) = rx.try_recv() {
                    write(&e)?;
                }
                break;
            }
        }
    }
    Ok(lines)
}
