//! [`InsiClient`]: drives a [`SearchPlan`] over a [`Transport`], with retries, timeouts, the
//! production guard and a [`Trace`] of every attempt. The XML is the codec's (`insi-soap`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ins::{CodeCr, Oid, Traits};
use insi_soap::{
    CallIds, Caller, Couverture, Fault, RecSansVitale, RecVitale, Request, Response, Resultat,
    decode_response,
};

use crate::assertion::AssertionProvider;
use crate::error::{ClientError, Phase, TlsFailure, TransportError};
use crate::guard::Guard;
use crate::guard::{GuardRefusal, Origin};
use crate::retry::{RetryPolicy, is_retryable_fault};
use crate::strategy::{Answer, Query, QueryKind, SearchPlan, Step, Strategy};
use crate::trace::{Attempt, AttemptOutcome, Trace};
use crate::transport::{HttpRequest, Transport};
use crate::verify::{ServiceIdentity, StoredIns, Verdict, compare};
use crate::vitale::VitaleSearch;

/// One call to make (retries aside): what goes in the body, and what the trace says of it.
struct Call {
    kind: QueryKind,
    prenom: String,
    with_cog: bool,
    body: CallBody,
}

enum CallBody {
    Traits(RecSansVitale),
    Vitale(Box<(RecVitale, Couverture)>),
}

impl Call {
    fn traits(query: &Query) -> Call {
        Call {
            kind: query.kind,
            prenom: query.prenom(),
            with_cog: query.traits.lieu_naissance.is_some(),
            body: CallBody::Traits(RecSansVitale::with_prenom(&query.traits, &query.prenom())),
        }
    }

    /// Fresh identifiers on every try: a retry is a new message (WS-Addressing MessageID).
    fn request(&self, caller: &Caller) -> Request {
        match &self.body {
            CallBody::Traits(b) => {
                Request::rechercher_par_traits(caller, &CallIds::fresh(), b.clone())
            }
            CallBody::Vitale(v) => {
                let (body, couverture) = v.as_ref().clone();
                Request::rechercher_par_vitale(caller, &CallIds::fresh(), body, couverture)
            }
        }
    }
}

/// How a search ended.
#[derive(Debug)]
pub enum Outcome {
    /// A RESULTAT (`00`, `01`, `02`, or an unknown code).
    Resultat(Resultat),
    /// A SOAP fault, decoded.
    Fault(Fault),
    /// No answer: transport failure after retries, deadline, unreadable response.
    Failed(ClientError),
}

/// A search's outcome with its evidence.
#[derive(Debug)]
pub struct SearchReport {
    pub outcome: Outcome,
    pub trace: Trace,
}

/// A verification's verdict with its evidence.
#[derive(Debug)]
pub struct VerifyReport {
    pub verdict: Verdict,
    pub differences: Vec<crate::verify::Difference>,
    /// The search behind the verdict (its outcome is a fault or failure when no verdict could
    /// be reached: then `verdict` is `Introuvable` and callers should look here).
    pub search: SearchReport,
}

impl VerifyReport {
    /// True when the search itself did not produce a RESULTAT.
    pub fn is_inconclusive(&self) -> bool {
        !matches!(self.search.outcome, Outcome::Resultat(_))
    }
}

/// The client. Cheap to share behind an `Arc`; the transport keeps connections alive.
pub struct InsiClient<T> {
    transport: T,
    url: String,
    caller: Caller,
    policy: RetryPolicy,
    guard: Guard,
    assertions: Option<Arc<dyn AssertionProvider>>,
    /// End of validity of the client certificate, checked before each call so that an expired
    /// certificate is reported with its date rather than as a handshake alert.
    client_not_after: Option<jiff::Timestamp>,
}

impl<T> std::fmt::Debug for InsiClient<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsiClient")
            .field("url", &self.url)
            .field("policy", &self.policy)
            .field("guard", &self.guard)
            .field("cpx", &self.assertions.is_some())
            .finish_non_exhaustive()
    }
}

impl<T: Transport> InsiClient<T> {
    pub fn new(transport: T, url: impl Into<String>, caller: Caller) -> InsiClient<T> {
        InsiClient {
            transport,
            url: url.into(),
            caller,
            policy: RetryPolicy::default(),
            guard: Guard::default(),
            assertions: None,
            client_not_after: None,
        }
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.guard = guard;
        self
    }

    /// CPx mode: every request carries the provider's PS assertion in `wsse:Security`.
    pub fn with_assertions(mut self, provider: Arc<dyn AssertionProvider>) -> Self {
        self.assertions = Some(provider);
        self
    }

