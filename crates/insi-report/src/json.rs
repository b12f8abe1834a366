//! The JSON report: the run header, a summary and every case with its outcome and evidence.

use std::path::Path;

use insi_runner::Run;

use crate::ReportError;

pub fn render(run: &Run) -> String {
    // A Run is plain data (strings, numbers, vectors): serialising it cannot fail.
    serde_json::to_string_pretty(run).unwrap_or_default()
}

pub fn write(run: &Run, path: &Path) -> Result<(), ReportError> {
    crate::write_file(path, &render(run))
}
