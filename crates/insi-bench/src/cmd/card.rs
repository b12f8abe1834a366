//! `insi-bench card list | info | vitale | emulate`: smart cards through PC/SC.
//!
//! `list` reads reader states only (no connection); `info` reads a CPx without its PIN;
//! `vitale` reads the beneficiaries of a Vitale 2; `emulate` plugs an emulated card
//! (`testdata/cards/*.toml`) into the vpcd virtual reader of a running pcscd.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, bail};
use apdu::pcsc::PcscContext;
use card_emu::Profile;
use cpx::Cpx;
use serde::Serialize;
use vitale::{Vitale2Card, VitaleGeneration, VitaleSource};

use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Subcommand)]
pub enum CardCommand {
    /// List readers, the ATR of each card and its detected type.
    List,
    /// Show a CPx card: serial number, type, certificates, PIN tries left (the PIN is not asked).
    Info {
        /// Reader to use (default: the first reader holding a CPx).
        #[arg(long)]
        reader: Option<String>,
    },
    /// Read the beneficiaries of a Vitale 2 card (names, birth dates, NIR).
    Vitale {
        /// Reader to use (default: the first reader holding a Vitale card).
        #[arg(long)]
        reader: Option<String>,
    },
    /// Emulate a card from a profile in the vpcd virtual reader of a running pcscd (Ctrl-C stops).
    ///
    /// Needs pcscd with the vsmartcard-vpcd driver (Debian: `apt install pcscd vsmartcard-vpcd`),
    /// whose default reader listens on port 35963 (`/etc/reader.conf.d/vpcd`).
    Emulate {
        /// Card profile (TOML), e.g. testdata/cards/cps3-demo.toml.
        #[arg(long)]
        profile: PathBuf,
        /// vpcd port on 127.0.0.1 (35963 is the first slot of Debian's default vpcd reader).
        #[arg(long, default_value_t = 35963)]
        port: u16,
    },
}

pub fn run(command: CardCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        CardCommand::List => list(json),
        CardCommand::Info { reader } => info(reader.as_deref(), json),
        CardCommand::Vitale { reader } => read_vitale(reader.as_deref(), json),
        CardCommand::Emulate { profile, port } => emulate(&profile, port),
    }
}

/// What an ATR says the card is.
fn card_type(atr: &[u8]) -> String {
    if let Some(m) = cpx::detect(atr) {
        return format!("{} (CPx)", m.name());
    }
    match vitale::detect(atr) {
        Some(VitaleGeneration::V2) => "Vitale 2".into(),
        Some(VitaleGeneration::V1) => "Vitale 1 (not supported)".into(),
        None => "unknown card".into(),
    }
}

#[derive(Debug, Serialize)]
struct ReaderLine {
    reader: String,
    card_present: bool,
    atr: Option<String>,
    card_type: Option<String>,
}

