//! The HTTP side: an axum Router with the SOAP endpoint (`POST /lps` by default) and a trivial
//! `GET /health`, and the order in which a request is judged.
//!
//! Order (each step can end the request): body read (limit → 413, slow body → 408) → decode
//! (malformed → fault) → chaos draw (a reset drops the connection) → operation from
//! `wsa:Action` / content-type `action` → host authentication (mTLS CN → DESIR_560; CPx
//! assertion) → IDAM allow-list (→ desir_550) → injection rules → chaos faults → persona faults
//! → search → RESULTAT. Chaos latency is waited before the answer whatever it is.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use insi_soap::{Operation, RequestBody, Resultat, ResultatStyle};

use crate::chaos::Chaos;
use crate::cpx::CpxVerifier;
use crate::fault::FaultCode;
use crate::inject::{self, Injection};
use crate::search::{Outcome, TraitQuery, VitaleQuery};
use crate::store::Store;
use crate::tls::{HostMode, PeerIdentity};

/// The CNs the mTLS host accepts (INSI-PROTOCOL.md §2.5.1).
pub const ACCEPTED_CNS: [&str; 2] = ["INSI-AUTO", "INSI-MANU"];

/// Per-connection facts the accept loop attaches to each request.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub mode: HostMode,
    pub peer: Arc<PeerIdentity>,
    /// Notified to drop the connection without an answer (chaos resets).
    pub reset: Arc<tokio::sync::Notify>,
}

/// Everything the handler needs, shared by all connections.
#[derive(Debug)]
pub struct AppState {
    pub store: Arc<Store>,
    pub idams: HashSet<String>,
    pub style: ResultatStyle,
    pub chaos: Chaos,
    pub injections: Vec<Injection>,
    pub body_limit: usize,
    pub body_timeout: Duration,
    pub cpx: Option<CpxVerifier>,
}

/// The router: `POST {path}` (SOAP) and `GET /health`.
pub fn router(state: Arc<AppState>, path: &str) -> Router {
    Router::new()
        .route(path, post(soap))
        .route("/health", get(health))
        .with_state(state)
}

async fn health() -> &'static str {
    "ok"
}

fn soap_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/soap+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn fault_response(code: FaultCode, message_id: Option<&str>, cause: &str) -> Response {
    let (fault, style) = code.fault(message_id, cause);
    tracing::debug!(code = code.detail_code(), cause, "fault");
    soap_response(StatusCode::INTERNAL_SERVER_ERROR, fault.encode(style))
}

async fn soap(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some(conn) = parts.extensions.get::<ConnInfo>().cloned() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "connection info missing").into_response();
    };
    let bytes = match read_body(body, state.body_limit, state.body_timeout).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let limits = insi_soap::Limits {
        max_bytes: state.body_limit,
        ..insi_soap::Limits::DEFAULT
    };
    let (response, fate) = match insi_soap::decode_request_with(&bytes, limits) {
        Err(e) => (
            fault_response(FaultCode::Malformed, None, &e.to_string()),
            state.chaos.draw(false),
        ),
        Ok(decoded) => {
            let request = decoded.request;
            let fate = state
                .chaos
                .draw(matches!(request.body, RequestBody::RecSansVitale(_)));
            (
                judge(&state, &conn, &parts.headers, &request, fate.fault),
                fate,
            )
        }
    };
    if fate.reset {
        tracing::debug!("chaos: connection reset");
        conn.reset.notify_one();
        // The connection task drops the connection; this future is dropped with it.
        std::future::pending::<()>().await;
    }
    if !fate.delay.is_zero() {
        tokio::time::sleep(fate.delay).await;
    }
    response
}

async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, Response> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err((
            StatusCode::REQUEST_TIMEOUT,
            format!("request body not received within {} s", timeout.as_secs()),
        )
            .into_response()),
        Ok(Err(_)) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body larger than the {limit}-byte limit"),
        )
            .into_response()),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// The `action` parameter of a SOAP 1.2 content type, if any.
