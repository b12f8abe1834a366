//! `insi-bench config init [FILE]`: writes a commented configuration with a fresh instance
//! UUID (the installation's stable identifier, ContexteLPS/LPS/Instance).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;

use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Write a commented configuration file with a fresh instance UUID. Never overwrites.
    Init {
        /// Where to write it [default: ~/.config/insi-bench/config.toml].
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Serialize)]
struct Written {
    path: String,
    instance: String,
}

pub fn run(command: ConfigCommand, json: bool) -> anyhow::Result<ExitCode> {
    let ConfigCommand::Init { file } = command;
    let path = match file {
        Some(path) => path,
        None => insi_client::config::default_config_path(|k| std::env::var(k).ok())
            .context("cannot tell where the configuration goes: give a FILE (no HOME set)")?,
    };
    let instance = uuid::Uuid::new_v4();
    insi_client::config::write_template(&path, instance)?;
    if json {
        output::json(&Written {
            path: path.display().to_string(),
            instance: instance.to_string(),
        })?;
    } else {
        outln!("wrote {} (instance {instance})", path.display())?;
        outln!(
            "next: set [lps] idam, [tls] ca and your certificate, then `insi-bench search traits …`"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
