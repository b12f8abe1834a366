//! The HTTP side: an axum Router with the SOAP endpoint (`POST /lps` by default) and a trivial
//! `GET /health`, and the order in which a request is judged.
//!
//! Order (each step can end the request): body read (limit → 413, slow body → 408) → decode
//! (malformed → fault) → chaos draw (a reset drops the connection) → operation from
//! `wsa:Action` / content-type `action` → host authentication (mTLS CN → DESIR_560; CPx
//! assertion) → IDAM allow-list (→ desir_550) → injection rules → chaos faults → persona faults
//! → search → RESULTAT. Chaos latency is waited before the answer whatever it is.
//!
//! Each step that ends the request writes its [`Answer`] with a [`Reason`] saying why, there and
//! then; when someone reads the [`ExchangeLog`], the handler publishes the request, the answer
//! and the reason as an [`Exchange`].

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Version, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use insi_soap::{Operation, RequestBody, Resultat, ResultatStyle};

use crate::chaos::{Chaos, ChaosAction};
use crate::cpx::CpxVerifier;
use crate::exchange::{Exchange, ExchangeLog, Verdict};
use crate::fault::FaultCode;
use crate::inject::{self, Injection};
use crate::reason::{Personal, Reason};
use crate::search::{self, Outcome, TraitQuery, VitaleQuery};
use crate::store::{MAX_CANDIDATES, Store};
use crate::tls::{HostMode, PeerIdentity};

/// The CNs the mTLS host accepts (INSI-PROTOCOL.md §2.5.1).
pub const ACCEPTED_CNS: [&str; 2] = ["INSI-AUTO", "INSI-MANU"];

/// A body over the limit is still read, and thrown away, up to this many bytes, so that the
/// client finishes sending and reads the 413 — over HTTP/2 an answer given while the client is
/// still sending ends in a stream reset that clients report instead of the status. Beyond this
/// (or a `Content-Length` announcing more), the 413 is sent at once and the client may see a
/// reset instead.
pub const DRAIN_MAX: usize = 4 * 1024 * 1024;

const SOAP_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";

/// The request headers an exchange keeps (what matters to judge an INSi client).
const KEPT_HEADERS: [&str; 5] = [
    "content-type",
    "soapaction",
    "x-insi-bench-case",
    "user-agent",
    "content-length",
];

/// Per-connection facts the accept loop attaches to each request.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub mode: HostMode,
    pub peer: Arc<PeerIdentity>,
    /// The listener's address and the client's.
    pub local: SocketAddr,
    pub remote: SocketAddr,
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
    /// Replaceable while serving ([`crate::server::RunningServer::set_injections`]: check-client
    /// serves each case's file while that case is under way).
    pub injections: std::sync::RwLock<Arc<[Injection]>>,
    pub body_limit: usize,
    pub body_timeout: Duration,
    pub cpx: Option<CpxVerifier>,
    /// Where every judged request is published (when someone reads it).
    pub exchanges: Arc<ExchangeLog>,
    /// The SOAP path, for the reason given to requests sent elsewhere.
    pub path: String,
}

/// The router: `POST {path}` (SOAP) and `GET /health`; anything else is a 404/405 exchange.
pub fn router(state: Arc<AppState>, path: &str) -> Router {
    Router::new()
        .route(path, post(soap).fallback(not_soap))
        .route("/health", get(health))
        .fallback(not_soap)
        .with_state(state)
}

async fn health() -> &'static str {
    "ok"
}

/// An answer before it becomes an HTTP response: what the exchange log keeps.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Bytes,
    pub verdict: Verdict,
    pub reason: Reason,
}

impl Answer {
    fn soap(status: StatusCode, body: String, verdict: Verdict, reason: Reason) -> Answer {
        Answer {
            status,
            content_type: SOAP_CONTENT_TYPE,
            body: Bytes::from(body),
            verdict,
            reason,
        }
    }