fn list(json: bool) -> anyhow::Result<ExitCode> {
    let ctx = PcscContext::establish()?;
    let lines: Vec<ReaderLine> = ctx
        .readers()?
        .into_iter()
        .map(|r| ReaderLine {
            card_present: r.atr.is_some(),
            atr: r.atr.as_deref().map(apdu::hex::spaced),
            card_type: r.atr.as_deref().map(card_type),
            reader: r.name,
        })
        .collect();
    if json {
        output::json(&lines)?;
    } else if lines.is_empty() {
        outln!("no smart-card reader connected")?;
    } else {
        for l in &lines {
            match (&l.atr, &l.card_type) {
                (Some(atr), Some(t)) => outln!("{}: {t}\n    ATR {atr}", l.reader),
                _ => outln!("{}: no card", l.reader),
            }?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The reader to use: the one named, or the first whose card `wanted` accepts.
fn pick(
    ctx: &PcscContext,
    named: Option<&str>,
    wanted: impl Fn(&[u8]) -> bool,
    what: &str,
) -> anyhow::Result<String> {
    if named.is_some() {
        return Ok(ctx.pick_reader(named)?);
    }
    let readers = ctx.readers()?;
    if readers.is_empty() {
        bail!("no smart-card reader connected: plug one in (or start a virtual reader)");
    }
    if let Some(r) = readers
        .iter()
        .find(|r| r.atr.as_deref().is_some_and(&wanted))
    {
        return Ok(r.name.clone());
    }
    let seen: Vec<String> = readers
        .iter()
        .map(|r| {
            format!(
                "{}: {}",
                r.name,
                r.atr
                    .as_deref()
                    .map(card_type)
                    .unwrap_or_else(|| "no card".into())
            )
        })
        .collect();
    bail!(
        "no {what} found in any reader ({}); insert one, or name the reader with --reader",
        seen.join("; ")
    )
}

fn info(reader: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let ctx = PcscContext::establish()?;
    let reader = pick(&ctx, reader, |atr| cpx::detect(atr).is_some(), "CPx card")?;
    let card = ctx
        .connect(&reader)
        .with_context(|| format!("connecting to {reader:?}"))?;
    let mut card = Cpx::open(card).with_context(|| format!("reading the card in {reader:?}"))?;
    let info = card
        .info()
        .with_context(|| format!("reading the card in {reader:?}"))?;
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            reader: &'a str,
            #[serde(flatten)]
            info: &'a cpx::CardInfo,
        }
        output::json(&Out {
            reader: &reader,
            info: &info,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("reader:        {reader}")?;
    outln!("card:          {} (ATR {})", info.model.name(), info.atr)?;
    outln!("serial number: {}", info.serial)?;
    let blocked = if info.pin.is_blocked() {
        " — BLOCKED"
    } else {
        ""
    };
    outln!(
        "PIN tries:     {} of {}{blocked}",
        info.pin.tries_left,
        info.pin.max_tries
    )?;
    if let Some(sign) = info
        .certificates
        .iter()
        .find(|c| c.role == cpx::CertRole::Signature)
    {
        // What the PS assertion will carry (INSI-PROTOCOL.md §2.5.2): NameID = subject CN,
        // NameQualifier = GipCardType (CPX when the extension is missing).
        outln!(
            "PS identity:   NameID {} (NameQualifier {})",
            sign.common_name().unwrap_or_else(|| "?".into()),
            sign.card_type.as_deref().unwrap_or("CPX")
        )?;
    }
    if let Some((from, to)) = &info.update_window {
        outln!("update window: {from} → {to}")?;
    }
    for c in &info.certificates {
        outln!("certificate {:?} ({:?}):", c.label, c.role)?;
        outln!("    subject:   {}", c.subject)?;
        outln!("    issuer:    {}", c.issuer)?;
        outln!("    validity:  {} → {}", c.not_before, c.not_after)?;
        if let Some(t) = &c.card_type {
            outln!("    card type: {t} (GipCardType)")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_vitale(reader: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let ctx = PcscContext::establish()?;
    let reader = pick(
        &ctx,
        reader,
        |atr| vitale::detect(atr).is_some(),
        "Vitale card",
    )?;
    let card = ctx
        .connect(&reader)
        .with_context(|| format!("connecting to {reader:?}"))?;
    let people = Vitale2Card::open(card)
        .and_then(|mut c| c.beneficiaires())
        .with_context(|| format!("reading the Vitale card in {reader:?}"))?;
    if json {
        output::json(&people)?;
    } else {
        for (i, p) in people.iter().enumerate() {
            outln!(
                "{}. {} {}, born {}, NIR {}",
                i + 1,
                p.nom,
                p.prenom,
                p.date_naissance,
                p.nir.as_deref().unwrap_or("?")
            )?;
        }
        outln!(
            "(qualité and rang are not on the card's public files: use the SESAM-Vitale software)"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn emulate(path: &std::path::Path, port: u16) -> anyhow::Result<ExitCode> {
    let profile = Profile::load(path)?;
    let card = Mutex::new(profile.build()?);
    eprintln!(
        "emulating {:?} ({}) — TEST CARD, NOT FOR PRODUCTION; vpcd 127.0.0.1:{port}; Ctrl-C to stop",
        profile.file.label,
        card.lock().map(|c| c.kind()).unwrap_or("?")
    );
    loop {
        // Inserted = connected: wait for vpcd (pcscd may start after us), serve until it closes.
        let mut stream = card_emu::vpcd::connect(port, Duration::from_secs(3600))?;
        eprintln!("card inserted");
        let pulled = card_emu::vpcd::serve(&mut stream, &card).unwrap_or(false);
        eprintln!(
            "card removed{}; reconnecting",
            if pulled {
                " (fault injection)"
            } else {
                " by the reader"
            }
        );
    }
}
