//! Printing helpers shared by the subcommands.
//!
//! Everything for stdout goes through [`out`] (and the `outln!` macro), which returns the write
//! error instead of panicking like `println!`. A closed stdout (`insi-bench … | head`) is then an
//! ordinary [`std::io::ErrorKind::BrokenPipe`] error that `main` ends quietly on — without
//! restoring the default SIGPIPE action, which would kill long-running commands (`sim serve`,
//! `card emulate`, `run`, `load`) the first time a peer closes a socket while they write to it.

use std::io::Write;

use serde::Serialize;

/// Writes to stdout (and flushes, so that lines appear as they are made).
pub fn out(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.flush()
}

/// `println!` that returns `std::io::Result<()>`.
macro_rules! outln {
    () => { $crate::output::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::out(format_args!("{}\n", format_args!($($arg)*))) };
}
pub(crate) use outln;

/// Prints one JSON document on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string(value)?;
    outln!("{text}")?;
    Ok(())
}

/// Whether an error (or one of its causes) is a closed stdout.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// An error and its causes on one line, `a: b: c`, skipping a cause whose text the line already
/// holds: many error types quote their source in their own message (`cannot write X: {source}`)
/// and also expose it as `source()`, which `{:#}` would print twice.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[test]
    fn a_cause_quoted_by_its_error_is_not_repeated() {
        #[derive(Debug)]
        struct Quoting {
            source: std::io::Error,
        }
        impl std::fmt::Display for Quoting {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "cannot write f: {}", self.source)
            }
        }
        impl std::error::Error for Quoting {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.source)
            }
        }
        let quoted = anyhow::Error::new(Quoting {
            source: std::io::Error::other("disk full"),
        });
        assert_eq!(error_text(&quoted), "cannot write f: disk full");
        let plain =
            anyhow::Error::new(std::io::Error::other("disk full")).context("cannot write f");
        assert_eq!(error_text(&plain), "cannot write f: disk full");
    }
}
