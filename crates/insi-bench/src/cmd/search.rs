//! `insi-bench search traits …`: one search by traits, single call or CNDA first-name loop.
//! `insi-bench search vitale …`: one search for a beneficiary of the Vitale card in a reader.
//!
//! Exit codes: 0 for CR 00/01/02, 1 for a fault or no answer, 2 for usage or configuration
//! errors — including traits refused by validation, which are never sent.

use std::process::ExitCode;

use anyhow::Context as _;
use ins::Traits;
use insi_client::{Outcome, Strategy};
use insi_soap::{InsNumber, Resultat};
use serde::Serialize;

use super::answer::{self, AttemptJson, ErrorJson, FaultJson};
use super::connect::{self, ConnectArgs};
use crate::output;
use crate::output::outln;

#[derive(Debug, clap::Subcommand)]
pub enum SearchCommand {
    /// Search an INS by the five traits (rechercherInsAvecTraitsIdentite).
    Traits(TraitsArgs),
    /// Search the INS of a beneficiary of the Vitale card in a reader
    /// (rechercherInsAvecCarteVitale).
    Vitale(VitaleArgs),
}

#[derive(Debug, clap::Args)]
pub struct VitaleArgs {
    /// Which beneficiary of the card, 1-based, in card order (as `card vitale` lists them).
    #[arg(long, value_name = "N")]
    pub beneficiaire: u32,
    /// The reader holding the Vitale card (default: the only reader with a card).
    #[arg(long, value_name = "NAME")]
    pub vitale_reader: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Reads the card and turns beneficiary `n` into a Vitale search (card data checked first).
fn vitale_search(args: &VitaleArgs) -> anyhow::Result<insi_client::VitaleSearch> {
    use vitale::VitaleSource as _;
    let ctx = apdu::pcsc::PcscContext::establish()?;
    let reader = ctx.pick_reader(args.vitale_reader.as_deref())?;
    let mut card = vitale::Vitale2Card::open(ctx.connect(&reader)?)
        .with_context(|| format!("reader {reader}"))?;
    let people = card.beneficiaires()?;
    let count = people.len();
    let person = usize::try_from(args.beneficiaire)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| people.into_iter().nth(i))
        .with_context(|| {
            format!(
                "--beneficiaire {}: the card holds {count} beneficiaries (1..={count}; \
                 `insi-bench card vitale` lists them)",
                args.beneficiaire
            )
        })?;
    let nir = person.nir.as_deref().with_context(|| {
        format!(
            "beneficiary {} has no NIR on the card: search by traits instead",
            args.beneficiaire
        )
    })?;
    Ok(insi_client::VitaleSearch::from_card(
        nir,
        &person.nom,
        &person.date_naissance,
        person.rang_naissance,
    )?)
}

/// The traits of a search, as typed (normalised and validated before anything is sent).
/// Every flag takes a value starting with `-` (`--nom -DUPONT`) as a value, for the validator.
#[derive(Debug, Clone, clap::Args)]
pub struct TraitsInput {
    /// Nom de naissance.
    #[arg(long, allow_hyphen_values = true)]
    pub nom: String,
    /// Prénoms, space-separated, in civil-status order ("OLA CATARINA BELLA").
    #[arg(long, allow_hyphen_values = true)]
    pub prenoms: String,
    /// M or F.
    #[arg(long, allow_hyphen_values = true)]
    pub sexe: String,
    /// Date de naissance, YYYY-MM-DD.
    #[arg(long, allow_hyphen_values = true)]
    pub naissance: String,
    /// Lieu de naissance (COG: 63220, 2B020, 99132 abroad).
    #[arg(long, value_name = "COG", allow_hyphen_values = true)]
    pub lieu: Option<String>,
}

impl TraitsInput {
    pub fn parse(&self) -> anyhow::Result<Traits> {
        Traits::parse(
            &self.nom,
            &self.prenoms,
            &self.sexe,
            &self.naissance,
            self.lieu.as_deref(),
        )
        .context("traits refused, nothing was sent")
    }
}

#[derive(Debug, clap::Args)]
pub struct TraitsArgs {
    #[command(flatten)]
    pub traits: TraitsInput,
    /// single: one call as given; cnda: one call per prénom, then all joined, COG on 02.
    #[arg(long, default_value = "cnda", value_parser = ["single", "cnda"])]
    pub strategy: String,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Serialize)]
struct InsJson {
    matricule: String,
    cle: Option<String>,
    oid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_deb: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_fin: Option<String>,
}

