//! The JSON report: the run header, a summary and every case with its outcome and evidence.

use std::path::Path;

use anyhow::Context;

use super::Run;

pub fn write(run: &Run<'_>, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(run)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
