//! Printing: the final table of a run (or of a merge), for people.

use std::fmt::Write as _;

use crate::config::Stop;
use crate::report::LoadReport;

/// The summary table.
pub fn table(r: &LoadReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let model = match c.rate {
        Some(rate) => format!("open model, {rate} req/s intended (latency from intended send)"),
        None => "closed model".into(),
    };
    let stop = match c.stop {
        Stop::Duration(d) => format!("{} s", d.as_secs_f64()),
        Stop::Requests(n) => format!("{n} requests"),
    };
    let _ = writeln!(
        s,
        "insi-bench load — {}{}",
        c.target,
        r.label
            .as_deref()
            .map(|l| format!(" [{l}]"))
            .unwrap_or_default()
    );
    let auth = match c.auth {
        crate::config::Auth::Mtls => "mTLS",
        crate::config::Auth::Cpx => "CPx",
    };
    let _ = writeln!(
        s,
        "  {} workers, {}, {}, {auth}, {}",
        c.concurrency,
        model,
        stop,
        if c.http2 {
            "HTTP/2"
        } else {
            "HTTP/1.1 keep-alive"
        },
    );
    let _ = writeln!(
        s,
        "  mix {}, population {} (seed {}), draws seed {}, slice {}",
        c.mix, c.population, c.seed, c.draw_seed, c.slice
    );
    if !r.sources.is_empty() {
        let _ = writeln!(s, "  merged from {} runs", r.sources.len());
    }
    let _ = writeln!(s);
    let t = &r.throughput;
    let _ = writeln!(
        s,
        "  requests      {:>10}   in {:.2} s ({} HTTP calls; warm-up {} not counted)",
        r.requests, r.duration_s, r.calls, r.warmup_requests
    );
    let _ = writeln!(
        s,
        "  throughput    {:>10.0} req/s  ({:.0} right answers/s, {:.0} calls/s)",
        t.requests_per_s, t.ok_per_s, t.calls_per_s
    );
    let l = &r.latency_ms;
    let _ = writeln!(s, "  latency (ms, right answers only)");
    let _ = writeln!(
        s,
        "    p50 {:>8.3}   p90 {:>8.3}   p99 {:>8.3}   p99.9 {:>8.3}   max {:>8.3}   mean {:>8.3}",
        l.p50, l.p90, l.p99, l.p999, l.max, l.mean
    );
    let _ = writeln!(s, "  outcomes");
    for (class, n) in &r.classes {
        let share = if r.requests > 0 {
            *n as f64 * 100.0 / r.requests as f64
        } else {
            0.0
        };
        let _ = writeln!(s, "    {class:<22} {n:>10}  {share:>6.2} %");
    }
    if !r.mismatches.is_empty() {
        let _ = writeln!(s, "  first wrong answers");
        for m in &r.mismatches {
            let _ = writeln!(s, "    {m}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_counts_percentiles_and_classes() {
        let r = crate::report::tests::report(0, &[1_000, 2_000, 3_000], 1);
        let text = table(&r);
        assert!(text.contains("requests               4"), "{text}");
        assert!(text.contains("wrong-answer"));
        assert!(text.contains("p99"));
        assert!(text.contains("closed model"));
    }
}