impl From<&InsNumber> for InsJson {
    fn from(n: &InsNumber) -> Self {
        InsJson {
            matricule: n.id_individu.num_identifiant.clone(),
            cle: n.id_individu.cle.clone(),
            oid: n.oid.to_string(),
            date_deb: n.date_deb.clone(),
            date_fin: n.date_fin.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
struct SearchJson<'a> {
    cr: Option<String>,
    libelle: Option<String>,
    ins: Option<InsJson>,
    traits: Option<&'a insi_soap::Tiq>,
    ins_histo: Vec<InsJson>,
    attempts: Vec<AttemptJson>,
    fault: Option<FaultJson<'a>>,
    error: Option<ErrorJson>,
}

pub fn run(command: SearchCommand, json: bool) -> anyhow::Result<ExitCode> {
    let runtime = connect::runtime()?;
    let (report, connect_args) = match &command {
        SearchCommand::Traits(args) => {
            let traits = args.traits.parse()?;
            let strategy: Strategy = args.strategy.parse().map_err(anyhow::Error::msg)?;
            let connection = connect::connect(&args.connect, &runtime)?;
            let report = runtime
                .block_on(connection.client.search(&traits, strategy))
                .map_err(connect::with_advice)?;
            (report, &args.connect)
        }
        SearchCommand::Vitale(args) => {
            // The card is read before connecting: a damaged card sends nothing.
            let search = vitale_search(args)?;
            let connection = connect::connect(&args.connect, &runtime)?;
            let report = runtime
                .block_on(connection.client.search_vitale(&search))
                .map_err(connect::with_advice)?;
            (report, &args.connect)
        }
    };
    answer::write_trace(connect_args, &report.trace)?;

    let mut out = SearchJson {
        cr: None,
        libelle: None,
        ins: None,
        traits: None,
        ins_histo: Vec::new(),
        attempts: report
            .trace
            .attempts
            .iter()
            .map(AttemptJson::from)
            .collect(),
        fault: None,
        error: None,
    };
    let code = match &report.outcome {
        Outcome::Resultat(r) => {
            fill(&mut out, r);
            ExitCode::SUCCESS
        }
        Outcome::Fault(f) => {
            out.fault = Some(FaultJson::new(f));
            ExitCode::from(1)
        }
        Outcome::Failed(e) => {
            out.error = Some(ErrorJson::from(e));
            ExitCode::from(1)
        }
    };
    if json {
        output::json(&out)?;
    } else {
        print_human(&out)?;
        answer::print_attempts(&report.trace.attempts)?;
    }
    Ok(code)
}

fn fill<'a>(out: &mut SearchJson<'a>, r: &'a Resultat) {
    out.cr = Some(r.cr.code().to_owned());
    out.libelle = Some(r.libelle.clone());
    if let Some(individu) = &r.individu {
        out.ins = Some(InsJson::from(&individu.ins_actif));
        out.traits = Some(&individu.tiq);
        out.ins_histo = individu.ins_histo.iter().map(InsJson::from).collect();
    }
}

fn print_human(out: &SearchJson<'_>) -> std::io::Result<()> {
    if let Some(cr) = &out.cr {
        outln!("CR {cr} {}", out.libelle.as_deref().unwrap_or_default())?;
    }
    if let Some(ins) = &out.ins {
        let label = ins::Oid::new(&ins.oid).label().unwrap_or("unknown OID");
        outln!(
            "INS      {} {}  OID {} ({label})",
            ins.matricule,
            ins.cle.as_deref().unwrap_or("--"),
            ins.oid
        )?;
    }
    if let Some(t) = out.traits {
        let f = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        outln!(
            "traits   {} / {} / {} / {} / {}",
            f(&t.nom_naissance),
            f(&t.liste_prenom.clone().or_else(|| t.prenom.clone())),
            f(&t.sexe),
            f(&t.date_naissance),
            f(&t.lieu_naissance)
        )?;
    }
    for h in &out.ins_histo {
        outln!(
            "history  {} {}  OID {}  {}..{}",
            h.matricule,
            h.cle.as_deref().unwrap_or("--"),
            h.oid,
            h.date_deb.as_deref().unwrap_or(""),
            h.date_fin.as_deref().unwrap_or("")
        )?;
    }
    if let Some(f) = &out.fault {
        outln!(
            "fault    {} {}: {}",
            insi_client::fault_code(f.fault),
            f.fault.reason,
            f.fault
                .erreur
                .as_ref()
                .map(|e| e.text.as_str())
                .unwrap_or_default()
        )?;
        if let Some(advice) = f.advice {
            outln!("advice   {advice}")?;
        }
    }
    if let Some(e) = &out.error {
        outln!("error    {}", e.message)?;
        outln!("advice   {}", e.advice)?;
    }
    Ok(())
}
