//! The single-file HTML evidence report: a summary, then per case its expectations' verdict and
//! every call with its pretty-printed request and response. No scripts, no external resources:
//! it opens anywhere and can be attached to a CNDA acceptance file as it is.

use std::fmt::Write as _;
use std::path::Path;

use insi_runner::{CaseResult, Run, Status};

use super::xml_pretty::pretty;
use super::{ReportError, attempts_line, escape};

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#1d232a;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin:0}
.meta{color:#5a6470}.meta td{padding:0 1.5em 0 0}
.summary{display:flex;gap:1em;margin:1em 0}.summary div{padding:.6em 1em;border-radius:6px;background:#f1f3f5}
.pass{color:#146c2e}.fail{color:#b3261e}.badge{font-weight:700;font-family:monospace}
table.cases{border-collapse:collapse;width:100%}table.cases td,table.cases th{text-align:left;padding:.3em .6em;border-bottom:1px solid #e3e6ea}
details{border:1px solid #e3e6ea;border-radius:6px;margin:.8em 0;padding:.4em .8em}
details.fail{border-color:#e8a29c}summary{cursor:pointer}
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:12px;max-height:40em}
.mismatch td{padding:.1em .8em .1em 0}
.notice{background:#fff4e5;border:1px solid #f0b96b;border-radius:6px;padding:.5em .8em;margin:0 0 1em}
";

pub fn render(run: &Run) -> String {
    let mut out = String::with_capacity(64 * 1024 + run.cases.len() * 8 * 1024);
    let title = format!("insi-bench — {}", run.header.package);
    // Said twice: in a comment at the very top for whoever opens the file as text, and as a
    // banner above the title for whoever opens it in a browser.
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<!-- {} -->",
        run.header.personal_data.replace("--", "- -")
    );
    let _ = writeln!(
        out,
        "<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<p class=\"notice\"><strong>Personal data.</strong> {}</p>",
        escape(&run.header.personal_data)
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&title));
    let _ = writeln!(
        out,
        "<table class=\"meta\"><tr><td>package</td><td>{} {}</td></tr><tr><td>target</td><td>{}</td></tr>\
         <tr><td>started</td><td>{}</td></tr><tr><td>finished</td><td>{}</td></tr></table>",
        escape(&run.header.package),
        escape(&run.header.package_version),
        escape(&run.header.target),
        escape(&run.header.started),
        escape(&run.finished)
    );
    let _ = writeln!(
        out,
        "<div class=\"summary\"><div>{} cases</div><div class=\"pass\">{} passed</div><div class=\"fail\">{} failed</div></div>",
        run.summary.total, run.summary.passed, run.summary.failed
    );
    for (count, label) in [
        (run.summary.skipped, "skipped"),
        (run.summary.xfailed, "known failures (xfail)"),
        (run.summary.xpassed, "xfail marks that passed: remove them"),
    ] {
        if count > 0 {
            let _ = writeln!(
                out,
                "<div class=\"summary\"><div>{count} {label}</div></div>"
            );
        }
    }
    out.push_str("<table class=\"cases\"><tr><th>case</th><th>title</th><th>result</th><th>calls</th><th>ms</th></tr>\n");
    for case in &run.cases {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
            escape(&case.title),
            badge(case),
            escape(&calls_cell(case)),
            case.ms,
            id = escape(&case.id),
        );
    }
    out.push_str("</table>\n");
    for case in &run.cases {
        case_section(&mut out, case);
    }
    out.push_str("</body></html>\n");
    out
}

/// The calls of a case, or what happened instead (a refusal sends nothing).
fn calls_cell(case: &CaseResult) -> String {
    if case.outcome.attempts.is_empty() {
        case.outcome.summary()
    } else {
        attempts_line(case)
    }
}

fn badge(case: &CaseResult) -> &'static str {
    match case.status {
        Status::Pass => "<span class=\"badge pass\">PASS</span>",
        Status::Fail => "<span class=\"badge fail\">FAIL</span>",
        Status::Skip => "<span class=\"badge\">SKIP</span>",
        Status::Xfail => "<span class=\"badge\">XFAIL</span>",
        Status::Xpass => "<span class=\"badge fail\">XPASS</span>",
    }
}

fn case_section(out: &mut String, case: &CaseResult) {
    let class = if case.status == Status::Fail {
        " class=\"fail\" open"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<details id=\"{}\"{class}><summary><h2 style=\"display:inline\">{} {} — {}</h2></summary>",
        escape(&case.id),
        badge(case),
        escape(&case.id),
        escape(&case.title)
    );
    let _ = writeln!(out, "<p>Outcome: {}</p>", escape(&case.outcome.summary()));
    if let Some(reason) = &case.reason {
        let _ = writeln!(
            out,
            "<p>Marked {}: {}</p>",
            case.status.as_str(),
            escape(reason)
        );
    }
    if let Some(refusal) = &case.outcome.refused {
        let _ = writeln!(
            out,
            "<p>Refused before sending: {}</p>",
            escape(&refusal.message)
        );
    }
    if !case.mismatches.is_empty() {
        out.push_str("<table class=\"mismatch\"><tr><th>expectation</th><th>expected</th><th>observed</th></tr>");
        for m in &case.mismatches {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"fail\">{}</td></tr>",
                escape(&m.field),
                escape(&m.expected),
                escape(&m.actual)
            );
        }
        out.push_str("</table>\n");
    }
    if !case.outcome.warnings.is_empty() {
        out.push_str("<p>Warnings:</p><ul>");
        for w in &case.outcome.warnings {
            let _ = write!(out, "<li>{}</li>", escape(w));
        }
        out.push_str("</ul>\n");
    }
    for (i, a) in case.outcome.attempts.iter().enumerate() {
        let answer =
            a.cr.as_deref()
                .map(|c| format!("CR {c}"))
                .or_else(|| a.fault.clone().map(|f| format!("fault {f}")));
        let _ = writeln!(
            out,
            "<h3>Call {} — prénom {}{} — HTTP {} — {} — {:.1} ms</h3>",
            i + 1,
            escape(a.prenom.as_deref().unwrap_or("?")),
            a.lieu
                .as_deref()
                .map(|l| format!(", lieu {}", escape(l)))
                .unwrap_or_default(),
            a.http_status
                .map_or_else(|| "—".to_owned(), |s| s.to_string()),
            escape(answer.as_deref().unwrap_or("no answer")),
            a.ms
        );
        for (label, body) in [("Request", &a.request), ("Response", &a.response)] {
            if let Some(body) = body {
                let _ = writeln!(out, "<p>{label}</p><pre>{}</pre>", escape(&pretty(body)));
            }
        }
    }
    out.push_str("</details>\n");
}

pub fn write(run: &Run, path: &Path) -> Result<(), ReportError> {
    crate::write_file(path, &render(run))
}
