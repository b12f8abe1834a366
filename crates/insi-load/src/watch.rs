//! Watching: the live progress line, once per interval.
//!
//! On a terminal the line is redrawn in place (`\r`, erase line); elsewhere (CI logs, pipes)
//! one plain line per interval, so a log shows the whole run.

use std::io::Write;

use crate::config::Stop;
use crate::send::Progress;

/// Writes progress lines to a writer (stderr in the CLI).
#[derive(Debug)]
pub struct Watcher<W: Write> {
    out: W,
    terminal: bool,
    drawn: bool,
}

impl<W: Write> Watcher<W> {
    pub fn new(out: W, terminal: bool) -> Watcher<W> {
        Watcher {
            out,
            terminal,
            drawn: false,
        }
    }

    /// Shows one interval.
    pub fn show(&mut self, p: &Progress) {
        let line = line(p);
        // A closed stderr must not stop the run: progress is a courtesy.
        let _ = if self.terminal {
            write!(self.out, "\r\x1b[2K{line}")
        } else {
            writeln!(self.out, "{line}")
        };
        let _ = self.out.flush();
        self.drawn = true;
    }

    /// Ends the live line before the final table.
    pub fn finish(&mut self) {
        if self.terminal && self.drawn {
            let _ = writeln!(self.out);
        }
    }
}

/// `[  5 s  50 %]  9 812 req/s  p50 1.21 ms  p99 4.80 ms  errors 0 (total 49 060)`.
pub fn line(p: &Progress) -> String {
    let secs = p.elapsed.as_secs_f64();
    let done = match p.stop {
        Stop::Duration(d) if !d.is_zero() => (secs / d.as_secs_f64() * 100.0).min(100.0),
        Stop::Requests(n) if n > 0 => (p.requests as f64 / n as f64 * 100.0).min(100.0),
        _ => 0.0,
    };
    let rate = if p.interval.duration_s > 0.0 {
        p.interval.requests as f64 / p.interval.duration_s
    } else {
        0.0
    };
    format!(
        "[{secs:>5.0} s {done:>3.0} %] {rate:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {} (total {} requests, {} errors)",
        p.interval.p50_ms, p.interval.p99_ms, p.interval.errors, p.requests, p.errors
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Interval;
    use std::time::Duration;

    fn progress() -> Progress {
        Progress {
            elapsed: Duration::from_secs(5),
            interval: Interval {
                offset_s: 4.0,
                duration_s: 1.0,
                requests: 9_812,
                ok: 9_810,
                errors: 2,
                p50_ms: 1.21,
                p99_ms: 4.8,
                histogram: String::new(),
            },
            requests: 49_060,
            ok: 49_050,
            errors: 10,
            stop: Stop::Duration(Duration::from_secs(10)),
        }
    }

    #[test]
    fn plain_lines_off_a_terminal_redraws_on_one() {
        let mut plain = Watcher::new(Vec::new(), false);
        plain.show(&progress());
        plain.show(&progress());
        plain.finish();
        let text = String::from_utf8(plain.out).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(!text.contains('\r'));
        assert!(text.contains("50 %"), "{text}");
        assert!(text.contains("9812 req/s"), "{text}");
        let mut tty = Watcher::new(Vec::new(), true);
        tty.show(&progress());
        tty.finish();
        let text = String::from_utf8(tty.out).unwrap();
        assert!(text.starts_with("\r\x1b[2K"));
        assert!(text.ends_with('\n'));
    }
}
