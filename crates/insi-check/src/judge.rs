//! The judge, sans-IO: the exchanges a case received + the [`CheckCase`] → [`Mismatch`]es and
//! an [`Outcome`] for the reports. It judges the **client's** behaviour: which calls it made
//! (the reference first-name loop of `insi_client::SearchPlan`, fed with the answers the
//! simulator really gave), and what each request carried (headers, traits, certificate, PS
//! assertion — the last two as the simulator verified them when the request came in).

use std::collections::HashMap;

use ins::CodeCr;
use insi_client::{Answer, SearchPlan, Step};
use insi_package::Auth;
use insi_runner::{Attempt, FaultValue, InsValue, Mismatch, Outcome, TraitsValue};
use insi_sim::exchange::{Exchange, Verdict};
use insi_sim::tls::HostMode;
use insi_soap::{DecodedRequest, Operation, RecSansVitale, RequestBody};

use crate::case::{CheckCase, Expected};

/// Certificate CNs INSi accepts on the mTLS host (INSI-PROTOCOL.md §2.5.1, DESIR_560).
pub const ACCEPTED_CNS: [&str; 2] = ["INSI-AUTO", "INSI-MANU"];

/// Retries of `desir_1020` (service unavailable) accepted after the first call: our choice, see
/// docs/check-client.md ("desir_1020 retries"). The public facts say it is transient; none says
/// how often to retry. insi-client's default is 2.
pub const MAX_DESIR_1020_RETRIES: usize = 2;

/// What the judge remembers across the cases of a session: identifiers that must be fresh per
/// request, and the installation identity that must stay the same.
#[derive(Debug, Default)]
pub struct Memory {
    /// MessageID → where it was first seen (`case 2.07-cas1, call 1`).
    message_ids: HashMap<String, String>,
    /// ContexteLPS/LPS/Instance of the first request of the session.
    instance: Option<(String, String)>,
}

/// The judge's verdict on one case.
#[derive(Debug, Default)]
pub struct Judgement {
    pub mismatches: Vec<Mismatch>,
    pub outcome: Outcome,
}

/// Session facts the judge compares with: the IDAM the software was given.
#[derive(Clone, Debug)]
pub struct Context {
    pub idam: String,
}

struct Findings(Vec<Mismatch>);

impl Findings {
    fn push(
        &mut self,
        field: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) {
        self.0.push(Mismatch {
            field: field.into(),
            expected: expected.into(),
            actual: actual.into(),
        });
    }
}

fn show(v: Option<&str>) -> String {
    v.map_or_else(|| "(absent)".to_owned(), |s| format!("'{s}'"))
}

/// Judges one case. `exchanges` are the requests the simulator received while the case was
/// under way, in order.
pub fn judge(
    case: &CheckCase,
    exchanges: &[&Exchange],
    cx: &Context,
    memory: &mut Memory,
) -> Judgement {
    let mut f = Findings(Vec::new());
    let mut outcome = outcome_of(exchanges);
    let expected = match &case.expected {
        Ok(e) => e,
        Err(why) => {
            f.push("case", "a case check-client can judge", why.clone());
            return Judgement {
                mismatches: f.0,
                outcome,
            };
        }
    };
    let decoded: Vec<Option<DecodedRequest>> = exchanges
        .iter()
        .map(|e| insi_soap::decode_request(&e.request).ok())
        .collect();
    for (i, (ex, req)) in exchanges.iter().zip(&decoded).enumerate() {
        request(
            &mut f,
            case,
            cx,
            memory,
            i + 1,
            ex,
            req.as_ref(),
            &mut outcome,
        );
    }
    match expected {
        Expected::Refusal {
            field,
            char,
            position,
        } => {
            if !exchanges.is_empty() {
                let mut what = format!("input refused locally (field {}", field.as_str());
                if let Some(c) = char {
                    what.push_str(&format!(", character '{c}'"));
                }
                if let Some(p) = position {
                    what.push_str(&format!(" at position {p}"));
                }
                what.push_str("): no call at all");
                f.push(
                    "calls",
                    what,
                    format!(
                        "{} call(s) sent; INSi must never receive traits the software should have refused",
                        exchanges.len()
                    ),
                );
            }
        }
        Expected::Calls {
            traits,
            strategy,
            calls,
            cr,
            fault,
        } => {
            sequence(&mut f, traits, *strategy, exchanges, &decoded);
            ending(&mut f, exchanges, *calls, cr.as_deref(), fault.as_deref());
        }
    }
    for line in &case.checklist {
        outcome.warnings.push(format!("check by hand: {line}"));
    }
    // Call by call, then what concerns the whole search (a stable sort keeps the rule order).
    f.0.sort_by_key(|m| call_number(&m.field));
    Judgement {
        mismatches: f.0,
        outcome,
    }
}