    /// A SOAP Fault; `cause` goes into the detail text of our own faults, `reason` into the log.
    fn fault(code: FaultCode, message_id: Option<&str>, cause: &str, reason: Reason) -> Answer {
        let (fault, style) = code.fault(message_id, cause);
        tracing::debug!(code = code.detail_code(), cause, "fault");
        Answer::soap(
            StatusCode::INTERNAL_SERVER_ERROR,
            fault.encode(style),
            Verdict::Fault(code.detail_code().to_owned()),
            reason,
        )
    }

    /// One of our own faults whose reason is its cause.
    fn own_fault(code: FaultCode, message_id: Option<&str>, cause: String) -> Answer {
        let reason = Reason::text(format!("{}: {cause}", code.detail_code()));
        Answer::fault(code, message_id, &cause, reason)
    }

    /// Plain-text HTTP errors (413, 408, 404…): the body is the reason's redacted text.
    fn http(status: StatusCode, reason: Reason) -> Answer {
        Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            body: Bytes::from(reason.redacted()),
            verdict: Verdict::Http(status.as_u16()),
            reason,
        }
    }

    fn response(&self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, self.content_type)],
            self.body.clone(),
        )
            .into_response()
    }
}

/// What judging learnt about the request, for its exchange.
#[derive(Debug, Default)]
struct Facts {
    operation: Option<Operation>,
    action: Option<String>,
    message_id: Option<String>,
    traits: Option<TraitQuery>,
    ps_name_id: Option<String>,
    warnings: Vec<String>,
}

/// The request as it came, for its exchange.
struct Received<'a> {
    parts: &'a Parts,
    conn: &'a ConnInfo,
    at: jiff::Timestamp,
    started: Instant,
    body: Bytes,
    size: usize,
}

impl Received<'_> {
    fn exchange(self, answer: Option<&Answer>, facts: Facts) -> Exchange {
        let headers = self
            .parts
            .headers
            .iter()
            .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let (status, response, verdict, reason) = match answer {
            Some(a) => (
                Some(a.status.as_u16()),
                a.body.clone(),
                a.verdict.clone(),
                a.reason.clone(),
            ),
            None => (None, Bytes::new(), Verdict::Reset, Reason::default()),
        };
        Exchange {
            id: 0,
            at: self.at,
            host: self.conn.mode,
            listener: self.conn.local,
            remote: self.conn.remote,
            http_version: match self.parts.version {
                Version::HTTP_2 => "HTTP/2",
                Version::HTTP_11 => "HTTP/1.1",
                Version::HTTP_10 => "HTTP/1.0",
                _ => "HTTP/?",
            },
            client_subject: self.conn.peer.subject.clone(),
            client_cn: self.conn.peer.cn.clone(),
            client_ou: self.conn.peer.ou.clone(),
            ps_name_id: facts.ps_name_id,
            method: self.parts.method.as_str().to_owned(),
            path: self.parts.uri.path().to_owned(),
            headers,
            request: self.body,
            request_size: self.size,
            status,
            response,
            operation: facts.operation,
            action: facts.action,
            message_id: facts.message_id,
            traits: facts.traits,
            warnings: facts.warnings,
            verdict,
            reason,
            duration: self.started.elapsed(),
        }
    }
}

/// Requests outside `POST {path}`: a plain 404/405, and an exchange saying so (a client posting
/// to `/lps/` or `/` learns why nothing answers).
async fn not_soap(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, _) = request.into_parts();
    let path = parts.uri.path();
    let answer = if path == state.path {
        Answer::http(
            StatusCode::METHOD_NOT_ALLOWED,
            Reason::text(format!(
                "HTTP 405: the SOAP endpoint {} takes POST, not {}",
                state.path, parts.method
            )),
        )
    } else {
        Answer::http(
            StatusCode::NOT_FOUND,
            Reason::text(format!(
                "HTTP 404: {path} is not the SOAP endpoint (POST {})",
                state.path
            )),
        )
    };
    if state.exchanges.is_observed()
        && let Some(conn) = parts.extensions.get::<ConnInfo>()
    {
        let received = Received {
            parts: &parts,
            conn,
            at: jiff::Timestamp::now(),
            started,
            body: Bytes::new(),
            size: 0,
        };
        state
            .exchanges
            .publish(received.exchange(Some(&answer), Facts::default()));
    }
    answer.response()
}

