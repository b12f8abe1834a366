//! Runs one case against a [`RunTarget`] and turns what the client reports into an
//! [`Outcome`]. Injection (the CNDA way) is done here, in the transport: the real request still
//! goes out — so authentication and the request itself are exercised and recorded — and the
//! answer is replaced by the case's response file, exactly as the CNDA asks software to ingest
//! the files it supplies. It therefore behaves the same on every target.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ins::{Cle, Matricule, Oid, Traits};
use insi_client::{
    AttemptOutcome, Guard, HttpRequest, HttpResponse, HttpTransport, InsiClient, Origin, QueryKind,
    RetryPolicy, SearchReport, StoredIns, Strategy, Trace, Transport, TransportError, Verdict,
};
use insi_soap::{Caller, InsNumber, Response, Resultat};

use super::outcome::{Attempt, FaultValue, InsValue, Outcome, Refusal, TraitsValue};
use super::target::{DEFAULT_CREDENTIAL, RunTarget};
use crate::package::model::{self, Auth, Case, Operation};

/// A response file to serve instead of the target's answer.
#[derive(Debug)]
pub struct Injected {
    pub body: Vec<u8>,
    /// 500 for a SOAP fault, 200 otherwise (INSI-PROTOCOL.md §1.4).
    pub status: u16,
}

impl Injected {
    pub fn new(body: Vec<u8>) -> Injected {
        let is_fault = matches!(
            insi_soap::decode_response(&body).map(|d| d.response),
            Ok(Response::Fault(_))
        );
        Injected {
            body,
            status: if is_fault { 500 } else { 200 },
        }
    }
}

/// The target's transport, with the case's injection on top.
#[derive(Clone, Debug)]
struct CaseTransport {
    inner: HttpTransport,
    inject: Option<Arc<Injected>>,
}

impl Transport for CaseTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let answer = self.inner.send(request).await?;
        Ok(match &self.inject {
            Some(file) => HttpResponse {
                status: file.status,
                body: file.body.clone(),
            },
            None => answer,
        })
    }
}

/// Settings shared by every case of a run.
#[derive(Debug)]
pub struct RunSettings {
    pub policy: RetryPolicy,
    pub acknowledged_production: bool,
    pub caller_template: Caller,
    pub default_auth: Auth,
    pub default_strategy: model::Strategy,
    /// The package directory: `input.card` paths are relative to it.
    pub package_root: PathBuf,
}

