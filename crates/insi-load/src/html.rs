//! `--html FILE`: a single-file report (no script, no network, inline SVG) with the summary,
//! throughput and p50/p99 over time, the latency percentile curve (HdrHistogram style: the
//! x axis is `1/(1−q)` on a log scale, so p99, p99.9 and p99.99 get equal room) and the
//! requests per outcome class.

use std::fmt::Write as _;

use crate::print;
use crate::report::{LoadReport, ReportError};

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 40.0;

/// One line of a chart.
struct Series<'a> {
    name: &'a str,
    color: &'a str,
    points: Vec<(f64, f64)>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" upper bound and step for an axis from 0 to `max`.
fn nice(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 0.25);
    }
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

fn fmt_num(v: f64) -> String {
    if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A line chart; `x_ticks` gives (value, label) pairs for the x axis.
fn line_chart(
    title: &str,
    y_label: &str,
    series: &[Series<'_>],
    x_range: (f64, f64),
    x_ticks: &[(f64, String)],
) -> String {
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    let (y_top, y_step) = nice(y_max);
    let (x0, x1) = x_range;
    let span = if x1 > x0 { x1 - x0 } else { 1.0 };
    let px = |x: f64| LEFT + (x - x0) / span * (W - LEFT - RIGHT);
    let py = |y: f64| H - BOTTOM - y / y_top * (H - TOP - BOTTOM);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><text x="{LEFT}" y="18" class="title">{t}</text>"##,
        t = esc(title)
    );
    let mut y = 0.0;
    while y <= y_top + y_step / 2.0 {
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" class="tick" text-anchor="end">{label}</text>"##,
            x2 = W - RIGHT,
            yy = py(y),
            tx = LEFT - 6.0,
            ty = py(y) + 4.0,
            label = fmt_num(y)
        );
        y += y_step;
    }
    for (x, label) in x_ticks {
        // The last label would run past the right edge: end it at its tick.
        let anchor = if px(*x) > W - RIGHT - 30.0 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{y1}" y2="{y2}" class="grid"/><text x="{xx:.1}" y="{ty}" class="tick" text-anchor="{anchor}">{l}</text>"##,
            xx = px(*x),
            y1 = TOP,
            y2 = H - BOTTOM,
            ty = H - BOTTOM + 16.0,
            l = esc(label)
        );
    }
    let _ = write!(
        s,
        r##"<text x="14" y="{cy}" class="axis" transform="rotate(-90 14 {cy})" text-anchor="middle">{yl}</text>"##,
        cy = (TOP + H - BOTTOM) / 2.0,
        yl = esc(y_label)
    );
    for (i, series) in series.iter().enumerate() {
        let path: Vec<String> = series
            .points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y)))
            .collect();
        if !path.is_empty() {
            let _ = write!(
                s,
                r##"<polyline fill="none" stroke="{c}" stroke-width="2" points="{p}"/>"##,
                c = series.color,
                p = path.join(" ")
            );
        }
        let lx = LEFT + 10.0 + 150.0 * i as f64;
        let _ = write!(
            s,
            r##"<rect x="{lx}" y="{ly}" width="12" height="4" fill="{c}"/><text x="{tx}" y="{ty}" class="tick">{n}</text>"##,
            ly = H - 12.0,
            c = series.color,
            tx = lx + 16.0,
            ty = H - 8.0,
            n = esc(series.name)
        );
    }
    s.push_str("</svg>");
    s
}

fn time_ticks(end: f64) -> Vec<(f64, String)> {
    let (top, step) = nice(end.max(1.0));
    let mut ticks = Vec::new();
    let mut t = 0.0;
    while t <= top + step / 2.0 {
        if t <= end + step / 2.0 {
            ticks.push((t, format!("{t:.0} s")));
        }
        t += step;
    }
    ticks
}

fn bars(r: &LoadReport) -> String {
    let rows = r.classes.len().max(1);
    let height = TOP + 24.0 * rows as f64 + 16.0;
    let max = r.classes.values().copied().max().unwrap_or(1).max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img" aria-label="Requests per outcome"><text x="{LEFT}" y="18" class="title">Requests per outcome (log scale)</text>"##
    );
    for (i, (class, n)) in r.classes.iter().enumerate() {
        let y = TOP + 24.0 * i as f64;
        // Log scale, so that a handful of errors is visible next to a million right answers.
        let width = ((*n as f64 + 1.0).ln() / (max + 1.0).ln()) * (W - 260.0);
        let color = if class == "ok" { "#2f8f4e" } else { "#c0392b" };
        let _ = write!(
            s,
            r##"<text x="150" y="{ty}" class="tick" text-anchor="end">{c}</text><rect x="158" y="{y}" width="{width:.1}" height="16" fill="{color}"/><text x="{nx:.1}" y="{ty}" class="tick">{n}</text>"##,
            ty = y + 12.0,
            c = esc(class),
            nx = 164.0 + width
        );
    }
    s.push_str("</svg>");
    s
}

