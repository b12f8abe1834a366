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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use insi_sim::exchange::{Exchange, Verdict};
    use insi_sim::reason::Reason;
    use insi_sim::search::TraitQuery;
    use insi_sim::tls::HostMode;

    use super::*;
    use crate::case::CheckCase;

    const IDAM: &str = "INSIBENCH001";
    const INSTANCE: &str = "6e2a1b6c-2f55-4c52-9a8e-1b3d5c7e9f01";
    const ACTION: &str = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite";

    fn case(id: &str) -> CheckCase {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/packages/cnda-public"
        );
        let package = insi_package::load(std::path::Path::new(root)).unwrap();
        CheckCase::all(&package)
            .into_iter()
            .find(|c| c.id == id)
            .unwrap()
    }

    /// A request as a client would send it; `tweak` edits the parts a test gets wrong.
    #[derive(Clone)]
    struct Req {
        nom: &'static str,
        prenom: &'static str,
        sexe: &'static str,
        naissance: &'static str,
        lieu: Option<&'static str>,
        message_id: String,
        idam: &'static str,
        instance: &'static str,
        emetteur: &'static str,
        ct_action: bool,
        cn: &'static str,
        verdict: Verdict,
    }

    fn req(
        nom: &'static str,
        prenom: &'static str,
        sexe: &'static str,
        naissance: &'static str,
    ) -> Req {
        Req {
            nom,
            prenom,
            sexe,
            naissance,
            lieu: None,
            message_id: format!("uuid:{}", uuid::Uuid::new_v4()),
            idam: IDAM,
            instance: INSTANCE,
            emetteur: "TESTBENCH01",
            ct_action: true,
            cn: "INSI-AUTO",
            verdict: Verdict::Cr("01".into()),
        }
    }

    impl Req {
        fn answered(mut self, verdict: Verdict) -> Req {
            self.verdict = verdict;
            self
        }
        fn cr(self, cr: &str) -> Req {
            self.answered(Verdict::Cr(cr.into()))
        }
        fn lieu(mut self, lieu: &'static str) -> Req {
            self.lieu = Some(lieu);
            self
        }

        fn exchange(&self) -> Exchange {
            let lieu = self.lieu.map_or(String::new(), |l| {
                format!("<ins:LieuNaissance>{l}</ins:LieuNaissance>")
            });
            let xml = format!(
                r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Version="01_02"><ctxbam:Id>b</ctxbam:Id><ctxbam:Temps>2026-12-03T08:00:00.000Z</ctxbam:Temps><ctxbam:COUVERTURE/></ctxbam:ContexteBAM><ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00"><ctxlps:Id>l</ctxlps:Id><ctxlps:Temps>2026-12-03T08:00:00.000Z</ctxlps:Temps><ctxlps:Emetteur>{}</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">{}</ctxlps:IDAM><ctxlps:Version>1.0</ctxlps:Version><ctxlps:Instance>{}</ctxlps:Instance><ctxlps:Nom>urn:lps:test:1.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS><wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">{ACTION}</wsa:Action><wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">{}</wsa:MessageID></soap:Header><soap:Body><ins:RECSANSVITALE xmlns:ins="http://www.cnamts.fr/INSiRecSans"><ins:NomNaissance>{}</ins:NomNaissance><ins:Prenom>{}</ins:Prenom><ins:Sexe>{}</ins:Sexe><ins:DateNaissance>{}</ins:DateNaissance>{lieu}</ins:RECSANSVITALE></soap:Body></soap:Envelope>"#,
                self.emetteur,
                self.idam,
                self.instance,
                self.message_id,
                self.nom,
                self.prenom,
                self.sexe,
                self.naissance
            );
            let ct = if self.ct_action {
                format!("application/soap+xml; charset=utf-8; action=\"{ACTION}\"")
            } else {
                "application/soap+xml; charset=utf-8".into()
            };
            Exchange {
                id: 0,
                at: jiff::Timestamp::UNIX_EPOCH,
                host: HostMode::Mtls,
                listener: SocketAddr::from(([127, 0, 0, 1], 8443)),
                remote: SocketAddr::from(([127, 0, 0, 1], 50000)),
                http_version: "HTTP/1.1",
                client_subject: format!("OU=TESTBENCH01, CN={}", self.cn),
                client_cn: Some(self.cn.into()),
                client_ou: Some("TESTBENCH01".into()),
                ps_name_id: None,
                method: "POST".into(),
                path: "/lps".into(),
                headers: vec![("content-type".into(), ct)],
                request: xml.into_bytes().into(),
                request_size: 0,
                status: Some(200),
                response: Default::default(),
                operation: Some(Operation::RechercherInsAvecTraitsIdentite),
                action: Some(ACTION.into()),
                message_id: Some(self.message_id.clone()),
                traits: Some(TraitQuery {
                    nom_naissance: self.nom.into(),
                    prenoms: vec![self.prenom.into()],
                    sexe: self.sexe.into(),
                    date_naissance: self.naissance.into(),
                    lieu_naissance: self.lieu.map(str::to_owned),
                }),
                warnings: vec![],
                verdict: self.verdict.clone(),
                reason: Reason::text("test"),
                duration: Duration::from_millis(1),
            }
        }
    }

    fn run(case_id: &str, reqs: &[Req], memory: &mut Memory) -> Vec<Mismatch> {
        let exchanges: Vec<Exchange> = reqs.iter().map(Req::exchange).collect();
        let refs: Vec<&Exchange> = exchanges.iter().collect();
        let cx = Context { idam: IDAM.into() };
        judge(&case(case_id), &refs, &cx, memory).mismatches
    }

    fn judged(case_id: &str, reqs: &[Req]) -> Vec<Mismatch> {
        run(case_id, reqs, &mut Memory::default())
    }

    fn has(ms: &[Mismatch], field: &str, expected_part: &str, actual_part: &str) -> bool {
        ms.iter().any(|m| {
            m.field == field && m.expected.contains(expected_part) && m.actual.contains(actual_part)
        })
    }

    fn tchitchi(prenom: &'static str) -> Req {
        req("TCHITCHI", prenom, "F", "1936-06-21")
    }

    #[test]
    fn the_tchitchi_loop_done_right_passes() {
        let ms = judged(
            "2.07-cas1",
            &[tchitchi("OLA").cr("01"), tchitchi("CATARINA").cr("00")],
        );
        assert!(ms.is_empty(), "{ms:#?}");
    }

    #[test]
    fn skipping_the_first_name_loop_is_named() {
        let ms = judged("2.07-cas1", &[tchitchi("OLA CATARINA BELLA").cr("01")]);
        assert!(
            has(
                &ms,
                "call 1: Prenom",
                "'OLA' (the first-name loop",
                "'OLA CATARINA BELLA'"
            ),
            "{ms:#?}"
        );
        assert!(
            has(&ms, "call 2", "Prenom 'CATARINA'", "no call after CR 01"),
            "{ms:#?}"
        );
        assert!(has(&ms, "cr", "CR 00", "'01'"), "{ms:#?}");
    }

    #[test]
    fn houilles_needs_each_prenom_then_all() {
        let h = |p| req("HOUILLES", p, "M", "1993-01-27");
        let right = [
            h("PIERRE"),
            h("PAUL"),
            h("JACQUES"),
            h("PIERRE PAUL JACQUES"),
        ];
        assert!(judged("2.07-cas2", &right).is_empty());
        let ms = judged("2.07-cas2", &right[..3]);
        assert!(
            has(
                &ms,
                "call 4",
                "Prenom 'PIERRE PAUL JACQUES' (the first-name loop: after each prénom alone",
                "no call after CR 01"
            ),
            "{ms:#?}"
        );
        let ms = judged(
            "2.07-cas2",
            &[
                h("PIERRE"),
                h("JACQUES"),
                h("PAUL"),
                h("PIERRE PAUL JACQUES"),
            ],
        );
        assert!(has(&ms, "call 2: Prenom", "'PAUL'", "'JACQUES'"), "{ms:#?}");
    }

    #[test]
    fn a_reused_message_id_is_caught_across_cases() {
        let mut memory = Memory::default();
        let mut first = tchitchi("OLA").cr("01");
        first.message_id = "uuid:0e2f6f5c-1b1a-4c2e-9d51-000000000001".into();
        let mut second = tchitchi("CATARINA").cr("00");
        second.message_id = first.message_id.clone();
        let ms = run("2.07-cas1", &[first.clone(), second], &mut memory);
        assert!(
            has(
                &ms,
                "call 2: wsa:MessageID",
                "fresh",
                "again (first sent in case 2.07-cas1, call 1)"
            ),
            "{ms:#?}"
        );
        let mut adrun = req("ADRUN", "ZOE", "F", "1975-12-31").cr("00");
        adrun.message_id = first.message_id;
        let ms = run("adrun-zoe", &[adrun], &mut memory);
        assert!(
            has(&ms, "call 1: wsa:MessageID", "fresh", "2.07-cas1"),
            "{ms:#?}"
        );
    }

    #[test]
    fn a_message_id_without_uuid_prefix_is_named() {
        let mut r = req("ADRUN", "ZOE", "F", "1975-12-31").cr("00");
        r.message_id = "12345".into();
        let ms = judged("adrun-zoe", &[r]);
        assert!(
            has(&ms, "call 1: wsa:MessageID", "uuid:", "'12345'"),
            "{ms:#?}"
        );
    }

    #[test]
    fn lower_case_traits_are_not_normalised() {
        let ms = judged(
            "adrun-zoe",
            &[req("adrun", "zoe", "F", "1975-12-31").cr("01")],
        );
        assert!(
            has(
                &ms,
                "call 1: NomNaissance",
                "'ADRUN' (normalised",
                "'adrun'"
            ),
            "{ms:#?}"
        );
        assert!(
            has(&ms, "call 1: Prenom", "'ZOE' (normalised", "'zoe'"),
            "{ms:#?}"
        );
    }

    #[test]
    fn input_to_refuse_must_not_be_sent() {
        assert!(judged("refus-chiffre", &[]).is_empty());
        let ms = judged(
            "refus-chiffre",
            &[req("DUPONT2", "JEAN", "M", "1980-01-01")],
        );
        assert!(
            has(
                &ms,
                "calls",
                "refused locally (field nom, character '2' at position 7)",
                "1 call(s) sent"
            ),
            "{ms:#?}"
        );
    }

    #[test]
    fn a_business_fault_is_not_retried() {
        let v = || {
            req("VANDERMONDE", "ARIANA", "F", "1995-06-17")
                .lieu("77284")
                .answered(Verdict::Fault("insi_102".into()))
        };
        assert!(judged("erreur-insi-102", &[v()]).is_empty());
        let ms = judged("erreur-insi-102", &[v(), v()]);
        assert!(
            has(&ms, "call 2", "never retried automatically", "another call"),
            "{ms:#?}"
        );
        assert!(has(&ms, "calls", "1", "2"), "{ms:#?}");
    }

    #[test]
    fn desir_1020_retries_are_bounded() {
        let a =
            || req("ADRUN", "ZOE", "F", "1975-12-31").answered(Verdict::Fault("desir_1020".into()));
        for n in 1..=3 {
            let calls: Vec<Req> = (0..n).map(|_| a()).collect();
            assert!(judged("panne-desir-1020", &calls).is_empty(), "{n} calls");
        }
        let ms = judged("panne-desir-1020", &[a(), a(), a(), a()]);
        assert!(
            has(&ms, "call 4", "at most 2 retries", "retry number 3"),
            "{ms:#?}"
        );
        assert!(has(&ms, "calls", "1 to 3", "4"), "{ms:#?}");
    }

    #[test]
    fn the_cog_comes_after_a_02_only() {
        let d = || req("DE VINCI", "LEONARDO", "M", "2014-02-01");
        assert!(judged("2.06-cas2", &[d().cr("02"), d().lieu("63220").cr("00")]).is_empty());
        let ms = judged("2.06-cas2", &[d().cr("02")]);
        assert!(
            has(
                &ms,
                "call 2",
                "with LieuNaissance 63220 (after CR 02",
                "no call after CR 02"
            ),
            "{ms:#?}"
        );
        let ms = judged("2.06-cas2", &[d().lieu("63220").cr("00")]);
        assert!(
            has(
                &ms,
                "call 1: LieuNaissance",
                "(absent) (no COG before a CR 02",
                "'63220'"
            ),
            "{ms:#?}"
        );
    }

    #[test]
    fn headers_and_certificate_are_judged() {
        let mut r = req("ADRUN", "ZOE", "F", "1975-12-31").cr("00");
        r.idam = "AUTRE";
        r.ct_action = false;
        r.cn = "INSI-TEST";
        r.emetteur = "999";
        let ms = judged("adrun-zoe", &[r]);
        assert!(
            has(
                &ms,
                "call 1: ContexteLPS/LPS/IDAM",
                "'INSIBENCH001'",
                "'AUTRE'"
            ),
            "{ms:#?}"
        );
        assert!(
            has(
                &ms,
                "call 1: Content-Type action",
                ACTION,
                "no action parameter"
            ),
            "{ms:#?}"
        );
        assert!(
            has(
                &ms,
                "call 1: certificate CN",
                "INSI-AUTO or INSI-MANU",
                "'INSI-TEST'"
            ),
            "{ms:#?}"
        );
        assert!(
            has(
                &ms,
                "call 1: ContexteLPS/Emetteur",
                "'TESTBENCH01' (the certificate OU)",
                "'999'"
            ),
            "{ms:#?}"
        );
        // The case's own IDAM is the one expected when it has one (desir_550).
        let mut r =
            req("ADRUN", "ZOE", "F", "1975-12-31").answered(Verdict::Fault("desir_550".into()));
        r.idam = "INCONNU00000";
        assert!(judged("auth-desir-550", &[r]).is_empty());
    }

    #[test]
    fn the_installation_instance_stays_the_same() {
        let mut memory = Memory::default();
        assert!(
            run(
                "adrun-zoe",
                &[req("ADRUN", "ZOE", "F", "1975-12-31").cr("00")],
                &mut memory
            )
            .is_empty()
        );
        let mut other = req("ADRUN", "ZOE", "F", "1975-12-31").cr("00");
        other.instance = "11111111-2222-4333-8444-555555555555";
        let ms = run("adrun-zoe", &[other], &mut memory);
        assert!(
            has(
                &ms,
                "call 1: ContexteLPS/LPS/Instance",
                INSTANCE,
                "11111111"
            ),
            "{ms:#?}"
        );
    }

    #[test]
    fn garbage_is_a_precise_mismatch_and_never_a_panic() {
        let mut e = req("ADRUN", "ZOE", "F", "1975-12-31").exchange();
        for body in [
            &b""[..],
            b"<",
            b"<soap:Envelope",
            b"\xff\xfe",
            b"<a><b></a>",
        ] {
            e.request = body.to_vec().into();
            let cx = Context { idam: IDAM.into() };
            let j = judge(&case("adrun-zoe"), &[&e], &cx, &mut Memory::default());
            assert!(
                j.mismatches.iter().any(|m| m.field == "call 1: request"),
                "{:#?}",
                j.mismatches
            );
        }
    }

    #[test]
    fn content_type_action_is_read_quoted_or_not() {
        let mut e = req("A", "B", "F", "2000-01-01").exchange();
        e.headers = vec![(
            "Content-Type".into(),
            "application/soap+xml;action=urn:x ; charset=utf-8".into(),
        )];
        assert_eq!(content_type_action(&e).as_deref(), Some("urn:x"));
        e.headers = vec![];
        assert_eq!(content_type_action(&e), None);
    }
}