async fn soap(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let Some(conn) = parts.extensions.get::<ConnInfo>().cloned() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "connection info missing").into_response();
    };
    // Decided once per request: nothing below builds exchange data when nobody reads it.
    let observed = state.exchanges.is_observed();
    let at = if observed {
        jiff::Timestamp::now()
    } else {
        jiff::Timestamp::UNIX_EPOCH
    };
    let mut facts = Facts::default();
    let read = read_body(&parts.headers, body, state.body_limit, state.body_timeout).await;
    let (bytes, size, answer, fate) = match read {
        Err((kept, size, answer)) => (kept, size, answer, ChaosAction::default()),
        Ok(bytes) => {
            let size = bytes.len();
            let limits = insi_soap::Limits {
                max_bytes: state.body_limit,
                ..insi_soap::Limits::DEFAULT
            };
            let (answer, fate) = match insi_soap::decode_request_with(&bytes, limits) {
                Err(e) => (
                    Answer::own_fault(FaultCode::Malformed, None, e.to_string()),
                    state.chaos.draw(false),
                ),
                Ok(decoded) => {
                    if observed {
                        facts.warnings = decoded.warnings.iter().map(|w| w.to_string()).collect();
                    }
                    let request = decoded.request;
                    let fate = state
                        .chaos
                        .draw(matches!(request.body, RequestBody::RecSansVitale(_)));
                    let judged = Judge {
                        state: &state,
                        conn: &conn,
                        headers: &parts.headers,
                        explain: observed,
                    }
                    .judge(request, fate.fault, &mut facts);
                    (judged, fate)
                }
            };
            (bytes, size, answer, fate)
        }
    };
    let received = Received {
        parts: &parts,
        conn: &conn,
        at,
        started,
        body: bytes,
        size,
    };
    if fate.reset {
        tracing::debug!("chaos: connection reset");
        if observed {
            let mut exchange = received.exchange(None, facts);
            exchange.reason = Reason::text(format!(
                "chaos: connection reset drawn (reset rate {}); the answer would have been: ",
                state.chaos.config().reset
            ))
            .append(answer.reason);
            state.exchanges.publish(exchange);
        }
        conn.reset.notify_one();
        // The connection task drops the connection; this future is dropped with it.
        return std::future::pending::<Response>().await;
    }
    let mut answer = answer;
    if !fate.delay.is_zero() {
        tokio::time::sleep(fate.delay).await;
        if observed {
            answer.reason = answer
                .reason
                .push(format!(" (+ chaos latency {} ms)", fate.delay.as_millis()));
        }
    }
    let response = answer.response();
    if observed {
        state
            .exchanges
            .publish(received.exchange(Some(&answer), facts));
    }
    response
}