/// `call 3: …` → 3; anything else after every call.
fn call_number(field: &str) -> usize {
    field
        .strip_prefix("call ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(usize::MAX)
}

/// What one request carried.
#[allow(clippy::too_many_arguments)]
fn request(
    f: &mut Findings,
    case: &CheckCase,
    cx: &Context,
    memory: &mut Memory,
    n: usize,
    ex: &Exchange,
    decoded: Option<&DecodedRequest>,
    outcome: &mut Outcome,
) {
    let at = |what: &str| format!("call {n}: {what}");
    // Transport and authentication, as the simulator saw them.
    match case.auth {
        Auth::Mtls => {
            if ex.host != HostMode::Mtls {
                f.push(at("host"), "the mTLS host (INSI_URL)", "the CPx host");
            } else if case.certificate.is_none() {
                let cn = ex.client_cn.as_deref();
                if !cn.is_some_and(|c| ACCEPTED_CNS.contains(&c)) {
                    f.push(
                        at("certificate CN"),
                        "INSI-AUTO or INSI-MANU (an establishment certificate for INSi)",
                        format!("{} (subject {})", show(cn), ex.client_subject),
                    );
                }
            }
        }
        Auth::Cpx => {
            if ex.host != HostMode::Cpx {
                f.push(at("host"), "the CPx host (INSI_CPX_URL)", "the mTLS host");
            } else if ex.ps_name_id.is_none() && !expects_auth_fault(case) {
                f.push(
                    at("PS assertion"),
                    "a PS assertion the simulator verifies (signature, chain to the CPx CA, NameID = \
                     signature certificate CN, fresh IssueInstant)",
                    format!("refused: {}", ex.reason),
                );
            }
        }
    }
    let Some(decoded) = decoded else {
        let why = insi_soap::decode_request(&ex.request)
            .err()
            .map_or_else(|| "not decodable".to_owned(), |e| e.to_string());
        f.push(at("request"), "a SOAP 1.2 INSi request", why);
        return;
    };
    let req = &decoded.request;
    for w in &decoded.warnings {
        outcome.warnings.push(format!("call {n}: request: {w}"));
    }
    let operation = match &req.body {
        RequestBody::RecSansVitale(_) => Operation::RechercherInsAvecTraitsIdentite,
        RequestBody::RecVitale(_) => Operation::RechercherInsAvecCarteVitale,
    };
    if operation != Operation::RechercherInsAvecTraitsIdentite {
        f.push(
            at("operation"),
            Operation::RechercherInsAvecTraitsIdentite.name(),
            operation.name(),
        );
    }
    // wsa:Action names the body's operation, and the Content-Type action says the same (§1.4).
    let action = operation.action();
    if req.action.as_deref() != Some(action) {
        f.push(at("wsa:Action"), action, show(req.action.as_deref()));
    }
    let ct_action = content_type_action(ex);
    if ct_action.as_deref() != Some(action) {
        f.push(
            at("Content-Type action"),
            format!("action=\"{action}\" (application/soap+xml; charset=utf-8; action=…)"),
            match ct_action {
                Some(a) => format!("'{a}'"),
                None => format!(
                    "no action parameter (Content-Type {})",
                    show(header(ex, "content-type"))
                ),
            },
        );
    }
    // A fresh MessageID per request (§2.2), `uuid:` + a UUID.
    let here = format!("case {}, call {n}", case.id);
    match req.message_id.as_deref() {
        None => f.push(at("wsa:MessageID"), "uuid:<a fresh UUID>", "(absent)"),
        Some(id) => {
            let uuid_ok = id
                .strip_prefix("uuid:")
                .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok());
            if !uuid_ok {
                f.push(
                    at("wsa:MessageID"),
                    "uuid:<a fresh UUID>",
                    format!("'{id}'"),
                );
            }
            match memory.message_ids.get(id) {
                Some(first) => f.push(
                    at("wsa:MessageID"),
                    "a fresh MessageID for every request",
                    format!("'{id}' again (first sent in {first})"),
                ),
                None => {
                    memory.message_ids.insert(id.to_owned(), here.clone());
                }
            }
        }
    }
    // ContexteLPS (§2.3): the IDAM given, the software's Version, Instance and Nom.
    match &req.contexte_lps {
        None => f.push(at("ContexteLPS"), "present", "(absent)"),
        Some(lps) => {
            let idam = case.idam.as_deref().unwrap_or(&cx.idam);
            let soft = lps.lps.as_ref();
            let sent_idam = soft.and_then(|l| l.idam.as_deref());
            if sent_idam != Some(idam) {
                f.push(
                    at("ContexteLPS/LPS/IDAM"),
                    format!("'{idam}'"),
                    show(sent_idam),
                );
            }
            for (name, value) in [
                ("Version", soft.and_then(|l| l.version.as_deref())),
                ("Instance", soft.and_then(|l| l.instance.as_deref())),
                ("Nom", soft.and_then(|l| l.nom.as_deref())),
            ] {
                if value.is_none_or(|v| v.trim().is_empty()) {
                    f.push(
                        at(&format!("ContexteLPS/LPS/{name}")),
                        "present and not empty",
                        show(value),
                    );
                }
            }
            if let Some(nom) = soft.and_then(|l| l.nom.as_deref())
                && !nom.starts_with("urn:lps:")
            {
                outcome.warnings.push(format!(
                    "call {n}: ContexteLPS/LPS/Nom '{nom}' is not of the form urn:lps:<name>:<version> every public client uses"
                ));
            }
            if let Some(instance) = soft.and_then(|l| l.instance.as_deref()) {
                match &memory.instance {
                    None => memory.instance = Some((instance.to_owned(), here.clone())),
                    Some((first, where_)) if first != instance => f.push(
                        at("ContexteLPS/LPS/Instance"),
                        format!("the same installation UUID as before ('{first}', {where_})"),
                        format!("'{instance}'"),
                    ),
                    Some(_) => {}
                }
            }
            // Emetteur: the certificate OU in mTLS, the PS identifier (NameID) in CPx (§2.3).
            let emitter = match case.auth {
                Auth::Mtls => ex.client_ou.as_deref().map(|ou| (ou, "the certificate OU")),
                Auth::Cpx => ex
                    .ps_name_id
                    .as_deref()
                    .map(|id| (id, "the PS identifier (NameID)")),
            };
            if let Some((want, what)) = emitter
                && lps.emetteur.as_deref() != Some(want)
            {
                f.push(
                    at("ContexteLPS/Emetteur"),
                    format!("'{want}' ({what})"),
                    show(lps.emetteur.as_deref()),
                );
            }
        }
    }
    if req.contexte_bam.is_none() {
        f.push(
            at("ContexteBAM"),
            "present (Version 01_02, an empty COUVERTURE for a trait search)",
            "(absent)",
        );
    }
}

