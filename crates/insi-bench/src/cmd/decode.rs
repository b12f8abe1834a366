//! `insi-bench decode FILE... [--json]`: decode INSi response files (RESULTAT or SOAP Fault),
//! such as the response files the CNDA injects.
//!
//! Exit 0 when every file decodes, 1 otherwise; each failure names the file, the line and byte,
//! and the reason. With `--json`: one object per file, an array when there are several (shape in
//! the issue and `docs/codec.md`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::output::outln;
use insi_soap::{Fault, InsNumber, Limits, Response, Resultat, decode_response};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Response files (SOAP 1.2 envelopes holding a RESULTAT or a Fault).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub fn run(args: &Args, json: bool) -> anyhow::Result<ExitCode> {
    let mut all_ok = true;
    let mut objects = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let name = path.display().to_string();
        let outcome = read_limited(path).map(|bytes| decode_response(&bytes));
        let object = match outcome {
            Err(io) => {
                all_ok = false;
                eprintln!("insi-bench: {name}: cannot read: {io}");
                to_json(FileJson::Error {
                    file: &name,
                    kind: "error",
                    error: format!("cannot read: {io}"),
                    line: None,
                    byte: None,
                })?
            }
            Ok(Err(err)) => {
                all_ok = false;
                eprintln!("insi-bench: {name}: {err}");
                to_json(FileJson::Error {
                    file: &name,
                    kind: "error",
                    error: err.kind.to_string(),
                    line: Some(err.position.line),
                    byte: Some(err.position.byte),
                })?
            }
            Ok(Ok(decoded)) => {
                if !json {
                    print_human(&name, &decoded.response, &decoded.warnings)?;
                } else if matches!(decoded.response, Response::Fault(_)) {
                    // The fault object of the contract has no `warnings`: report them aside.
                    for w in &decoded.warnings {
                        eprintln!("insi-bench: {name}: warning: {w}");
                    }
                }
                let warnings: Vec<String> =
                    decoded.warnings.iter().map(ToString::to_string).collect();
                match &decoded.response {
                    Response::Resultat(r) => to_json(resultat_json(&name, r, warnings))?,
                    Response::Fault(f) => to_json(fault_json(&name, f))?,
                }
            }
        };
        objects.push(object);
    }
    if json {
        // Objects are serialised one by one (struct field order kept) and joined here.
        if let [one] = objects.as_slice() {
            outln!("{one}")?;
        } else {
            outln!("[{}]", objects.join(","))?;
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Reads at most one byte more than the decoder accepts, so a huge file is refused by the
/// decoder's size limit without being loaded whole.
fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    let limit = Limits::DEFAULT.max_bytes as u64 + 1;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

// Field order follows the contract of the issue: each object is serialised from a struct
// (serde_json would sort the keys of a `json!` map).
#[derive(Serialize)]
#[serde(untagged)]
enum FileJson<'a> {
    Resultat {
        file: &'a str,
        kind: &'static str,
        cr: &'a str,
        libelle: &'a str,
        individu: Option<IndividuJson<'a>>,
        warnings: Vec<String>,
    },
    Fault {
        file: &'a str,
        kind: &'static str,
        code: &'a str,
        subcode: Option<&'a str>,
        detail_code: Option<&'a str>,
        severite: Option<&'a str>,
        message_id: Option<&'a str>,
        reason: &'a str,
        detail: Option<&'a str>,
    },
    Error {
        file: &'a str,
        kind: &'static str,
        error: String,
        line: Option<usize>,
        byte: Option<usize>,
    },
}

#[derive(Serialize)]
struct IndividuJson<'a> {
    ins_actif: InsJson<'a>,
    ins_histo: Vec<InsJson<'a>>,
    traits: TraitsJson<'a>,
}

#[derive(Serialize)]
struct InsJson<'a> {
    matricule: &'a str,
    cle: Option<&'a str>,
    oid: &'a str,
    date_deb: Option<&'a str>,
    date_fin: Option<&'a str>,
}

#[derive(Serialize)]
struct TraitsJson<'a> {
    nom_naissance: Option<&'a str>,
    prenom: Option<&'a str>,
    liste_prenom: Option<&'a str>,
    sexe: Option<&'a str>,
    date_naissance: Option<&'a str>,
    lieu_naissance: Option<&'a str>,
}

