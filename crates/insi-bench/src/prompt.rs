//! The PKCS#12 password (from a named environment variable, else typed at a no-echo prompt on
//! the terminal) and the CPx PIN (typed only). Never from a flag: flags end up in shell
//! histories and process lists.

use std::io::{BufRead as _, Write as _};
use std::path::Path;

use anyhow::Context as _;
use insi_client::Password;

/// The password from `var`, else from a no-echo prompt naming `path`.
pub fn password(var: &str, path: &Path) -> anyhow::Result<Password> {
    if let Ok(value) = std::env::var(var) {
        return Ok(Password::new(value));
    }
    prompt_no_echo(&format!("password of {}: ", path.display())).with_context(|| {
        format!(
            "no password for {}: set the environment variable {var}, or run from a terminal to \
             be prompted",
            path.display()
        )
    })
}

/// A CPx PIN typed at a no-echo prompt on the terminal: never from a flag or a variable, asked
/// once, never retried (a CPx blocks after 3 wrong PINs).
pub fn pin(prompt: &str) -> anyhow::Result<cpx::Pin> {
    let typed = prompt_no_echo(prompt)
        .context("the CPx PIN is typed at a terminal: run the command from one")?;
    cpx::Pin::new(typed.expose()).map_err(|e| anyhow::anyhow!("{e}: nothing was sent to the card"))
}

fn prompt_no_echo(prompt: &str) -> anyhow::Result<Password> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("no terminal")?;
    let saved = tcgetattr(&tty).context("not a terminal")?;
    let mut silent = saved.clone();
    silent.local_modes.remove(LocalModes::ECHO);
    silent.local_modes.insert(LocalModes::ECHONL);
    tcsetattr(&tty, OptionalActions::Now, &silent)?;
    let mut line = zeroize::Zeroizing::new(String::new());
    let result = (|| -> std::io::Result<()> {
        let mut out = &tty;
        out.write_all(prompt.as_bytes())?;
        out.flush()?;
        std::io::BufReader::new(&tty).read_line(&mut line)?;
        Ok(())
    })();
    // Restore echo whatever happened.
    tcsetattr(&tty, OptionalActions::Now, &saved)?;
    result?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_owned();
    Ok(Password::new(trimmed))
}