/// The CPx cases whose point is a refused assertion (foreign CA…): the refusal is expected.
fn expects_auth_fault(case: &CheckCase) -> bool {
    matches!(&case.expected, Ok(Expected::Calls { fault: Some(code), .. })
        if code.eq_ignore_ascii_case("insisim_assertion") || code.eq_ignore_ascii_case("DESIR_560"))
}

fn header<'a>(ex: &'a Exchange, name: &str) -> Option<&'a str> {
    ex.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The `action` parameter of the Content-Type, unquoted.
pub fn content_type_action(ex: &Exchange) -> Option<String> {
    let ct = header(ex, "content-type")?;
    ct.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("action")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The traits sent by one call, as the simulator decoded them.
fn sent(decoded: Option<&DecodedRequest>) -> Option<&RecSansVitale> {
    match &decoded?.request.body {
        RequestBody::RecSansVitale(r) => Some(r),
        RequestBody::RecVitale(_) => None,
    }
}

/// The calls, against the reference strategy fed with the simulator's real answers.
fn sequence(
    f: &mut Findings,
    traits: &ins::Traits,
    strategy: insi_client::Strategy,
    exchanges: &[&Exchange],
    decoded: &[Option<DecodedRequest>],
) {
    let mut plan = SearchPlan::new(traits, strategy);
    // The query of the previous call, while its answer allows a retry (desir_1020, no answer).
    let mut retrying: Option<(RecSansVitale, usize)> = None;
    let mut over_after: Option<(usize, String)> = None;
    for (i, (ex, dec)) in exchanges.iter().zip(decoded).enumerate() {
        let n = i + 1;
        let body = sent(dec.as_ref());
        if let Some((previous, retries)) = retrying.take() {
            if body == Some(&previous) {
                if retries >= MAX_DESIR_1020_RETRIES {
                    f.push(
                        format!("call {n}"),
                        format!(
                            "at most {MAX_DESIR_1020_RETRIES} retries of a desir_1020 / unanswered call"
                        ),
                        format!("retry number {} of the same query", retries + 1),
                    );
                }
                if let Some(r) = next_retry(ex) {
                    retrying = Some((previous, retries + r));
                } else {
                    answer(&mut plan, ex);
                }
                continue;
            }
            // The software gave up retrying: that query ended in failure.
            plan.answer(Answer::Failed);
        }
        let query = match plan.next_step() {
            Step::Send(q) => q,
            Step::Done { .. } => {
                let (last, why) = over_after
                    .clone()
                    .unwrap_or((i, "the search was over".into()));
                f.push(
                    format!("call {n}"),
                    format!("no call: the search was over after call {last} ({why})"),
                    format!("another call{}", prenom_of(body)),
                );
                continue;
            }
        };
        let want = RecSansVitale::with_prenom(&query.traits, &query.prenom());
        match body {
            None => f.push(
                format!("call {n}"),
                "a trait search (RECSANSVITALE)",
                "no trait search body",
            ),
            Some(got) => compare_traits(f, n, &want, got, query.kind),
        }
        if next_retry(ex).is_some() {
            retrying = Some((body.cloned().unwrap_or(want), 0));
            continue;
        }
        over_after = Some((n, ex.verdict.label()));
        if matches!(ex.verdict, Verdict::Fault(_)) {
            over_after = Some((
                n,
                format!(
                    "{}: a business fault is final, never retried automatically",
                    ex.verdict.label()
                ),
            ));
        } else if let Verdict::Cr(c) = &ex.verdict
            && c == "00"
        {
            over_after = Some((n, "CR 00 ends the first-name loop".into()));
        }
        answer(&mut plan, ex);
    }
    if retrying.is_some() {
        // Giving up after a desir_1020 (or no retry at all) is allowed: retries are bounded.
        return;
    }
    if let Step::Send(q) = plan.next_step() {
        let after = exchanges.last().map_or_else(
            || "no call at all".to_owned(),
            |e| format!("no call after {}", e.verdict.label()),
        );
        f.push(
            format!("call {}", exchanges.len() + 1),
            format!(
                "Prenom '{}'{} ({})",
                q.prenom(),
                q.traits
                    .lieu_naissance
                    .map_or(String::new(), |c| format!(" with LieuNaissance {c}")),
                why_next(q.kind)
            ),
            after,
        );
    }
}

fn why_next(kind: insi_client::QueryKind) -> &'static str {
    use insi_client::QueryKind::*;
    match kind {
        AsGiven => "one call with the traits as entered",
        OnePrenom => "the first-name loop: each prénom alone, in order, until CR 00",
        AllPrenoms => "the first-name loop: after each prénom alone, all prénoms together",
        WithCog => "after CR 02 (several identities), the same query with the birthplace COG",
        Vitale => "a Vitale search",
    }
}