pub async fn execute(
    target: &RunTarget,
    settings: &RunSettings,
    case: &Case,
    inject: Option<Arc<Injected>>,
) -> Outcome {
    let auth = case.auth.unwrap_or(settings.default_auth);
    let input = &case.input;
    // Validate what the case sends before any card or network work.
    let (traits, vitale) = match case.operation {
        Operation::SearchVitale => match super::cards::vitale_search(&settings.package_root, input)
        {
            Ok(v) => (None, Some(v)),
            Err(outcome) => return *outcome,
        },
        _ => match parse_traits(input) {
            Ok(t) => (Some(t), None),
            Err(refusal) => {
                return Outcome {
                    refused: Some(refusal),
                    ..Outcome::default()
                };
            }
        },
    };
    let (transport, url, emetteur, assertions) = match auth {
        Auth::Mtls => {
            let credential = input.certificate.as_deref().unwrap_or(DEFAULT_CREDENTIAL);
            match target.transport(credential) {
                Ok((t, emetteur)) => (t, target.url.clone(), emetteur.clone(), None),
                Err(e) => return error(&e),
            }
        }
        Auth::Cpx => {
            let (t, url) = match target.cpx() {
                Ok((url, t)) => (t, url.clone()),
                Err(e) => return error(&e),
            };
            match super::cards::cpx_assertions(&settings.package_root, input) {
                Ok((provider, ps_id)) => (t, url, ps_id, Some(provider)),
                Err(e) => return error(&e),
            }
        }
    };
    let mut caller = settings.caller_template.clone();
    caller.idam = input.idam.clone().unwrap_or_else(|| target.idam.clone());
    caller.emetteur = emetteur;
    let transport = CaseTransport {
        inner: transport.clone(),
        inject,
    };
    let mut client = InsiClient::new(transport, url, caller)
        .with_policy(settings.policy)
        .with_guard(Guard {
            production: target.production,
            acknowledged: settings.acknowledged_production,
            origin: Origin::Runner,
        });
    if let Some(provider) = assertions {
        client = client.with_assertions(provider);
    }
    let strategy = match case.strategy.unwrap_or(settings.default_strategy) {
        model::Strategy::Single => Strategy::Single,
        model::Strategy::Cnda => Strategy::Cnda,
    };
    if let Some(search) = vitale {
        return match client.search_vitale(&search).await {
            Ok(report) => search_outcome(&report, None),
            Err(e) => error(&format!("{e} ({})", e.advice())),
        };
    }
    let Some(traits) = traits else {
        return error("internal: no traits for a trait operation");
    };
    match case.operation {
        Operation::SearchTraits => match client.search(&traits, strategy).await {
            Ok(report) => search_outcome(&report, Some(&traits)),
            Err(e) => error(&format!("{e} ({})", e.advice())),
        },
        Operation::Verify => {
            let stored = match stored_ins(input, traits.clone()) {
                Ok(s) => s,
                Err(refusal) => {
                    return Outcome {
                        refused: Some(refusal),
                        ..Outcome::default()
                    };
                }
            };
            match client.verify(&stored, strategy).await {
                Ok(report) => {
                    let mut outcome = search_outcome(&report.search, Some(&traits));
                    outcome.verdict = Some(verdict_name(report.verdict).to_owned());
                    outcome.warnings.extend(report.differences.iter().map(|d| {
                        format!("{}: stored {}, service {}", d.field, d.stored, d.service)
                    }));
                    outcome
                }
                Err(e) => error(&format!("{e} ({})", e.advice())),
            }
        }
        Operation::SearchVitale => error("internal: Vitale search handled above"),
    }
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Conforme => "conforme",
        Verdict::NonConforme => "non-conforme",
        Verdict::Introuvable => "introuvable",
    }
}

pub(super) fn error(message: &str) -> Outcome {
    Outcome {
        error: Some(message.to_owned()),
        ..Outcome::default()
    }
}

/// The client's own validation: what it refuses is never sent.
fn parse_traits(input: &model::Input) -> Result<Traits, Refusal> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Traits::parse(
        &text(&input.nom),
        &text(&input.prenoms),
        &text(&input.sexe),
        &text(&input.naissance),
        input.lieu.as_deref(),
    )
    .map_err(|e| {
        use ins::TraitError;
        use ins::normalize::TraitField;
        let (field, char, position) = match &e {
            TraitError::Lexical(l) => (
                match l.field {
                    TraitField::NomNaissance => "nom",
                    TraitField::Prenoms => "prenoms",
                },
                l.ch.map(String::from),
                Some(l.position),
            ),
            TraitError::Sexe(_) => ("sexe", None, None),
            TraitError::Date(_) => ("naissance", None, None),
            TraitError::Cog(_) => ("lieu", None, None),
        };
        Refusal {
            field: field.into(),
            char,
            position,
            message: e.to_string(),
        }
    })
}

fn stored_ins(input: &model::Input, traits: Traits) -> Result<StoredIns, Refusal> {
    let refusal = |field: &str, message: String| Refusal {
        field: field.into(),
        char: None,
        position: None,
        message,
    };
    let matricule = Matricule::parse(input.matricule.as_deref().unwrap_or_default())
        .map_err(|e| refusal("matricule", e.describe()))?;
    let cle = match input.cle.as_deref() {
        Some(text) => Some(
            text.parse::<Cle>()
                .map_err(|e| refusal("cle", e.describe()))?,
        ),
        None => None,
    };
    let oid = Oid::new(input.oid.as_deref().unwrap_or_default());
    Ok(StoredIns {
        matricule,
        cle,
        oid,
        traits,
    })
}