    /// The client certificate's `notAfter`, to refuse an expired certificate before sending.
    pub fn with_client_not_after(mut self, not_after: jiff::Timestamp) -> Self {
        self.client_not_after = Some(not_after);
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Searches by traits with a strategy. `Err` only when nothing was sent (guard refusal,
    /// expired certificate); anything after the first byte went out is in the report.
    pub async fn search(
        &self,
        traits: &Traits,
        strategy: Strategy,
    ) -> Result<SearchReport, ClientError> {
        self.search_checked(traits, strategy, None).await
    }

    async fn search_checked(
        &self,
        traits: &Traits,
        strategy: Strategy,
        oid: Option<&Oid>,
    ) -> Result<SearchReport, ClientError> {
        self.guard.check(traits, oid)?;
        self.check_certificate()?;
        let deadline = Instant::now() + self.policy.deadline;
        let mut plan = SearchPlan::new(traits, strategy);
        let mut trace = Trace::default();
        let mut outcomes = Vec::new();
        loop {
            match plan.next_step() {
                Step::Send(query) => {
                    let outcome = self
                        .query(&Call::traits(&query), &mut trace, deadline)
                        .await;
                    plan.answer(match &outcome {
                        Outcome::Resultat(r) => Answer::Cr(r.cr.clone()),
                        _ => Answer::Failed,
                    });
                    outcomes.push(outcome);
                }
                Step::Done { decisive } => {
                    let outcome = if decisive < outcomes.len() {
                        outcomes.swap_remove(decisive)
                    } else {
                        Outcome::Failed(ClientError::Decode("no query was made".into()))
                    };
                    return Ok(SearchReport { outcome, trace });
                }
            }
        }
    }

    /// Searches with Vitale card data (`RECVITALE`, one call, retried per the policy). Same
    /// evidence and outcome as a trait search. `Err` only when nothing was sent.
    pub async fn search_vitale(&self, search: &VitaleSearch) -> Result<SearchReport, ClientError> {
        // Vitale data has no public test identities to match: only the runner rule applies.
        if self.guard.production && !self.guard.acknowledged && self.guard.origin == Origin::Runner
        {
            return Err(GuardRefusal::Runner.into());
        }
        self.check_certificate()?;
        let deadline = Instant::now() + self.policy.deadline;
        let call = Call {
            kind: QueryKind::Vitale,
            prenom: String::new(),
            with_cog: false,
            body: CallBody::Vitale(Box::new((search.body(), search.couverture()))),
        };
        let mut trace = Trace::default();
        let outcome = self.query(&call, &mut trace, deadline).await;
        Ok(SearchReport { outcome, trace })
    }

    fn check_certificate(&self) -> Result<(), ClientError> {
        if let Some(not_after) = self.client_not_after
            && not_after < jiff::Timestamp::now()
        {
            return Err(ClientError::Transport(TransportError::Tls {
                failure: TlsFailure::ClientCertificateExpired {
                    not_after: Some(not_after.to_string()),
                },
                detail: "the client certificate has expired; nothing was sent".into(),
            }));
        }
        Ok(())
    }

    /// Verifies a stored INS: searches with its traits and compares (see `verify.rs` for why
    /// it is not the official verification operation).
    pub async fn verify(
        &self,
        stored: &StoredIns,
        strategy: Strategy,
    ) -> Result<VerifyReport, ClientError> {
        let search = self
            .search_checked(&stored.traits, strategy, Some(&stored.oid))
            .await?;
        let (verdict, differences) = match &search.outcome {
            Outcome::Resultat(Resultat {
                cr: CodeCr::Ok,
                individu: Some(individu),
                ..
            }) => {
                let service = ServiceIdentity {
                    matricule: individu.ins_actif.id_individu.num_identifiant.clone(),
                    cle: individu.ins_actif.id_individu.cle.clone(),
                    oid: individu.ins_actif.oid.to_string(),
                    historique: individu
                        .ins_histo
                        .iter()
                        .map(|h| {
                            (
                                h.id_individu.num_identifiant.clone(),
                                h.id_individu.cle.clone(),
                            )
                        })
                        .collect(),
                    nom_naissance: individu.tiq.nom_naissance.clone(),
                    prenoms: individu
                        .tiq
                        .liste_prenom
                        .clone()
                        .or_else(|| individu.tiq.prenom.clone()),
                    sexe: individu.tiq.sexe.clone(),
                    date_naissance: individu.tiq.date_naissance.clone(),
                    lieu_naissance: individu.tiq.lieu_naissance.clone(),
                };
                let differences = compare(stored, &service);
                let verdict = if differences.is_empty() {
                    Verdict::Conforme
                } else {
                    Verdict::NonConforme
                };
                (verdict, differences)
            }
            _ => (Verdict::Introuvable, Vec::new()),
        };
        Ok(VerifyReport {
            verdict,
            differences,
            search,
        })
    }

    /// One query, retried per the policy; every try is recorded.
    async fn query(&self, query: &Call, trace: &mut Trace, deadline: Instant) -> Outcome {
        let mut retry = 0u32;
        loop {
            let (outcome, retryable) = self.try_once(query, retry, trace, deadline).await;
            if !retryable {
                return outcome;
            }
            let Some(delay) = self.policy.delay_before(retry + 1) else {
                return outcome;
            };
            if Instant::now() + delay >= deadline {
                return outcome;
            }
            tracing::debug!(retry = retry + 1, ?delay, "retrying INSi call");
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }

    /// One HTTP exchange. Returns the outcome and whether it is worth retrying.
    async fn try_once(
        &self,
        query: &Call,
        retry: u32,
        trace: &mut Trace,
        deadline: Instant,
    ) -> (Outcome, bool) {
        let now = Instant::now();
        let remaining = deadline.saturating_duration_since(now);
        if remaining.is_zero() {
            return (
                Outcome::Failed(ClientError::Deadline(self.policy.deadline)),
                false,
            );
        }
        let mut request = query.request(&self.caller);
        if let Some(provider) = &self.assertions {
            match provider.assertion() {
                Ok(assertion) => request = request.with_assertion(assertion),
                Err(e) => {
                    return (Outcome::Failed(ClientError::Assertion(e)), false);
                }
            }
        }
        let body = request.encode().into_bytes();
        let http = HttpRequest {
            url: self.url.clone(),
            content_type: request.content_type(),
            body: body.clone(),
        };
        // The transport enforces the call timeout itself (and knows its phase); this outer
        // bound only guarantees an end, and enforces the overall deadline.
        let margin = self.policy.call_timeout + Duration::from_millis(500);
        let bound = margin.min(remaining);
        let started_at = jiff::Timestamp::now();
        let result = tokio::time::timeout(bound, self.transport.send(http)).await;
        let elapsed = now.elapsed();
        let mut attempt = Attempt {
            index: trace.attempts.len(),
            kind: query.kind,
            prenom: query.prenom.clone(),
            with_cog: query.with_cog,
            retry,
            url: self.url.clone(),
            request: body,
            response: None,
            http_status: None,
            started_at,
            elapsed,
            outcome: AttemptOutcome::Transport {
                error: String::new(),
            },
            warnings: Vec::new(),
        };
        let (outcome, retryable) = match result {
            Err(_) if bound < margin => (
                Outcome::Failed(ClientError::Deadline(self.policy.deadline)),
                false,
            ),
            Err(_) => {
                let e = TransportError::Timeout {
                    phase: Phase::Exchange,
                    after_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                };
                (Outcome::Failed(ClientError::Transport(e)), true)
            }
            Ok(Err(e)) => {
                let retryable = e.is_retryable();
                (Outcome::Failed(ClientError::Transport(e)), retryable)
            }
            Ok(Ok(response)) => {
                attempt.http_status = Some(response.status);
                let decoded = decode_response(&response.body);
                let status = response.status;
                let judged = match decoded {
                    Ok(d) => {
                        attempt.warnings = d.warnings.iter().map(ToString::to_string).collect();
                        match d.response {
                            Response::Resultat(r) => (Outcome::Resultat(r), false),
                            Response::Fault(f) => {
                                let retryable = f
                                    .erreur
                                    .as_ref()
                                    .is_some_and(|e| is_retryable_fault(&e.code));
                                (Outcome::Fault(f), retryable)
                            }
                        }
                    }
                    Err(e) if status == 200 => {
                        (Outcome::Failed(ClientError::Decode(e.to_string())), false)
                    }
                    // Only a body that is not SOAP is worth an excerpt (what a proxy says).
                    Err(_) => (
                        Outcome::Failed(ClientError::Http {
                            status,
                            excerpt: excerpt(&response.body),
                        }),
                        matches!(status, 502..=504),
                    ),
                };
                attempt.response = Some(response.body);
                judged
            }
        };
        attempt.outcome = match &outcome {
            Outcome::Resultat(r) => AttemptOutcome::Cr {
                code: r.cr.code().to_owned(),
            },
            Outcome::Fault(f) => AttemptOutcome::Fault {
                code: fault_code(f).to_owned(),
            },
            Outcome::Failed(e) => AttemptOutcome::Transport {
                error: e.to_string(),
            },
        };
        tracing::debug!(
            attempt = attempt.index,
            retry,
            kind = ?attempt.kind,
            ms = attempt.ms(),
            outcome = ?attempt.outcome,
            "INSi call"
        );
        trace.attempts.push(attempt);
        (outcome, retryable)
    }
}

/// The most specific code of a fault: the detail code, else the subcode, else the code.
pub fn fault_code(fault: &Fault) -> &str {
    fault
        .erreur
        .as_ref()
        .map(|e| e.code.as_str())
        .or(fault.subcode.as_deref())
        .unwrap_or(&fault.code)
}

/// The start of a non-SOAP body, for error messages (no personal data expected there: it is
/// what a proxy or a wrong URL sends).
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        "(empty body)".into()
    } else {
        one_line
    }
}