fn content_type_action(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    ct.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("action")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn judge(
    state: &AppState,
    conn: &ConnInfo,
    headers: &HeaderMap,
    decoded: &insi_soap::Request,
    chaos_fault: Option<FaultCode>,
) -> Response {
    let mid = decoded.message_id.as_deref();

    // Operation: wsa:Action, and the content-type action when present; they must agree with
    // each other and with the body.
    let ct_action = content_type_action(headers);
    let action = decoded.action.clone().or(ct_action.clone());
    let Some(action) = action else {
        return fault_response(
            FaultCode::Malformed,
            mid,
            "no wsa:Action header and no action parameter in Content-Type",
        );
    };
    let Some(operation) = Operation::from_action(&action) else {
        return fault_response(
            FaultCode::Malformed,
            mid,
            &format!("unknown action '{action}'"),
        );
    };
    if let Some(ct) = &ct_action
        && Operation::from_action(ct) != Some(operation)
    {
        return fault_response(
            FaultCode::Malformed,
            mid,
            &format!("Content-Type action '{ct}' differs from wsa:Action '{action}'"),
        );
    }
    if decoded.body.operation() != operation {
        return fault_response(
            FaultCode::Malformed,
            mid,
            &format!("action {} does not match the body", operation.name()),
        );
    }

    // Host authentication.
    match conn.mode {
        HostMode::Mtls => {
            let cn = conn.peer.cn.as_deref().unwrap_or_default();
            if !ACCEPTED_CNS.contains(&cn) {
                return fault_response(
                    FaultCode::Desir560,
                    mid,
                    &format!("certificate CN '{cn}' is not INSI-AUTO or INSI-MANU"),
                );
            }
        }
        HostMode::Cpx => {
            let Some(verifier) = &state.cpx else {
                return fault_response(
                    FaultCode::Assertion,
                    mid,
                    "CPx verification is not configured",
                );
            };
            if let Err(why) = verifier.verify(&decoded.assertions) {
                return fault_response(FaultCode::Assertion, mid, &why);
            }
        }
    }

    // IDAM allow-list.
    let idam = decoded
        .contexte_lps
        .as_ref()
        .and_then(|c| c.lps.as_ref())
        .and_then(|l| l.idam.as_deref())
        .map(str::trim);
    if !idam.is_some_and(|i| state.idams.contains(i)) {
        return fault_response(FaultCode::Desir550, mid, "unknown IDAM");
    }

    let traits = match &decoded.body {
        RequestBody::RecSansVitale(r) => Some(TraitQuery {
            nom_naissance: r.nom_naissance.clone().unwrap_or_default(),
            prenoms: r.prenoms.clone(),
            sexe: r.sexe.clone().unwrap_or_default(),
            date_naissance: r.date_naissance.clone().unwrap_or_default(),
            lieu_naissance: r.lieu_naissance.clone(),
        }),
        RequestBody::RecVitale(_) => None,
    };

    let case_id = headers
        .get(inject::CASE_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Some(rule) = inject::find(&state.injections, case_id, traits.as_ref()) {
        let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::OK);
        return (
            status,
            [(header::CONTENT_TYPE, "application/soap+xml; charset=utf-8")],
            rule.body.clone(),
        )
            .into_response();
    }

    if let Some(code) = chaos_fault {
        return fault_response(code, mid, "chaos");
    }

    let outcome = match (&decoded.body, &traits) {
        (RequestBody::RecSansVitale(_), Some(q)) => {
            if let Some(f) = state.store.fault_for(q) {
                return fault_response(f.fault, mid, "persona");
            }
            state.store.search_traits(q)
        }
        (RequestBody::RecVitale(r), _) => state.store.search_vitale(&VitaleQuery {
            matricule_individu: r
                .matricule_individu
                .as_ref()
                .map(|m| m.num_identifiant.clone()),
            matricule_od: r.matricule_od.as_ref().map(|m| m.num_identifiant.clone()),
            nom_naissance: r.nom_naissance.clone(),
            date_naissance: r.date_naissance.clone(),
            rang_naissance: r.rang_naissance.clone(),
        }),
        (RequestBody::RecSansVitale(_), None) => Ok(Outcome::NotFound),
    };
    match outcome {
        Ok(outcome) => {
            tracing::debug!(op = operation.name(), cr = outcome.code(), "answered");
            soap_response(StatusCode::OK, resultat(&outcome).encode(state.style))
        }
        Err(e) => {
            tracing::error!("store: {e}");
            fault_response(FaultCode::Insi102, mid, "store")
        }
    }
}

/// The RESULTAT of an outcome, from the stored text.
pub fn resultat(outcome: &Outcome) -> Resultat {
    match outcome {
        Outcome::Found(id) => {
            let ins = |i: &crate::identity::Ins| insi_soap::InsNumber {
                id_individu: insi_soap::MatriculeXml::new(&i.matricule, Some(&i.cle)),
                oid: ins::Oid::new(&i.oid),
                date_deb: i.date_deb.clone(),
                date_fin: i.date_fin.clone(),
            };
            Resultat::ok(insi_soap::Individu {
                ins_actif: ins(&id.ins),
                ins_histo: id.histo.iter().map(ins).collect(),
                tiq: insi_soap::Tiq {
                    nom_naissance: Some(id.nom_naissance.clone()),
                    prenom: None,
                    liste_prenom: Some(id.prenoms.clone()),
                    sexe: Some(id.sexe.clone()),
                    date_naissance: Some(id.date_naissance.clone()),
                    lieu_naissance: id.lieu_naissance.clone(),
                },
            })
        }
        Outcome::NotFound => Resultat::without_identity(ins::CodeCr::AucuneIdentite),
        Outcome::Several(_) => Resultat::without_identity(ins::CodeCr::PlusieursIdentites),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_action_is_read_leniently() {
        let ct = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            content_type_action(&h)
        };
        let a = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite";
        assert_eq!(
            ct(&format!(
                "application/soap+xml; charset=utf-8; action=\"{a}\""
            ))
            .as_deref(),
            Some(a)
        );
        assert_eq!(
            ct(&format!("application/soap+xml;ACTION={a}")).as_deref(),
            Some(a)
        );
        assert_eq!(ct("application/soap+xml; charset=utf-8"), None);
        assert_eq!(content_type_action(&HeaderMap::new()), None);
    }
}
