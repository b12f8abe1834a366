//! Running the binary on a real pseudo-terminal made by `script` (util-linux, essential on
//! Debian), to test what is typed at a no-echo prompt: a PIN or a PKCS#12 password.

use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `shell_command` on a pseudo-terminal with `envs`, types `typed` once `prompt` shows
/// (echo is off by then), and returns the exit code and everything the terminal displayed.
pub fn on_a_terminal(
    shell_command: &str,
    envs: &[(&str, &std::ffi::OsStr)],
    prompt: &str,
    typed: &str,
) -> (i32, String) {
    let mut child = Command::new("script")
        .args(["-qec", shell_command, "/dev/null"])
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) is installed");
    // Read as it comes, on a thread, so the prompt can be awaited with a deadline.
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen).contains(prompt) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.extend(chunk),
            Err(_) => {
                let _ = child.kill();
                panic!("no prompt: {}", String::from_utf8_lossy(&seen))
            }
        }
    }
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(typed.as_bytes()).expect("type");
    stdin.write_all(b"\n").expect("type");
    drop(stdin);
    let status = child.wait().expect("wait");
    reader.join().expect("reader");
    seen.extend(rx.try_iter().flatten());
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&seen).into_owned(),
    )
}
