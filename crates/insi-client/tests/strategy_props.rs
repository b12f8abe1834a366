//! The search strategies and the retry policy, driven through the real client and the real
//! codec over a fake transport (the end-to-end tests use the simulator over mTLS; this file is
//! about the decision logic only). A small reference model, written independently of
//! `SearchPlan`, says which calls must be made; proptest checks the client makes exactly those.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ins::{CodeCr, Matricule, Oid, Traits};
use insi_client::{
    AttemptOutcome, HttpRequest, HttpResponse, InsiClient, Outcome, RetryPolicy, Strategy,
    Transport, TransportError,
};
use insi_soap::{
    Caller, Fault, FaultStyle, Individu, InsNumber, RequestBody, Resultat, ResultatStyle, Tiq,
    decode_request,
};
use proptest::prelude::*;

/// What the fake service does for one (Prenom, with COG) query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ans {
    Cr00,
    Cr01,
    Cr02,
    /// `insi_102`: a business fault, never retried.
    Fault,
    /// `desir_1020`: retried.
    Unavailable,
    /// Connection refused: retried.
    Down,
}

impl Ans {
    fn retryable(self) -> bool {
        matches!(self, Ans::Unavailable | Ans::Down)
    }
}

struct FakeService {
    answers: HashMap<(String, bool), Ans>,
    calls: Mutex<Vec<(String, bool)>>,
}

impl FakeService {
    fn answer(&self, prenom: &str, cog: bool) -> Ans {
        *self
            .answers
            .get(&(prenom.to_owned(), cog))
            .unwrap_or(&Ans::Cr01)
    }
}

fn individu() -> Individu {
    let m = Matricule::parse("2360663220836").unwrap();
    Individu {
        ins_actif: InsNumber::new(&m, Oid::InsNir),
        ins_histo: Vec::new(),
        tiq: Tiq {
            nom_naissance: Some("TCHITCHI".into()),
            liste_prenom: Some("CATARINA BELLA".into()),
            sexe: Some("F".into()),
            date_naissance: Some("1936-06-21".into()),
            lieu_naissance: Some("63220".into()),
            ..Tiq::default()
        },
    }
}

impl Transport for &FakeService {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        // The client's bytes go through the real request decoder.
        let decoded = decode_request(&request.body).expect("client sent a decodable request");
        let RequestBody::RecSansVitale(body) = decoded.request.body else {
            panic!("not a trait search")
        };
        assert_eq!(body.prenoms.len(), 1, "one Prenom element per call");
        let prenom = body.prenoms[0].clone();
        let cog = body.lieu_naissance.is_some();
        self.calls.lock().unwrap().push((prenom.clone(), cog));
        let (status, xml) = match self.answer(&prenom, cog) {
            Ans::Cr00 => (200, Resultat::ok(individu()).encode(ResultatStyle::Live)),
            Ans::Cr01 => (
                200,
                Resultat::without_identity(CodeCr::AucuneIdentite).encode(ResultatStyle::Live),
            ),
            Ans::Cr02 => (
                200,
                Resultat::without_identity(CodeCr::PlusieursIdentites).encode(ResultatStyle::Live),
            ),
            Ans::Fault => (
                500,
                Fault::erreur_technique_traits(None).encode(FaultStyle::S),
            ),
            Ans::Unavailable => (500, Fault::service_indisponible(None).encode(FaultStyle::S)),
            Ans::Down => {
                return Err(TransportError::Connect {
                    detail: "connection refused".into(),
                });
            }
        };
        Ok(HttpResponse {
            status,
            body: xml.into_bytes(),
        })
    }
}

fn caller() -> Caller {
    Caller {
        idam: "TESTIDAM0001".into(),
        lps_version: "1".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:test:1".into(),
        emetteur: "10B0152872".into(),
    }
}

fn policy(retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries: retries,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        call_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(30),
    }
}

