//! The terminal face of a run while it runs: one line per case as it finishes (mismatches under
//! a failed one), above a progress bar when stderr is a terminal.

use std::io::IsTerminal;

use insi_report::terminal::{self, Style};
use insi_runner::{CaseResult, Sink, SinkError};

/// Prints each finished case; with `show = false` (JSON output) prints nothing.
#[derive(Debug)]
pub struct CaseLines {
    show: bool,
    no_progress: bool,
    style: Style,
    bar: Option<indicatif::ProgressBar>,
}

impl CaseLines {
    pub fn new(show: bool, no_progress: bool) -> CaseLines {
        CaseLines {
            show,
            no_progress,
            style: Style::detect(),
            bar: None,
        }
    }

    /// Removes the progress bar.
    pub fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Sink for CaseLines {
    fn planned(&mut self, cases: usize) -> Result<(), SinkError> {
        if self.show && !self.no_progress && std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(cases as u64);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed}")
            {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
        Ok(())
    }

    fn case(&mut self, result: &CaseResult) -> Result<(), SinkError> {
        if !self.show {
            return Ok(());
        }
        let lines = terminal::case_lines(self.style, result);
        match &self.bar {
            Some(bar) => {
                bar.println(lines.trim_end());
                bar.inc(1);
                Ok(())
            }
            None => crate::output::out(format_args!("{lines}"))
                .map_err(|e| SinkError::new("terminal", e)),
        }
    }
}
