//! Where results go as the run makes them. The runner calls [`Sink::begin`] once, [`Sink::case`]
//! as each case finishes (in completion order), and [`Sink::finish`] with the whole [`Run`]. The
//! journal, the terminal table, the progress bar and the history are sinks; the model is
//! ripgrep's `grep-searcher` → `Sink` ← `grep-printer`.

use std::fmt;

use crate::result::{CaseResult, Header, Run};

/// A sink that could not take a result. A sink error stops the run: a journal that cannot be
/// written must not let cases run unrecorded.
#[derive(Debug)]
pub struct SinkError {
    /// Which sink, for the message (`journal`, `history`, …).
    pub sink: &'static str,
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl SinkError {
    pub fn new(
        sink: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> SinkError {
        SinkError {
            sink,
            source: source.into(),
        }
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.sink, self.source)
    }
}

impl std::error::Error for SinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// Receives a run's results as they are made. Every method has a default that does nothing, so a
/// sink implements only what it needs.
pub trait Sink {
    /// Before the first case (after `--resume` has read the journal).
    fn begin(&mut self, _header: &Header) -> Result<(), SinkError> {
        Ok(())
    }
    /// How many cases this invocation will run (after `--resume` dropped the recorded ones):
    /// called once, right after `begin`.
    fn planned(&mut self, _cases: usize) -> Result<(), SinkError> {
        Ok(())
    }
    /// A case has finished (or was skipped).
    fn case(&mut self, _result: &CaseResult) -> Result<(), SinkError> {
        Ok(())
    }
    /// The run is over; `run` holds every recorded case in package order.
    fn finish(&mut self, _run: &Run) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Drops everything.
#[derive(Debug, Default)]
pub struct NoSink;

impl Sink for NoSink {}

/// Keeps every case result in memory, in completion order: for tests and library users.
#[derive(Debug, Default)]
pub struct Collect {
    pub header: Option<Header>,
    pub cases: Vec<CaseResult>,
    pub finished: bool,
}

impl Sink for Collect {
    fn begin(&mut self, header: &Header) -> Result<(), SinkError> {
        self.header = Some(header.clone());
        Ok(())
    }
    fn case(&mut self, result: &CaseResult) -> Result<(), SinkError> {
        self.cases.push(result.clone());
        Ok(())
    }
    fn finish(&mut self, _run: &Run) -> Result<(), SinkError> {
        self.finished = true;
        Ok(())
    }
}

/// Several sinks, fed in order; the first error stops the feeding.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Sink>);

impl fmt::Debug for Fanout<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fanout({} sinks)", self.0.len())
    }
}

impl Sink for Fanout<'_> {
    fn begin(&mut self, header: &Header) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.begin(header))
    }
    fn planned(&mut self, cases: usize) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.planned(cases))
    }
    fn case(&mut self, result: &CaseResult) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.case(result))
    }
    fn finish(&mut self, run: &Run) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.finish(run))
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn begin(&mut self, header: &Header) -> Result<(), SinkError> {
        (**self).begin(header)
    }
    fn planned(&mut self, cases: usize) -> Result<(), SinkError> {
        (**self).planned(cases)
    }
    fn case(&mut self, result: &CaseResult) -> Result<(), SinkError> {
        (**self).case(result)
    }
    fn finish(&mut self, run: &Run) -> Result<(), SinkError> {
        (**self).finish(run)
    }
}