fn to_json(value: FileJson<'_>) -> anyhow::Result<String> {
    Ok(serde_json::to_string(&value)?)
}

fn ins_json(ins: &InsNumber) -> InsJson<'_> {
    InsJson {
        matricule: &ins.id_individu.num_identifiant,
        cle: ins.id_individu.cle.as_deref(),
        oid: ins.oid.as_str(),
        date_deb: ins.date_deb.as_deref(),
        date_fin: ins.date_fin.as_deref(),
    }
}

fn resultat_json<'a>(file: &'a str, r: &'a Resultat, warnings: Vec<String>) -> FileJson<'a> {
    // `individu` is null unless CR is 00 (the contract), even if a file carries one anyway.
    let individu = r
        .individu
        .as_ref()
        .filter(|_| r.cr.code() == "00")
        .map(|ind| IndividuJson {
            ins_actif: ins_json(&ind.ins_actif),
            ins_histo: ind.ins_histo.iter().map(ins_json).collect(),
            traits: TraitsJson {
                nom_naissance: ind.tiq.nom_naissance.as_deref(),
                prenom: ind.tiq.prenom.as_deref(),
                liste_prenom: ind.tiq.liste_prenom.as_deref(),
                sexe: ind.tiq.sexe.as_deref(),
                date_naissance: ind.tiq.date_naissance.as_deref(),
                lieu_naissance: ind.tiq.lieu_naissance.as_deref(),
            },
        });
    FileJson::Resultat {
        file,
        kind: "resultat",
        cr: r.cr.code(),
        libelle: &r.libelle,
        individu,
        warnings,
    }
}

fn fault_json<'a>(file: &'a str, f: &'a Fault) -> FileJson<'a> {
    let e = f.erreur.as_ref();
    FileJson::Fault {
        file,
        kind: "fault",
        code: &f.code,
        subcode: f.subcode.as_deref(),
        detail_code: e.map(|e| e.code.as_str()),
        severite: e.map(|e| e.severite.as_str()),
        message_id: e.and_then(|e| e.message_id.as_deref()),
        reason: &f.reason,
        detail: e.map(|e| e.text.as_str()),
    }
}

fn print_human(
    name: &str,
    response: &Response,
    warnings: &[insi_soap::Warning],
) -> std::io::Result<()> {
    match response {
        Response::Resultat(r) => {
            outln!("{name}: RESULTAT {} {}", r.cr.code(), r.libelle)?;
            if let Some(ind) = r.individu.as_ref().filter(|_| r.cr.code() == "00") {
                print_ins("INS actif", &ind.ins_actif)?;
                for h in &ind.ins_histo {
                    print_ins("INS histo", h)?;
                }
                let t = &ind.tiq;
                let f = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                outln!(
                    "  traits     {} / {} / {} / {} / {}",
                    f(&t.nom_naissance),
                    t.liste_prenom
                        .clone()
                        .or_else(|| t.prenom.clone())
                        .unwrap_or_else(|| "-".into()),
                    f(&t.sexe),
                    f(&t.date_naissance),
                    f(&t.lieu_naissance)
                )?;
            }
        }
        Response::Fault(fault) => {
            let e = fault.erreur.as_ref();
            outln!(
                "{name}: FAULT {} {} {} ({}): {}",
                fault.code,
                fault.subcode.as_deref().unwrap_or("-"),
                e.map_or("-", |e| e.code.as_str()),
                e.map_or("-", |e| e.severite.as_str()),
                fault.reason
            )?;
            if let Some(e) = e {
                outln!("  detail     {}", e.text)?;
            }
        }
    }
    for w in warnings {
        outln!("  warning    {w}")?;
    }
    Ok(())
}

fn print_ins(label: &str, ins: &InsNumber) -> std::io::Result<()> {
    let dates = match (&ins.date_deb, &ins.date_fin) {
        (None, None) => String::new(),
        (d, f) => format!(
            "  {} → {}",
            d.as_deref().unwrap_or("…"),
            f.as_deref().unwrap_or("…")
        ),
    };
    outln!(
        "  {label}  {} {}  {} ({}){dates}",
        ins.id_individu.num_identifiant,
        ins.id_individu.cle.as_deref().unwrap_or("--"),
        ins.oid.as_str(),
        ins.oid.label().unwrap_or("unknown OID"),
    )?;
    Ok(())
}
