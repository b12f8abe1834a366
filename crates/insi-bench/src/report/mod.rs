//! Reports of a package run, all written from the same journal entries: a terminal table
//! ([`terminal`]), JUnit XML ([`junit`]), JSON ([`json`]) and a single-file HTML evidence report
//! ([`html`]) fit to attach to a CNDA acceptance file.

pub mod html;
pub mod json;
pub mod junit;
pub mod terminal;
mod xml_pretty;

use serde::Serialize;

use crate::runner::journal::{CaseResult, Header, Status};

/// A whole run, as the reports see it.
#[derive(Debug, Serialize)]
pub struct Run<'a> {
    #[serde(flatten)]
    pub header: &'a Header,
    pub finished: String,
    /// Wall time of this invocation (a resumed run counts only its own part).
    pub wall_ms: f64,
    pub summary: Summary,
    pub cases: &'a [CaseResult],
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
}

impl Summary {
    pub fn of(results: &[CaseResult]) -> Summary {
        let passed = results.iter().filter(|r| r.status == Status::Pass).count();
        Summary {
            total: results.len(),
            passed,
            failed: results.len() - passed,
        }
    }
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