fn search_outcome(report: &SearchReport, traits: Option<&Traits>) -> Outcome {
    let mut outcome = Outcome {
        attempts: report
            .trace
            .attempts
            .iter()
            .map(|a| attempt(a, traits))
            .collect(),
        ..Outcome::default()
    };
    outcome.warnings = decoder_warnings(&report.trace);
    match &report.outcome {
        insi_client::Outcome::Resultat(r) => resultat(&mut outcome, r),
        insi_client::Outcome::Fault(f) => {
            let erreur = f.erreur.as_ref();
            outcome.fault = Some(FaultValue {
                subcode: f.subcode.clone(),
                code: erreur.map(|e| e.code.clone()),
                severite: erreur.map(|e| e.severite.clone()),
                http_status: report.trace.attempts.last().and_then(|a| a.http_status),
                reason: Some(f.reason.clone()),
            });
        }
        insi_client::Outcome::Failed(e) => outcome.error = Some(format!("{e} ({})", e.advice())),
    }
    outcome
}

fn attempt(a: &insi_client::Attempt, traits: Option<&Traits>) -> Attempt {
    let (cr, fault) = match &a.outcome {
        AttemptOutcome::Cr { code } => (Some(code.clone()), None),
        AttemptOutcome::Fault { code } => (None, Some(code.clone())),
        AttemptOutcome::Transport { .. } => (None, None),
    };
    Attempt {
        // A Vitale search sends no first name.
        prenom: (a.kind != QueryKind::Vitale).then(|| a.prenom.clone()),
        lieu: a
            .with_cog
            .then(|| traits.and_then(|t| t.lieu_naissance.map(|c| c.to_string())))
            .flatten(),
        http_status: a.http_status,
        cr,
        fault,
        ms: a.ms(),
        request: Some(String::from_utf8_lossy(&a.request).into_owned()),
        response: a
            .response
            .as_ref()
            .map(|r| String::from_utf8_lossy(r).into_owned()),
    }
}

/// What the decoder tolerated in the answers, so reports show it.
fn decoder_warnings(trace: &Trace) -> Vec<String> {
    let mut warnings = Vec::new();
    for a in &trace.attempts {
        if let Some(body) = &a.response
            && let Ok(decoded) = insi_soap::decode_response(body)
        {
            warnings.extend(
                decoded
                    .warnings
                    .iter()
                    .map(|w| format!("call {}: {w}", a.index + 1)),
            );
        }
    }
    warnings
}

fn resultat(outcome: &mut Outcome, r: &Resultat) {
    outcome.cr = Some(r.cr.code().to_owned());
    let Some(individu) = &r.individu else { return };
    outcome.ins = Some(ins_value(&individu.ins_actif));
    outcome.ins_histo = individu.ins_histo.iter().map(ins_value).collect();
    let tiq = &individu.tiq;
    outcome.traits = Some(TraitsValue {
        nom_naissance: tiq.nom_naissance.clone(),
        prenom: tiq.prenom.clone(),
        liste_prenom: tiq.liste_prenom.clone(),
        sexe: tiq.sexe.clone(),
        date_naissance: tiq.date_naissance.clone(),
        lieu_naissance: tiq.lieu_naissance.clone(),
    });
}

fn ins_value(n: &InsNumber) -> InsValue {
    InsValue {
        matricule: n.id_individu.num_identifiant.clone(),
        cle: n.id_individu.cle.clone(),
        oid: Some(n.oid.to_string()),
        date_deb: n.date_deb.clone(),
        date_fin: n.date_fin.clone(),
    }
}

/// Times a case from start to outcome.
pub async fn timed<F: Future<Output = Outcome>>(f: F) -> (Outcome, f64) {
    let start = Instant::now();
    let outcome = f.await;
    (outcome, start.elapsed().as_secs_f64() * 1000.0)
}
