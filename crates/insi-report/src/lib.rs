//! Reports of a package run, all written from the same [`insi_runner::Run`]: a terminal table
//! ([`terminal`]), JUnit XML ([`junit`]), JSON ([`json`]) and a single-file HTML evidence report
//! ([`html`]) fit to attach to a CNDA acceptance file.
//!
//! Principal items: each module has a `render(&Run) -> String` (pure, so tests compare text) and
//! a `write(&Run, path)`; [`terminal`] renders one case at a time, for live output. Failures to
//! write are [`ReportError`]s naming the file.
//!
//! Data flows: `insi_runner::Runner::run` → [`insi_runner::Run`] → `json::write`,
//! `junit::write`, `html::write` (and the terminal lines as cases finish).
//!
//! ```no_run
//! # fn demo(run: &insi_runner::Run) -> Result<(), insi_report::ReportError> {
//! insi_report::junit::write(run, std::path::Path::new("reports/junit.xml"))?;
//! let text = insi_report::terminal::summary_line(insi_report::terminal::Style::plain(), &run.summary, run.wall_ms);
//! println!("{text}"); // "30 cases: 30 passed, 0 failed — all passed in 0.65 s"
//! # Ok(()) }
//! ```

pub mod html;
pub mod json;
pub mod junit;
pub mod terminal;
mod xml_pretty;

use std::path::{Path, PathBuf};

use insi_runner::CaseResult;

/// A report that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct ReportError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Writes a rendered report.
fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    std::fs::write(path, text).map_err(|source| ReportError {
        path: path.to_path_buf(),
        source,
    })
}

/// Escapes text for XML and HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// `expected X, got Y` lines of a failed case.
pub fn mismatch_lines(result: &CaseResult) -> Vec<String> {
    result
        .mismatches
        .iter()
        .map(|m| format!("{}: expected {}, got {}", m.field, m.expected, m.actual))
        .collect()
}

/// `OLA → 01, CATARINA → 00` — the calls of a case in one line.
pub fn attempts_line(result: &CaseResult) -> String {
    let parts: Vec<String> = result
        .outcome
        .attempts
        .iter()
        .map(|a| {
            let answer =
                a.cr.as_deref()
                    .map(str::to_owned)
                    .or_else(|| a.fault.clone())
                    .unwrap_or_else(|| "no answer".into());
            let lieu = a
                .lieu
                .as_deref()
                .map(|l| format!(" +{l}"))
                .unwrap_or_default();
            format!("{}{lieu} → {answer}", a.prenom.as_deref().unwrap_or("?"))
        })
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_control_characters() {
        assert_eq!(
            escape(r#"<a href="x">D'A & B</a>"#),
            "&lt;a href=&quot;x&quot;&gt;D&#39;A &amp; B&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{1}b\nc"), "a\\u0001b\nc");
    }
}