/// The HTML page of a report.
pub fn page(r: &LoadReport) -> Result<String, ReportError> {
    let end = r
        .intervals
        .iter()
        .map(|i| i.offset_s + i.duration_s)
        .fold(0.0f64, f64::max);
    let rate = |req: u64, d: f64| if d > 0.0 { req as f64 / d } else { 0.0 };
    let throughput = line_chart(
        "Throughput over time",
        "requests / s",
        &[
            Series {
                name: "all requests",
                color: "#1f6fb2",
                points: r
                    .intervals
                    .iter()
                    .map(|i| (i.offset_s + i.duration_s, rate(i.requests, i.duration_s)))
                    .collect(),
            },
            Series {
                name: "errors",
                color: "#c0392b",
                points: r
                    .intervals
                    .iter()
                    .map(|i| (i.offset_s + i.duration_s, rate(i.errors, i.duration_s)))
                    .collect(),
            },
        ],
        (0.0, end.max(1.0)),
        &time_ticks(end),
    );
    let latency = line_chart(
        "Latency over time (right answers)",
        "ms",
        &[
            Series {
                name: "p50",
                color: "#1f6fb2",
                points: r
                    .intervals
                    .iter()
                    .filter(|i| i.ok > 0)
                    .map(|i| (i.offset_s + i.duration_s, i.p50_ms))
                    .collect(),
            },
            Series {
                name: "p99",
                color: "#e67e22",
                points: r
                    .intervals
                    .iter()
                    .filter(|i| i.ok > 0)
                    .map(|i| (i.offset_s + i.duration_s, i.p99_ms))
                    .collect(),
            },
        ],
        (0.0, end.max(1.0)),
        &time_ticks(end),
    );
    let h = r.latency_histogram()?;
    // x = log10(1/(1−q)): 0 at p0, 1 at p90, 2 at p99, … 5 at p99.999.
    let points: Vec<(f64, f64)> = if h.is_empty() {
        Vec::new()
    } else {
        (0..=100)
            .map(|i| {
                let x = f64::from(i) / 20.0;
                let q = 1.0 - 10f64.powf(-x);
                (x, h.value_at_quantile(q) as f64 / 1000.0)
            })
            .collect()
    };
    let curve = line_chart(
        "Latency by percentile (right answers)",
        "ms",
        &[Series {
            name: "latency",
            color: "#8e44ad",
            points,
        }],
        (0.0, 5.0),
        &[
            (0.0, "0 %".into()),
            (1.0, "90 %".into()),
            (2.0, "99 %".into()),
            (3.0, "99.9 %".into()),
            (4.0, "99.99 %".into()),
            (5.0, "99.999 %".into()),
        ],
    );
    let title = format!(
        "insi-bench load — {}{}",
        r.config.target,
        r.label
            .as_deref()
            .map(|l| format!(" [{l}]"))
            .unwrap_or_default()
    );
    let wrong = r.wrong_answers();
    let verdict = if wrong == 0 {
        r#"<p class="ok">No wrong answer: every answer was decoded and matched the population.</p>"#
            .to_owned()
    } else {
        format!(r#"<p class="bad">{wrong} wrong answers (failures, not latency samples).</p>"#)
    };
    Ok(format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 780px; }}
h1 {{ font-size: 20px; }} pre {{ background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12px; }}
svg {{ display: block; margin: 16px 0; background: #fff; border: 1px solid #ddd; }}
svg .title {{ font: bold 13px system-ui, sans-serif; }} svg .tick {{ font: 11px system-ui, sans-serif; fill: #444; }}
svg .axis {{ font: 11px system-ui, sans-serif; fill: #444; }} svg .grid {{ stroke: #eee; }}
.ok {{ color: #2f8f4e; }} .bad {{ color: #c0392b; font-weight: bold; }}
</style></head><body>
<h1>{t}</h1>
<p>{started} → {finished} · insi-bench {version} · result format {format}</p>
{verdict}
<pre>{table}</pre>
{throughput}
{latency}
{curve}
{bars}
</body></html>
"#,
        t = esc(&title),
        started = r.started,
        finished = r.finished,
        version = esc(&r.tool.version),
        format = r.format,
        table = esc(&print::table(r)),
        bars = bars(r),
    ))
}

/// Writes the page.
pub fn write(r: &LoadReport, path: &std::path::Path) -> Result<(), ReportError> {
    let text = page(r)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| ReportError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_is_self_contained_with_four_charts() {
        let mut r = crate::report::tests::report(0, &[1_000, 2_000, 90_000], 2);
        r.label = Some("<b>x</b>".into());
        let html = page(&r).unwrap();
        assert_eq!(html.matches("<svg").count(), 4);
        assert!(!html.contains("<script"));
        // Nothing to fetch: no link, no source, no URL but the SVG namespace.
        assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("https://"));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(html.contains("2 wrong answers"));
        assert_eq!(nice(0.0), (1.0, 0.25));
        assert_eq!(nice(9_800.0), (10_000.0, 2_500.0));
    }
}
