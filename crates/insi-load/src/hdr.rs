//! `--hdr FILE`: the run's latency histograms as an HdrHistogram interval log — one V2
//! compressed histogram per second, values in microseconds — the format of HdrHistogram's own
//! `HistogramLogWriter`, so `HistogramLogProcessor` (Java), `hdr-plot` or any HdrHistogram port
//! reads it. With the Java tool: `java -cp hdrhistogram.jar org.HdrHistogram.HistogramLogProcessor
//! -i run.hlog -outputValueUnitRatio 1000` prints milliseconds (its default ratio assumes
//! nanoseconds). [`read_log`] reads one back (the crate's own parser).

use std::path::Path;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry,
};

use crate::measure::histogram;
use crate::report::{LoadReport, ReportError, decode_histogram};

/// Writes the report's intervals as an interval log.
pub fn write_log(report: &LoadReport, path: &Path) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.display().to_string(),
        source,
    };
    let start = SystemTime::UNIX_EPOCH
        + Duration::from_millis(u64::try_from(report.started.as_millisecond()).unwrap_or(0));
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut builder = IntervalLogWriterBuilder::new();
        builder
            .add_comment("[Logged with insi-bench load]")
            .add_comment("[Histogram log format version 1.3]")
            .add_comment("[Values in microseconds: latency of right answers]");
        if let Some(label) = &report.label {
            builder.add_comment(&format!("[Label: {}]", label.replace('\n', " ")));
        }
        let mut writer = builder
            .with_start_time(start)
            .with_base_time(start)
            .begin_log_with(&mut out, &mut serializer)
            .map_err(io)?;
        for interval in &report.intervals {
            let h = decode_histogram(&interval.histogram)?;
            let offset = Duration::try_from_secs_f64(interval.offset_s).unwrap_or_default();
            let duration = Duration::try_from_secs_f64(interval.duration_s).unwrap_or_default();
            writer
                .write_histogram(&h, offset, duration, None)
                .map_err(|e| ReportError::Histogram(e.to_string()))?;
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, out).map_err(io)
}

/// One interval of a log.
#[derive(Debug)]
pub struct LoggedInterval {
    pub start: Duration,
    pub duration: Duration,
    pub histogram: Histogram<u64>,
}

/// Reads an interval log (any HdrHistogram writer's): its intervals in order.
pub fn read_log(bytes: &[u8]) -> Result<Vec<LoggedInterval>, ReportError> {
    let mut intervals = Vec::new();
    for entry in IntervalLogIterator::new(bytes) {
        match entry {
            Ok(LogEntry::Interval(i)) => intervals.push(LoggedInterval {
                start: i.start_timestamp(),
                duration: i.duration(),
                histogram: decode_histogram(i.encoded_histogram())?,
            }),
            Ok(_) => {}
            Err(e) => return Err(ReportError::Histogram(format!("interval log: {e:?}"))),
        }
    }
    Ok(intervals)
}

/// The sum of every interval of a log.
pub fn total(intervals: &[LoggedInterval]) -> Histogram<u64> {
    let mut h = histogram();
    for i in intervals {
        for v in i.histogram.iter_recorded() {
            h.saturating_record_n(v.value_iterated_to(), v.count_at_value());
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Percentiles;
    use crate::report::encode_histogram;

    #[test]
    fn log_round_trips_and_sums_to_the_run() {
        let mut report = crate::report::tests::report(0, &[100, 200, 300], 0);
        let mut second = histogram();
        second.record(5_000).unwrap();
        report.intervals.push(crate::report::Interval {
            offset_s: 1.0,
            duration_s: 1.0,
            requests: 1,
            ok: 1,
            errors: 0,
            p50_ms: 5.0,
            p99_ms: 5.0,
            histogram: encode_histogram(&second).unwrap(),
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.hlog");
        write_log(&report, &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("#[StartTime: "), "{text}");
        assert!(text.contains("#[BaseTime: "));
        let intervals = read_log(text.as_bytes()).unwrap();
        assert_eq!(intervals.len(), 2);
        assert_eq!(intervals[1].start, Duration::from_secs(1));
        let sum = total(&intervals);
        assert_eq!(sum.len(), 4);
        assert!((Percentiles::of(&sum).max - 5.0).abs() < 0.01);
        assert!(read_log(b"0.0,1.0,1.0,???\n").is_err());
    }
}
