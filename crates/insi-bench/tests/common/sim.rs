//! `insi-bench sim serve` as a child process for the CLI tests: started on an ephemeral port,
//! its JSON banner read, killed when dropped (also when a test fails half-way).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running `sim serve`. The reading end of its stdout stays open for its whole life, so that
/// a later line it prints never meets a closed pipe.
#[derive(Debug)]
pub struct Server(pub Child, #[allow(dead_code)] BufReader<ChildStdout>);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `insi-bench --json sim serve --listen 127.0.0.1:0 EXTRA…` from the workspace root
/// (so the committed test PKI and personas are found) with `command`'s environment and
/// `stderr`; returns it with its banner.
pub fn start_with(
    mut command: Command,
    extra: &[&str],
    stderr: Stdio,
) -> (Server, serde_json::Value) {
    let mut child = command
        .current_dir(workspace())
        .args(["--json", "sim", "serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("sim serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let read = stdout.read_line(&mut line);
    let server = Server(child, stdout);
    read.expect("banner");
    let banner: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("banner {line:?}: {e}"));
    (server, banner)
}

/// [`start_with`] with the plain binary and stderr inherited.
pub fn start(extra: &[&str]) -> (Server, serde_json::Value) {
    start_with(
        Command::new(env!("CARGO_BIN_EXE_insi-bench")),
        extra,
        Stdio::inherit(),
    )
}

/// The mTLS URL of a banner.
pub fn url(banner: &serde_json::Value) -> String {
    banner["urls"][0][0]
        .as_str()
        .expect("url in the banner")
        .to_owned()
}