fn prenom_of(body: Option<&RecSansVitale>) -> String {
    body.map_or(String::new(), |b| {
        format!(" (Prenom '{}')", b.prenoms.join(" "))
    })
}

/// `Some(1)` when the answer lets the software retry the same query: desir_1020 (transient,
/// §4.2) or no answer at all (reset).
fn next_retry(ex: &Exchange) -> Option<usize> {
    match &ex.verdict {
        Verdict::Fault(code) if insi_client::is_retryable_fault(code) => Some(1),
        Verdict::Reset => Some(1),
        _ => None,
    }
}

fn answer(plan: &mut SearchPlan, ex: &Exchange) {
    plan.answer(match &ex.verdict {
        Verdict::Cr(code) => Answer::Cr(CodeCr::new(code)),
        _ => Answer::Failed,
    });
}

/// The traits of one call against the reference query (normalised, INSI-PROTOCOL.md §6).
fn compare_traits(
    f: &mut Findings,
    n: usize,
    want: &RecSansVitale,
    got: &RecSansVitale,
    kind: insi_client::QueryKind,
) {
    let field = |name: &str| format!("call {n}: {name}");
    let norm = "normalised as INSi requires: upper case, no diacritics (§6.1)";
    if got.nom_naissance != want.nom_naissance {
        f.push(
            field("NomNaissance"),
            format!("{} ({norm})", show(want.nom_naissance.as_deref())),
            show(got.nom_naissance.as_deref()),
        );
    }
    let got_prenom = got.prenoms.join(" ");
    let want_prenom = want.prenoms.join(" ");
    if got_prenom != want_prenom {
        let same_letters = got_prenom.to_uppercase() == want_prenom;
        f.push(
            field("Prenom"),
            format!(
                "'{want_prenom}' ({})",
                if same_letters { norm } else { why_next(kind) }
            ),
            format!("'{got_prenom}'"),
        );
    }
    if got.sexe != want.sexe {
        f.push(
            field("Sexe"),
            show(want.sexe.as_deref()),
            show(got.sexe.as_deref()),
        );
    }
    if got.date_naissance != want.date_naissance {
        f.push(
            field("DateNaissance"),
            format!("{} (YYYY-MM-DD)", show(want.date_naissance.as_deref())),
            show(got.date_naissance.as_deref()),
        );
    }
    if got.lieu_naissance != want.lieu_naissance {
        let why = match (&want.lieu_naissance, kind) {
            (None, _) => "no COG before a CR 02: the first-name loop sends it only to narrow a 02",
            (Some(_), insi_client::QueryKind::WithCog) => {
                "after CR 02, the same query with the birthplace COG"
            }
            (Some(_), _) => "the COG as entered",
        };
        f.push(
            field("LieuNaissance"),
            format!("{} ({why})", show(want.lieu_naissance.as_deref())),
            show(got.lieu_naissance.as_deref()),
        );
    }
}