/// The reference model: the calls the CNDA strategy must make (retries included), and the
/// final answer.
fn model(
    service: &FakeService,
    prenoms: &[String],
    cog_known: bool,
    strategy: Strategy,
    retries: u32,
) -> (Vec<(String, bool)>, Ans) {
    let mut calls = Vec::new();
    let mut send = |p: &str, cog: bool| {
        let mut tries = 0;
        loop {
            calls.push((p.to_owned(), cog));
            let a = service.answer(p, cog);
            tries += 1;
            if !a.retryable() || tries > retries {
                return a;
            }
        }
    };
    let joined = prenoms.join(" ");
    if strategy == Strategy::Single {
        let a = send(&joined, cog_known);
        return (calls, a);
    }
    let mut queries: Vec<String> = prenoms.to_vec();
    if prenoms.len() > 1 {
        queries.push(joined);
    }
    let mut answers = Vec::new();
    for q in &queries {
        let mut a = send(q, false);
        if a == Ans::Cr02 && cog_known {
            answers.push(a);
            a = send(q, true);
        }
        answers.push(a);
        if !matches!(a, Ans::Cr01 | Ans::Cr02) {
            return (calls, a);
        }
    }
    let last = *answers.last().unwrap();
    let fin = if answers.contains(&Ans::Cr02) && last != Ans::Cr02 {
        // The last 02 is the conclusion when no 00 came.
        Ans::Cr02
    } else {
        last
    };
    (calls, fin)
}

fn run(
    service: &FakeService,
    traits: &Traits,
    strategy: Strategy,
    retries: u32,
) -> insi_client::SearchReport {
    let client =
        InsiClient::new(service, "https://fake.invalid/lps", caller()).with_policy(policy(retries));
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(client.search(traits, strategy))
        .unwrap()
}

fn ans() -> impl proptest::strategy::Strategy<Value = Ans> {
    prop_oneof![
        3 => Just(Ans::Cr01),
        2 => Just(Ans::Cr00),
        2 => Just(Ans::Cr02),
        1 => Just(Ans::Fault),
        1 => Just(Ans::Unavailable),
        1 => Just(Ans::Down),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn client_makes_exactly_the_calls_of_the_model(
        names in proptest::collection::vec(prop::sample::select(vec!["OLA", "CATARINA", "BELLA", "JEAN-PAUL", "ZOE"]), 1..4),
        cog_known in any::<bool>(),
        single in any::<bool>(),
        retries in 0u32..3,
        table in proptest::collection::vec(ans(), 16),
    ) {
        let prenoms: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let joined = prenoms.join(" ");
        let mut keys: Vec<String> = vec!["OLA", "CATARINA", "BELLA", "JEAN-PAUL", "ZOE"].into_iter().map(String::from).collect();
        keys.push(joined.clone());
        let mut answers = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            answers.insert((k.clone(), false), table[2 * i]);
            answers.insert((k.clone(), true), table[2 * i + 1]);
        }
        let service = FakeService { answers, calls: Mutex::new(Vec::new()) };
        let strategy = if single { Strategy::Single } else { Strategy::Cnda };
        let traits = Traits::parse("TCHITCHI", &joined, "F", "1936-06-21", cog_known.then_some("63220")).unwrap();

        let (expected_calls, expected_final) = model(&service, &prenoms, cog_known, strategy, retries);
        let report = run(&service, &traits, strategy, retries);

        let calls = service.calls.lock().unwrap().clone();
        prop_assert_eq!(&calls, &expected_calls);
        prop_assert_eq!(report.trace.attempts.len(), calls.len());
        for (a, (p, cog)) in report.trace.attempts.iter().zip(&calls) {
            prop_assert_eq!(&a.prenom, p);
            prop_assert_eq!(a.with_cog, *cog);
            prop_assert!(a.retry <= retries);
            prop_assert!(!a.request.is_empty());
        }
        let got = match &report.outcome {
            Outcome::Resultat(r) => match r.cr {
                CodeCr::Ok => Ans::Cr00,
                CodeCr::AucuneIdentite => Ans::Cr01,
                CodeCr::PlusieursIdentites => Ans::Cr02,
                CodeCr::Other(_) => unreachable!(),
            },
            Outcome::Fault(f) if f.erreur.as_ref().unwrap().code == "desir_1020" => Ans::Unavailable,
            Outcome::Fault(_) => Ans::Fault,
            Outcome::Failed(_) => Ans::Down,
        };
        prop_assert_eq!(got, expected_final);
    }
}