/// Reads the whole body within `timeout`. Over `limit`, the rest is read and dropped (up to
/// [`DRAIN_MAX`]) and the error carries the first `limit` bytes and the size seen.
async fn read_body(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, (Bytes, usize, Answer)> {
    let too_large = |size: usize, complete: bool| {
        let text = if complete {
            format!("HTTP 413: body of {size} bytes over the {limit}-byte limit")
        } else {
            format!("HTTP 413: body of more than {size} bytes over the {limit}-byte limit")
        };
        Answer::http(StatusCode::PAYLOAD_TOO_LARGE, Reason::text(text))
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if let Some(n) = announced
        && n > DRAIN_MAX
    {
        return Err((Bytes::new(), n, too_large(n, true)));
    }
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut size = 0usize;
    let collect = async {
        loop {
            let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
            match frame.await {
                None => return Ok(()),
                Some(Err(e)) => return Err(e.to_string()),
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    let before = size;
                    size = size.saturating_add(data.len());
                    if size <= limit {
                        chunks.push(data);
                    } else if before < limit {
                        chunks.push(data.slice(..limit - before));
                    }
                    if size > DRAIN_MAX {
                        return Ok(());
                    }
                }
            }
        }
    };
    let read = {
        let mut collect = std::pin::pin!(collect);
        // A small body usually came with the head and is already in hyper's buffer: read it
        // without arming a timer (one per request was 1 % of a trait search, and the timer
        // wheel is shared by the connections). Only a body still on its way gets the timeout.
        let first = std::future::poll_fn(|cx| Poll::Ready(collect.as_mut().poll(cx))).await;
        match first {
            Poll::Ready(done) => Ok(done),
            Poll::Pending => tokio::time::timeout(timeout, collect).await,
        }
    };
    let kept = || match chunks.len() {
        1 => chunks[0].clone(),
        _ => Bytes::from(chunks.concat()),
    };
    match read {
        Err(_) => Err((
            kept(),
            size,
            Answer::http(
                StatusCode::REQUEST_TIMEOUT,
                Reason::text(format!(
                    "HTTP 408: request body not received within {} s ({size} bytes came)",
                    timeout.as_secs()
                )),
            ),
        )),
        Ok(Err(e)) => Err((
            kept(),
            size,
            Answer::http(
                StatusCode::BAD_REQUEST,
                Reason::text(format!("HTTP 400: the request body broke off: {e}")),
            ),
        )),
        Ok(Ok(())) if size > limit => Err((kept(), size, too_large(size, size <= DRAIN_MAX))),
        Ok(Ok(())) => Ok(kept()),
    }
}

/// The `action` parameter of a SOAP 1.2 content type, if any.
fn content_type_action(headers: &HeaderMap) -> Option<&str> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    ct.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("action")
            .then(|| v.trim().trim_matches('"'))
    })
}

/// What a request asks the store, its fields moved out of the decoded body.
enum Search {
    Traits(TraitQuery),
    Vitale(VitaleQuery),
}

impl Search {
    fn of(body: RequestBody) -> Search {
        match body {
            RequestBody::RecSansVitale(r) => Search::Traits(TraitQuery {
                nom_naissance: r.nom_naissance.unwrap_or_default(),
                prenoms: r.prenoms,
                sexe: r.sexe.unwrap_or_default(),
                date_naissance: r.date_naissance.unwrap_or_default(),
                lieu_naissance: r.lieu_naissance,
            }),
            RequestBody::RecVitale(r) => Search::Vitale(VitaleQuery {
                matricule_individu: r.matricule_individu.map(|m| m.num_identifiant),
                matricule_od: r.matricule_od.map(|m| m.num_identifiant),
                nom_naissance: r.nom_naissance,
                date_naissance: r.date_naissance,
                rang_naissance: r.rang_naissance,
            }),
        }
    }
}

/// One request being judged.
struct Judge<'a> {
    state: &'a AppState,
    conn: &'a ConnInfo,
    headers: &'a HeaderMap,
    /// Someone reads the exchanges: worth a lookup more to explain a `01`/`02`.
    explain: bool,
}