/// The end of the search: the fault it must end on, the final CR, the number of calls.
fn ending(
    f: &mut Findings,
    exchanges: &[&Exchange],
    calls: Option<u32>,
    cr: Option<&str>,
    fault: Option<&str>,
) {
    let transient = fault.is_some_and(insi_client::is_retryable_fault);
    if let Some(max) = calls {
        let max = max as usize;
        let n = exchanges.len();
        if transient {
            if n == 0 || n > max {
                f.push(
                    "calls",
                    format!("1 to {max} (desir_1020 retries are bounded)"),
                    n.to_string(),
                );
            }
        } else if n != max {
            f.push("calls", max.to_string(), n.to_string());
        }
    }
    let decisive = decisive(exchanges);
    if let Some(code) = fault {
        let got = decisive.and_then(|e| match &e.verdict {
            Verdict::Fault(c) => Some(c.as_str()),
            _ => None,
        });
        if !got.is_some_and(|g| g.eq_ignore_ascii_case(code)) {
            f.push("fault", code, show(got));
        }
    }
    if let Some(want) = cr {
        let got = decisive.and_then(|e| match &e.verdict {
            Verdict::Cr(c) => Some(c.as_str()),
            _ => None,
        });
        if got != Some(want) && !exchanges.is_empty() {
            f.push("cr", format!("the search reaches CR {want}"), show(got));
        }
    }
}

