//! Runs one case against a [`Target`] and turns what the client reports into an
//! [`Outcome`]. Injection (the CNDA way) is done here, in the transport: the real request still
//! goes out — so authentication and the request itself are exercised and recorded — and the
//! answer is replaced by the case's response file, exactly as the CNDA asks software to ingest
//! the files it supplies. It therefore behaves the same on every target.

use std::sync::Arc;
use std::time::Instant;

use ins::{Cle, Matricule, Oid, Traits};
use insi_client::{
    AttemptOutcome, HttpRequest, HttpResponse, HttpTransport, InsiClient, QueryKind, SearchReport,
    StoredIns, Strategy, Transport, TransportError,
};
use insi_package::{Auth, Case, Operation};
use insi_soap::{InsNumber, Resultat};

use crate::cards::CardSet;
use crate::outcome::{Attempt, FaultValue, InsValue, Outcome, Refusal, TraitsValue};
use crate::target::{ClientOptions, DEFAULT_CREDENTIAL, Host, Target};

/// A response file to serve instead of the target's answer.
#[derive(Debug)]
pub struct Injected {
    pub body: Vec<u8>,
    /// 500 for a SOAP fault, 200 otherwise, decided once when the file is read (the
    /// simulator's own rule: `insi_sim::inject::status_for`).
    pub status: u16,
}

impl Injected {
    pub fn new(body: Vec<u8>) -> Injected {
        let status = insi_sim::inject::status_for(&body);
        Injected { body, status }
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

/// What every case of a run shares.
#[derive(Debug)]
pub(crate) struct CaseContext<'a> {
    pub target: &'a Target,
    pub cards: &'a CardSet,
    pub options: &'a ClientOptions,
    pub default_auth: Auth,
    pub default_strategy: insi_package::Strategy,
}

/// Runs one case and reports what happened; never fails: every problem is part of the outcome.
pub(crate) async fn execute(
    cx: &CaseContext<'_>,
    case: &Case,
    inject: Option<Arc<Injected>>,
) -> Outcome {
    let auth = case.auth.unwrap_or(cx.default_auth);
    let input = &case.input;
    // Validate what the case sends before any card or network work.
    let (traits, vitale) = match case.operation {
        Operation::SearchVitale => match cx.cards.vitale_search(input) {
            Ok(v) => (None, Some(v)),
            Err(outcome) => return *outcome,
        },
        _ => match parse_traits(input) {
            Ok(t) => (Some(t), None),
            Err(refusal) => return Outcome::refused(refusal),
        },
    };
    let credential = input.certificate.as_deref().unwrap_or(DEFAULT_CREDENTIAL);
    let cpx = match auth {
        Auth::Mtls => None,
        Auth::Cpx => match cx.cards.cpx_auth(input) {
            Ok(cpx) => Some(cpx),
            Err(e) => return Outcome::error(e),
        },
    };
    let host = if cpx.is_some() {
        Host::Cpx
    } else {
        Host::Mtls(credential)
    };
    let mut options = cx.options.clone();
    if let Some(idam) = &input.idam {
        options.idam = Some(idam.clone());
    }
    let target = cx.target;
    let endpoint = match target.endpoint(host) {
        Ok(e) => e,
        Err(e) => return Outcome::error(e.to_string()),
    };
    let caller = match target.caller(&endpoint, cpx.as_ref(), credential, &options) {
        Ok(c) => c,
        Err(e) => return Outcome::error(e.to_string()),
    };
    let transport = CaseTransport {
        inner: endpoint.transport.clone(),
        inject,
    };
    let mut client = InsiClient::new(transport, endpoint.url, caller)
        .with_policy(options.policy)
        .with_guard(target.guard(&options));
    if let Some(cpx) = &cpx {
        client = client.with_assertions(cpx.assertions.clone());
    }
    let strategy = match case.strategy.unwrap_or(cx.default_strategy) {
        insi_package::Strategy::Single => Strategy::Single,
        insi_package::Strategy::Cnda => Strategy::Cnda,
    };
    let failed = |e: insi_client::ClientError| Outcome::error(format!("{e} ({})", e.advice()));
    if let Some(search) = vitale {
        return match client.search_vitale(&search).await {
            Ok(report) => search_outcome(&report, None),
            Err(e) => failed(e),
        };
    }
    let Some(traits) = traits else {
        return Outcome::error("internal: no traits for a trait operation");
    };
    match case.operation {
        Operation::SearchTraits => match client.search(&traits, strategy).await {
            Ok(report) => search_outcome(&report, Some(&traits)),
            Err(e) => failed(e),
        },
        Operation::Verify => {
            let stored = match stored_ins(input, traits.clone()) {
                Ok(s) => s,
                Err(refusal) => return Outcome::refused(refusal),
            };
            match client.verify(&stored, strategy).await {
                Ok(report) => {
                    let mut outcome = search_outcome(&report.search, Some(&traits));
                    outcome.verdict = Some(report.verdict.as_str().to_owned());
                    outcome.warnings.extend(report.differences.iter().map(|d| {
                        format!("{}: stored {}, service {}", d.field, d.stored, d.service)
                    }));
                    outcome
                }
                Err(e) => failed(e),
            }
        }
        Operation::SearchVitale => Outcome::error("internal: Vitale search handled above"),
    }
}

/// The client's own validation: what it refuses is never sent.
fn parse_traits(input: &insi_package::Input) -> Result<Traits, Refusal> {
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

fn stored_ins(input: &insi_package::Input, traits: Traits) -> Result<StoredIns, Refusal> {
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
    outcome.warnings = decoder_warnings(report);
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

/// What the decoder tolerated in the answers, as the client recorded it, so reports show it.
fn decoder_warnings(report: &SearchReport) -> Vec<String> {
    report
        .trace
        .attempts
        .iter()
        .flat_map(|a| {
            a.warnings
                .iter()
                .map(|w| format!("call {}: {w}", a.index + 1))
        })
        .collect()
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
pub(crate) async fn timed<F: Future<Output = Outcome>>(f: F) -> (Outcome, f64) {
    let start = Instant::now();
    let outcome = f.await;
    (outcome, start.elapsed().as_secs_f64() * 1000.0)
}
