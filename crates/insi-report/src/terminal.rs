//! The terminal face of a run: one line per case as it finishes, the mismatches of failed cases
//! under their line, and a summary. Colours only on a terminal, and never with `NO_COLOR` set.

use std::io::IsTerminal;

use insi_runner::{CaseResult, Status, Summary};

use super::mismatch_lines;

#[derive(Clone, Copy, Debug)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// Colours when stdout is a terminal and `NO_COLOR` is unset or empty (no-color.org).
    pub fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            colour: std::io::stdout().is_terminal() && !no_color,
        }
    }

    /// No colours (files, tests).
    pub fn plain() -> Style {
        Style { colour: false }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// The line printed when a case finishes (and its mismatches, indented).
pub fn case_lines(style: Style, result: &CaseResult) -> String {
    let status = match result.status {
        Status::Pass => style.paint("32", "PASS"),
        Status::Fail => style.paint("1;31", "FAIL"),
        Status::Skip => style.paint("33", "SKIP"),
        Status::Xfail => style.paint("33", "XFAIL"),
        Status::Xpass => style.paint("1;33", "XPASS"),
    };
    let calls = result.outcome.calls();
    let mut out = format!(
        "{status}  {:<26} {:<58} {:>2} call{} {:>8.1} ms\n",
        result.id,
        truncate(&result.title, 58),
        calls,
        if calls == 1 { " " } else { "s" },
        result.ms
    );
    if let Some(reason) = &result.reason {
        let note = match result.status {
            Status::Xpass => format!("marked xfail ({reason}) but passed: remove the mark"),
            status => format!("{}: {reason}", status.as_str()),
        };
        out.push_str(&format!("      {}\n", style.paint("33", &note)));
    }
    // A known failure keeps its mismatches visible, dimmed, so the reader sees what is known.
    let colour = if result.status == Status::Fail {
        "31"
    } else {
        "2"
    };
    for line in mismatch_lines(result) {
        out.push_str(&format!("      {}\n", style.paint(colour, &line)));
    }
    out
}

/// The closing line.
pub fn summary_line(style: Style, summary: &Summary, wall_ms: f64) -> String {
    let verdict = if summary.failed == 0 {
        style.paint("1;32", "all passed")
    } else {
        style.paint("1;31", &format!("{} failed", summary.failed))
    };
    let mut extra = String::new();
    for (n, what) in [
        (summary.skipped, "skipped"),
        (summary.xfailed, "xfail"),
        (summary.xpassed, "xpass"),
    ] {
        if n > 0 {
            extra.push_str(&format!(", {n} {what}"));
        }
    }
    format!(
        "{} cases: {} passed, {} failed{extra} — {verdict} in {:.2} s",
        summary.total,
        summary.passed,
        summary.failed,
        wall_ms / 1000.0
    )
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use insi_runner::{Mismatch, Outcome};

    #[test]
    fn plain_lines_without_colour() {
        let style = Style { colour: false };
        let result = CaseResult {
            id: "2.07-cas1".into(),
            title: "First-name loop".into(),
            status: Status::Fail,
            reason: None,
            mismatches: vec![Mismatch {
                field: "cr".into(),
                expected: "00".into(),
                actual: "01".into(),
            }],
            outcome: Outcome::default(),
            ms: 3.25,
        };
        let text = case_lines(style, &result);
        assert!(text.starts_with("FAIL  2.07-cas1 "), "{text}");
        assert!(
            text.contains(" 0 calls      3.2 ms\n") || text.contains(" 0 calls      3.3 ms\n"),
            "{text}"
        );
        assert!(text.ends_with("      cr: expected 00, got 01\n"), "{text}");
        assert!(!text.contains('\x1b'));
        let s = summary_line(
            style,
            &Summary {
                total: 2,
                passed: 1,
                failed: 1,
                ..Summary::default()
            },
            1234.0,
        );
        assert_eq!(s, "2 cases: 1 passed, 1 failed — 1 failed in 1.23 s");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