/// The answer that is the search's result: a `00` if one came, else the last (the client's rule
/// too, `insi_client::strategy`, except that a 02 is not preferred: the judge only reports).
fn decisive<'a>(exchanges: &[&'a Exchange]) -> Option<&'a Exchange> {
    exchanges
        .iter()
        .find(|e| e.verdict == Verdict::Cr("00".into()))
        .or_else(|| exchanges.last())
        .copied()
}

/// What the reports show: every exchange as an attempt (raw request and response), and the
/// decisive answer decoded.
pub fn outcome_of(exchanges: &[&Exchange]) -> Outcome {
    let attempts = exchanges
        .iter()
        .map(|e| Attempt {
            prenom: e.traits.as_ref().map(|t| t.prenoms.join(" ")),
            lieu: e.traits.as_ref().and_then(|t| t.lieu_naissance.clone()),
            http_status: e.status,
            cr: match &e.verdict {
                Verdict::Cr(c) => Some(c.clone()),
                _ => None,
            },
            fault: match &e.verdict {
                Verdict::Fault(c) => Some(c.clone()),
                Verdict::Http(s) => Some(format!("HTTP {s}")),
                Verdict::Reset => Some("reset".into()),
                Verdict::Cr(_) => None,
            },
            ms: e.duration.as_secs_f64() * 1000.0,
            request: Some(String::from_utf8_lossy(&e.request).into_owned()),
            response: Some(String::from_utf8_lossy(&e.response).into_owned()),
        })
        .collect();
    let mut outcome = Outcome {
        attempts,
        ..Outcome::default()
    };
    for (i, e) in exchanges.iter().enumerate() {
        outcome
            .warnings
            .push(format!("call {}: simulator: {}", i + 1, e.reason));
    }
    let Some(last) = decisive(exchanges) else {
        return outcome;
    };
    let Ok(decoded) = insi_soap::decode_response(&last.response) else {
        return outcome;
    };
    match decoded.response {
        insi_soap::Response::Resultat(r) => {
            outcome.cr = Some(r.cr.code().to_owned());
            if let Some(ind) = &r.individu {
                outcome.ins = Some(ins_value(&ind.ins_actif));
                outcome.ins_histo = ind.ins_histo.iter().map(ins_value).collect();
                let t = &ind.tiq;
                outcome.traits = Some(TraitsValue {
                    nom_naissance: t.nom_naissance.clone(),
                    prenom: t.prenom.clone(),
                    liste_prenom: t.liste_prenom.clone(),
                    sexe: t.sexe.clone(),
                    date_naissance: t.date_naissance.clone(),
                    lieu_naissance: t.lieu_naissance.clone(),
                });
            }
        }
        insi_soap::Response::Fault(fault) => {
            outcome.fault = Some(FaultValue {
                subcode: fault.subcode.clone(),
                code: fault.erreur.as_ref().map(|e| e.code.clone()),
                severite: fault.erreur.as_ref().map(|e| e.severite.clone()),
                http_status: last.status,
                reason: Some(fault.reason.clone()),
            });
        }
    }
    outcome
}

fn ins_value(n: &insi_soap::InsNumber) -> InsValue {
    InsValue {
        matricule: n.id_individu.num_identifiant.clone(),
        cle: n.id_individu.cle.clone(),
        oid: Some(n.oid.to_string()),
        date_deb: n.date_deb.clone(),
        date_fin: n.date_fin.clone(),
    }
}
