//! JUnit XML: one testsuite for the package, one testcase per case; a failure lists each
//! expectation with what was observed instead, so CI systems show it without opening anything.

use std::fmt::Write as _;
use std::path::Path;

use insi_runner::{Run, Status};

use super::{ReportError, attempts_line, escape, mismatch_lines};

pub fn render(run: &Run) -> String {
    let name = escape(&run.header.package);
    let seconds = |ms: f64| format!("{:.3}", ms / 1000.0);
    let total_ms: f64 = run.cases.iter().map(|c| c.ms).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // A header read back from a journal is not ours to trust: `--` would end the comment.
    let _ = writeln!(
        out,
        "<!-- {} -->",
        run.header.personal_data.replace("--", "- -")
    );
    let _ = writeln!(
        out,
        "<testsuites name=\"insi-bench\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">",
        run.summary.total,
        run.summary.failed,
        seconds(total_ms)
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        run.summary.total,
        run.summary.failed,
        run.summary.skipped,
        seconds(total_ms),
        escape(&run.header.started)
    );
    let _ = writeln!(
        out,
        "    <properties><property name=\"target\" value=\"{}\"/><property name=\"package.version\" value=\"{}\"/></properties>",
        escape(&run.header.target),
        escape(&run.header.package_version)
    );
    for case in &run.cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{name}\" name=\"{}: {}\" time=\"{}\"",
            escape(&case.id),
            escape(&case.title),
            seconds(case.ms)
        );
        let attempts = attempts_line(case);
        if case.status == Status::Pass && attempts.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        match (case.status, &case.reason) {
            (Status::Skip, reason) => {
                let _ = writeln!(
                    out,
                    "      <skipped message=\"{}\"/>",
                    escape(reason.as_deref().unwrap_or("skip"))
                );
            }
            (Status::Xfail, reason) => {
                let _ = writeln!(
                    out,
                    "      <system-out>known failure (xfail: {}): {}</system-out>",
                    escape(reason.as_deref().unwrap_or("")),
                    escape(&mismatch_lines(case).join("; "))
                );
            }
            (Status::Xpass, reason) => {
                let _ = writeln!(
                    out,
                    "      <system-out>marked xfail ({}) but passed: remove the mark</system-out>",
                    escape(reason.as_deref().unwrap_or(""))
                );
            }
            _ => {}
        }
        if case.status == Status::Fail {
            let lines = mismatch_lines(case);
            let _ = writeln!(
                out,
                "      <failure type=\"expectation\" message=\"{} expectation(s) not met\">{}</failure>",
                lines.len(),
                escape(&lines.join("\n"))
            );
        }
        if !attempts.is_empty() {
            let _ = writeln!(
                out,
                "      <system-out>calls: {}</system-out>",
                escape(&attempts)
            );
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

pub fn write(run: &Run, path: &Path) -> Result<(), ReportError> {
    crate::write_file(path, &render(run))
}
