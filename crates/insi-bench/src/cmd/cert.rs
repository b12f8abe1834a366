//! `insi-bench cert inspect FILE [--ca BUNDLE]`: what to know about a certificate before calling
//! INSi, and the chain the file carries (each certificate, which is the leaf, whether it chains
//! to the given CA).
//!
//! Exit codes: 0 readable (warnings included), 1 the leaf does not chain to `--ca`, 2 unreadable
//! file or wrong password.

use std::path::PathBuf;
use std::process::ExitCode;

use insi_client::{CertificateFile, ChainRole, inspect};

use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Subcommand)]
pub enum CertCommand {
    /// Show the subject DN (as the ANS program team needs it), issuer, validity, CN profile
    /// (INSI-AUTO/INSI-MANU) and key usage of a PEM, DER or PKCS#12 file, then each certificate
    /// of its chain; warns when one expires within 90 days.
    Inspect {
        /// The certificate file.
        file: PathBuf,
        /// CA bundle (PEM or DER) the leaf must chain to, checked as a TLS peer does it;
        /// exit 1 when it does not.
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// Environment variable holding the PKCS#12 password (else a no-echo prompt).
        #[arg(long, value_name = "VAR", default_value = insi_client::config::DEFAULT_P12_PASSWORD_ENV)]
        p12_password_env: String,
    },
}

pub fn run(command: CertCommand, json: bool) -> anyhow::Result<ExitCode> {
    let CertCommand::Inspect {
        file,
        ca,
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
    let now = jiff::Timestamp::now();
    let mut report = inspect(&parsed, &what, now)?;
    if let Some(ca) = &ca {
        let anchors = insi_client::cert::read_ca_bundle(ca)?;
        insi_client::check_chain(
            &mut report,
            &parsed,
            &anchors,
            &ca.display().to_string(),
            now,
        );
    }
    let code = match &report.ca_check {
        Some(check) if !check.chains => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    };
    if json {
        output::json(&report)?;
        return Ok(code);
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
    print_chain(&report)?;
    for w in &report.warnings {
        outln!("warning      {w}")?;
    }
    Ok(code)
}

/// One block per certificate of the file, then the `--ca` verdict.
fn print_chain(report: &insi_client::CertificateReport) -> anyhow::Result<()> {
    let n = report.certificates.len();
    outln!(
        "chain        {n} certificate{} in the file, leaf first:",
        if n == 1 { "" } else { "s" }
    )?;
    for c in &report.certificates {
        let role = match c.role {
            ChainRole::Leaf => "leaf",
            ChainRole::Intermediate => "intermediate CA",
            ChainRole::Root => "root CA (self-signed)",
            ChainRole::Unrelated => "not in the leaf's chain",
        };
        outln!("  [{}] {role}", c.position)?;
        outln!("      subject  {}", c.subject)?;
        let by = match (c.role, c.issued_by) {
            (ChainRole::Root, _) => " (itself)".to_owned(),
            (_, Some(p)) => format!(" ([{p}] in this file)"),
            (_, None) => " (not in this file)".to_owned(),
        };
        outln!("      issuer   {}{by}", c.issuer)?;
        outln!(
            "      valid    {} .. {} ({} days left)",
            c.not_before,
            c.not_after,
            c.days_left
        )?;
    }
    if let Some(check) = &report.ca_check {
        match &check.reason {
            None => outln!(
                "CA           chains to {} ({})",
                check.ca,
                check.anchors.join("; ")
            )?,
            Some(reason) => outln!("CA           does NOT chain to {}: {reason}", check.ca)?,
        }
    }
    Ok(())
}
