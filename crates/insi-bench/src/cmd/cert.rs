//! `insi-bench cert inspect FILE`: what to know about a certificate before calling INSi.
//!
//! Exit codes: 0 readable (warnings included), 2 unreadable file or wrong password.

use std::path::PathBuf;
use std::process::ExitCode;

use insi_client::{CertificateFile, inspect};

use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Subcommand)]
pub enum CertCommand {
    /// Show the subject DN (as the ANS program team needs it), issuer, validity, CN profile
    /// (INSI-AUTO/INSI-MANU) and key usage of a PEM, DER or PKCS#12 file.
    Inspect {
        /// The certificate file.
        file: PathBuf,
        /// Environment variable holding the PKCS#12 password (else a no-echo prompt).
        #[arg(long, value_name = "VAR", default_value = insi_client::config::DEFAULT_P12_PASSWORD_ENV)]
        p12_password_env: String,
    },
}

pub fn run(command: CertCommand, json: bool) -> anyhow::Result<ExitCode> {
    let CertCommand::Inspect {
        file,
        p12_password_env,
    } = command;
    let what = file.display().to_string();
    let parsed = match CertificateFile::read(&file, None) {
        Err(insi_client::CertError::PasswordNeeded(_)) => {
            let password = crate::prompt::password(&p12_password_env, &file)?;
            CertificateFile::read(&file, Some(&password))?
        }
        other => other?,
    };
    let report = inspect(&parsed, &what, jiff::Timestamp::now())?;
    if json {
        output::json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let format = match report.format {
        insi_client::FileFormat::Pem => "PEM",
        insi_client::FileFormat::Der => "DER",
        insi_client::FileFormat::Pkcs12 => "PKCS#12",
    };
    outln!("file         {what} ({format})")?;
    outln!("subject      {}", report.subject)?;
    outln!("issuer       {}", report.issuer)?;
    outln!("serial       {}", report.serial)?;
    outln!(
        "validity     {} .. {} ({} days left)",
        report.not_before,
        report.not_after,
        report.days_left
    )?;
    outln!(
        "CN           {} ({})",
        report.cn.as_deref().unwrap_or("-"),
        report.insi_profile.unwrap_or("not an INSi profile")
    )?;
    outln!("OU           {}", report.ou.as_deref().unwrap_or("-"))?;
    outln!("key usage    {}", report.key_usage.join(", "))?;
    outln!("ext. usage   {}", report.extended_key_usage.join(", "))?;
    outln!(
        "private key  {}",
        if report.has_private_key {
            "present"
        } else {
            "absent"
        }
    )?;
    for c in &report.chain {
        outln!("chain        {c}")?;
    }
    for w in &report.warnings {
        outln!("warning      {w}")?;
    }
    Ok(ExitCode::SUCCESS)
}