impl Judge<'_> {
    /// Takes the request by value: its traits move into the store query (no copies on the
    /// path every request takes).
    fn judge(
        &self,
        decoded: insi_soap::Request,
        chaos_fault: Option<FaultCode>,
        facts: &mut Facts,
    ) -> Answer {
        let state = self.state;
        let mid = decoded.message_id.as_deref();
        if self.explain {
            facts.message_id = decoded.message_id.clone();
            facts.action = decoded.action.clone();
        }

        // Operation: wsa:Action, and the content-type action when present; they must agree with
        // each other and with the body.
        let ct_action = content_type_action(self.headers);
        let Some(action) = decoded.action.as_deref().or(ct_action) else {
            return Answer::own_fault(
                FaultCode::Malformed,
                mid,
                "no wsa:Action header and no action parameter in Content-Type".into(),
            );
        };
        let Some(operation) = Operation::from_action(action) else {
            return Answer::own_fault(
                FaultCode::Malformed,
                mid,
                format!("unknown action '{action}'"),
            );
        };
        facts.operation = Some(operation);
        if let Some(ct) = ct_action
            && Operation::from_action(ct) != Some(operation)
        {
            return Answer::own_fault(
                FaultCode::Malformed,
                mid,
                format!("Content-Type action '{ct}' differs from wsa:Action '{action}'"),
            );
        }
        if decoded.body.operation() != operation {
            return Answer::own_fault(
                FaultCode::Malformed,
                mid,
                format!(
                    "action {} does not match the body {}",
                    operation.name(),
                    decoded.body.operation().name()
                ),
            );
        }

        // Host authentication.
        match self.conn.mode {
            HostMode::Mtls => {
                let cn = self.conn.peer.cn.as_deref().unwrap_or_default();
                if !ACCEPTED_CNS.contains(&cn) {
                    let shown = if cn.is_empty() { "missing" } else { cn };
                    return Answer::fault(
                        FaultCode::Desir560,
                        mid,
                        &format!("certificate CN '{cn}' is not INSI-AUTO or INSI-MANU"),
                        Reason::text(format!(
                            "DESIR_560: certificate CN is {shown}, INSi accepts INSI-AUTO or INSI-MANU"
                        )),
                    );
                }
            }
            HostMode::Cpx => {
                let Some(verifier) = &state.cpx else {
                    return Answer::own_fault(
                        FaultCode::Assertion,
                        mid,
                        "CPx verification is not configured".into(),
                    );
                };
                match verifier.verify(&decoded.assertions) {
                    Ok(ps) => facts.ps_name_id = Some(ps.name_id),
                    Err(why) => return Answer::own_fault(FaultCode::Assertion, mid, why),
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
            let mut allowed: Vec<&str> = state.idams.iter().map(String::as_str).collect();
            allowed.sort_unstable();
            let reason = match idam {
                Some(i) => format!(
                    "siram_100/desir_550: IDAM {i} is not on the allow-list ({})",
                    allowed.join(", ")
                ),
                None => "siram_100/desir_550: no ContexteLPS/LPS/IDAM in the request".to_owned(),
            };
            return Answer::fault(FaultCode::Desir550, mid, "unknown IDAM", reason.into());
        }

        let search = Search::of(decoded.body);
        let traits = match &search {
            Search::Traits(q) => Some(q),
            Search::Vitale(_) => None,
        };
        if self.explain {
            facts.traits = traits.cloned();
        }

        let case_id = self
            .headers
            .get(inject::CASE_HEADER)
            .and_then(|v| v.to_str().ok());
        let rules = state
            .injections
            .read()
            .map_or_else(|p| p.into_inner().clone(), |r| r.clone());
        if let Some(rule) = inject::find(&rules, case_id, traits) {
            return Answer {
                status: StatusCode::from_u16(rule.status).unwrap_or(StatusCode::OK),
                content_type: SOAP_CONTENT_TYPE,
                body: rule.body.clone(),
                verdict: rule.verdict.clone(),
                reason: rule.reason(),
            };
        }

        if let Some(code) = chaos_fault {
            let c = state.chaos.config();
            let rate = match code {
                FaultCode::Insi102 => c.insi_102,
                _ => c.desir_1020,
            };
            let name = code.detail_code();
            return Answer::fault(
                code,
                mid,
                "chaos",
                Reason::text(format!("chaos: {name} drawn (rate {rate})")),
            );
        }

        match &search {
            Search::Traits(q) => self.search_traits(q, mid),
            Search::Vitale(q) => self.search_vitale(q, mid),
        }
    }

    fn search_traits(&self, q: &TraitQuery, mid: Option<&str>) -> Answer {
        let store = &self.state.store;
        if let Some(f) = store.fault_for(q) {
            let reason = Reason::text(format!("{}: ", f.fault.detail_code()))
                .personal(Personal::Nom, &f.nom_naissance)
                .push(" ")
                .personal(Personal::Prenom, &f.premier_prenom)
                .push(format!(
                    " is a persona whose searches end in {} whatever the other traits",
                    f.fault.detail_code()
                ));
            return Answer::fault(f.fault, mid, "persona", reason);
        }
        let outcome = store.search_traits(q);
        let reason = match &outcome {
            Ok(o) if self.explain => {
                // The store decides from the identities sharing name and birth date; to say
                // why nobody matched, the explanation looks at every identity with the name
                // (bounded: beyond MAX_CANDIDATES it gives no detail).
                let same_nom = match o {
                    Outcome::Found(_) => None,
                    _ => store
                        .by_nom(&q.nom_naissance)
                        .ok()
                        .filter(|c| c.len() < MAX_CANDIDATES),
                };
                search::explain_traits(q, o, same_nom.as_deref(), store.never_found())
            }
            _ => Reason::default(),
        };
        self.answer(outcome, reason, mid)
    }

    fn search_vitale(&self, q: &VitaleQuery, mid: Option<&str>) -> Answer {
        let store = &self.state.store;
        let outcome = store.search_vitale(q);
        let reason = match &outcome {
            Ok(o) if self.explain => {
                // A 01 with filters: the same search by matricule alone tells a wrong matricule
                // from a filter that left nobody (one more lookup, only when observed).
                let filtered = q.nom_naissance.is_some()
                    || q.date_naissance.is_some()
                    || q.rang_naissance.is_some();
                let probe = (matches!(o, Outcome::NotFound) && filtered)
                    .then(|| {
                        store
                            .search_vitale(&VitaleQuery {
                                matricule_individu: q.matricule_individu.clone(),
                                matricule_od: q.matricule_od.clone(),
                                ..VitaleQuery::default()
                            })
                            .ok()
                    })
                    .flatten();
                let probe = probe.or_else(|| {
                    (matches!(o, Outcome::NotFound) && !filtered).then_some(Outcome::NotFound)
                });
                search::explain_vitale(q, o, probe.as_ref())
            }
            _ => Reason::default(),
        };
        self.answer(outcome, reason, mid)
    }

    fn answer(
        &self,
        outcome: Result<Outcome, crate::store::StoreError>,
        reason: Reason,
        mid: Option<&str>,
    ) -> Answer {
        match outcome {
            Ok(outcome) => {
                tracing::debug!(cr = outcome.code(), "answered");
                let verdict = Verdict::Cr(outcome.code().to_owned());
                Answer::soap(
                    StatusCode::OK,
                    resultat(outcome).encode(self.state.style),
                    verdict,
                    reason,
                )
            }
            Err(e) => {
                tracing::error!("store: {e}");
                Answer::fault(
                    FaultCode::Insi102,
                    mid,
                    "store",
                    Reason::text(format!("insi_102: the identity store failed: {e}")),
                )
            }
        }
    }
}

/// The RESULTAT of an outcome, from the stored text (moved, not copied).
pub fn resultat(outcome: Outcome) -> Resultat {
    match outcome {
        Outcome::Found(id) => {
            let id = *id;
            let ins = |i: crate::identity::Ins| insi_soap::InsNumber {
                id_individu: insi_soap::MatriculeXml::new(&i.matricule, Some(&i.cle)),
                oid: ins::Oid::new(&i.oid),
                date_deb: i.date_deb,
                date_fin: i.date_fin,
            };
            Resultat::ok(insi_soap::Individu {
                ins_actif: ins(id.ins),
                ins_histo: id.histo.into_iter().map(ins).collect(),
                tiq: insi_soap::Tiq {
                    nom_naissance: Some(id.nom_naissance),
                    prenom: None,
                    liste_prenom: Some(id.prenoms),
                    sexe: Some(id.sexe),
                    date_naissance: Some(id.date_naissance),
                    lieu_naissance: id.lieu_naissance,
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
            content_type_action(&h).map(str::to_owned)
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
