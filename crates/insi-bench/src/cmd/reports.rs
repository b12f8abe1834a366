//! The report flags `run` and `check-client` share, and writing the three report files.

use std::path::{Path, PathBuf};

/// Where the journal and the reports of a run go.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Where the journal and reports go [default: reports/<package name>, with a
    /// `-check-client` suffix for check-client].
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// JUnit XML report path [default: <report-dir>/junit.xml].
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// JSON report path [default: <report-dir>/report.json].
    #[arg(long = "json-report", value_name = "FILE")]
    pub json_report: Option<PathBuf>,
    /// HTML evidence report path [default: <report-dir>/report.html].
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl ReportArgs {
    /// `--report-dir`, else `reports/<default_name>`.
    pub fn dir(&self, default_name: &str) -> PathBuf {
        self.report_dir
            .clone()
            .unwrap_or_else(|| Path::new("reports").join(default_name))
    }

    /// Writes the JSON, JUnit and HTML reports of `run` (in `dir` unless a path is given) and
    /// returns their paths in that order. One that cannot be written does not stop the others:
    /// the error names every file that failed and why.
    pub fn write(&self, run: &insi_runner::Run, dir: &Path) -> anyhow::Result<[PathBuf; 3]> {
        let pick =
            |given: &Option<PathBuf>, name: &str| given.clone().unwrap_or_else(|| dir.join(name));
        let paths = [
            pick(&self.json_report, "report.json"),
            pick(&self.junit, "junit.xml"),
            pick(&self.html, "report.html"),
        ];
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!("cannot create the report directory {}: {e}", dir.display())
        })?;
        let failed: Vec<String> = [
            insi_report::json::write(run, &paths[0]),
            insi_report::junit::write(run, &paths[1]),
            insi_report::html::write(run, &paths[2]),
        ]
        .into_iter()
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect();
        if failed.is_empty() {
            Ok(paths)
        } else {
            anyhow::bail!("{}", failed.join("; "))
        }
    }
}