#[test]
fn desir_1020_is_retried_exactly_max_retries_times() {
    let answers = HashMap::from([(("ZOE".to_owned(), false), Ans::Unavailable)]);
    let service = FakeService {
        answers,
        calls: Mutex::new(Vec::new()),
    };
    let traits = Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).unwrap();
    for retries in [0, 1, 2, 5] {
        service.calls.lock().unwrap().clear();
        let report = run(&service, &traits, Strategy::Cnda, retries);
        assert_eq!(report.trace.attempts.len() as u32, retries + 1);
        let numbers: Vec<u32> = report.trace.attempts.iter().map(|a| a.retry).collect();
        assert_eq!(numbers, (0..=retries).collect::<Vec<_>>());
        assert!(matches!(
            &report.trace.attempts[0].outcome,
            AttemptOutcome::Fault { code } if code == "desir_1020"
        ));
        assert!(matches!(report.outcome, Outcome::Fault(_)));
    }
}

#[test]
fn business_faults_are_never_retried() {
    let answers = HashMap::from([(("ZOE".to_owned(), false), Ans::Fault)]);
    let service = FakeService {
        answers,
        calls: Mutex::new(Vec::new()),
    };
    let traits = Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).unwrap();
    let report = run(&service, &traits, Strategy::Cnda, 5);
    assert_eq!(report.trace.attempts.len(), 1);
    assert_eq!(report.trace.attempts[0].http_status, Some(500));
}

#[test]
fn the_deadline_bounds_the_whole_search() {
    /// A service that never answers.
    struct Silent;
    impl Transport for Silent {
        async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
            std::future::pending().await
        }
    }
    let client =
        InsiClient::new(Silent, "https://fake.invalid/lps", caller()).with_policy(RetryPolicy {
            call_timeout: Duration::from_millis(40),
            deadline: Duration::from_millis(100),
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            max_retries: 10,
        });
    let traits = Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).unwrap();
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(client.search(&traits, Strategy::Cnda))
        .unwrap();
    // 40 ms per try within 100 ms: at most 3 tries, then the deadline, whatever max_retries.
    assert!(
        report.trace.attempts.len() <= 3,
        "{}",
        report.trace.attempts.len()
    );
    let Outcome::Failed(err) = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    let text = format!("{err} / {}", err.advice());
    assert!(
        text.contains("deadline") || text.contains("Exchange"),
        "{text}"
    );
}

/// Answers with a fixed status and body, counting calls.
struct Canned {
    status: u16,
    body: &'static [u8],
    calls: Mutex<u32>,
}

impl Transport for &Canned {
    async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
        *self.calls.lock().unwrap() += 1;
        Ok(HttpResponse {
            status: self.status,
            body: self.body.to_vec(),
        })
    }
}

#[test]
fn answers_that_are_not_insi_are_reported_not_panicked_on() {
    let traits = Traits::parse("ADRUN", "ZOE", "F", "1975-12-31", None).unwrap();
    let cases: [(u16, &[u8], u32, &str); 4] = [
        (200, b"<html>hello</html>", 1, "unreadable response"),
        (404, b"<html>Not Found</html>", 1, "/lps"),
        (503, b"Service Unavailable", 3, "HTTP 503"),
        (200, b"\xff\xfe\x00garbage", 1, "unreadable response"),
    ];
    for (status, body, expected_calls, expected_text) in cases {
        let canned = Canned {
            status,
            body,
            calls: Mutex::new(0),
        };
        let client =
            InsiClient::new(&canned, "https://fake.invalid/lps", caller()).with_policy(policy(2));
        let report = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(client.search(&traits, Strategy::Cnda))
            .unwrap();
        assert_eq!(
            *canned.calls.lock().unwrap(),
            expected_calls,
            "HTTP {status}"
        );
        let Outcome::Failed(err) = &report.outcome else {
            panic!("{:?}", report.outcome)
        };
        let text = format!("{err} / {}", err.advice());
        assert!(text.contains(expected_text), "HTTP {status}: {text}");
        assert_eq!(report.trace.attempts[0].http_status, Some(status));
        assert_eq!(report.trace.attempts[0].response.as_deref(), Some(body));
    }
}
