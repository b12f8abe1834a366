//! A simulator started from the fixed test PKI of `testdata/` (what `sim serve` uses by
//! default) instead of the embedded one's freshly generated keys: start-up then costs the same
//! instructions every run, so the difference of two valgrind counts is the cost of the requests
//! alone (RSA key generation's random prime search would swamp it).

use std::net::SocketAddr;
use std::sync::Arc;

use insi_client::{AssertionProvider, SignedAssertions};
use insi_sim::server::{RunningServer, SimConfig};
use insi_sim::store::Store;
use insi_sim::tls::{HostMode, ServerTls};
use insi_soap::{CallIds, Caller, RecSansVitale, Request};

/// The CN of the emulated card's signature certificate (`testdata/cards/cps3-demo.sign.pem`):
/// the PS the CPx requests come from.
pub const CARD_PS_ID: &str = "899700123456";

/// A file of `testdata/`.
pub fn testdata(path: &str) -> String {
    let full = format!("{}/../testdata/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The INSI-AUTO client certificate chain and key (PEM).
pub fn insi_auto() -> (String, String) {
    (testdata("pki/insi-auto.pem"), testdata("pki/insi-auto.key"))
}

/// The simulator's configuration with the fixed PKI (what `sim serve` uses by default) and one
/// listener of `mode` on a free port of 127.0.0.1.
pub fn config(mode: HostMode) -> SimConfig {
    let mut config = SimConfig::new(ServerTls {
        client_ca_pem: testdata("pki/ca.pem"),
        cert_pem: testdata("pki/server.pem"),
        key_pem: testdata("pki/server.key").into(),
    });
    config.listeners = vec![(SocketAddr::from(([127, 0, 0, 1], 0)), mode)];
    config
}

/// One listener of `mode` on 127.0.0.1, the shipped personas, a population of `population`
/// identities (seed 1) in memory; CPx: trusting the emulated card's CA, keeping
/// `assertion_cache` verified assertions. Call on a tokio runtime.
pub async fn start(
    mode: HostMode,
    population: u64,
    assertion_cache: usize,
) -> (RunningServer, Arc<Store>) {
    let mut store = Store::in_memory().expect("store");
    let personas = insi_sim::personas::Personas::parse(insi_sim::embedded::SHIPPED_PERSONAS)
        .expect("personas");
    store.load_personas(&personas).expect("personas");
    if population > 0 {
        store.ensure_population(population, 1).expect("population");
    }
    let store = Arc::new(store);
    let mut config = config(mode);
    if mode == HostMode::Cpx {
        config.cpx_ca_pem = Some(testdata("cards/cpx-ca.pem"));
    }
    config.assertion_cache = assertion_cache;
    let server = RunningServer::start(config, store.clone())
        .await
        .expect("simulator");
    (server, store)
}

/// The caller of these benches; on the CPx host the emitter is the PS.
pub fn caller(cpx: bool) -> Caller {
    Caller {
        idam: insi_sim::server::DEFAULT_IDAM.into(),
        lps_version: "1".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-bench:bench".into(),
        emetteur: if cpx {
            CARD_PS_ID.into()
        } else {
            insi_sim::pki::STRUCTURE_ID.into()
        },
    }
}

/// A trait search by first first name of population member `n` (answered `00`), with a PS
/// assertion signed now by the emulated card when `cpx`.
pub fn member_search(store: &Store, n: u64, cpx: bool) -> Request {
    let member = store
        .population_identity(n)
        .expect("store")
        .expect("population member");
    let body = RecSansVitale {
        nom_naissance: Some(member.nom_naissance.clone()),
        prenoms: vec![member.prenom_tokens().next().unwrap_or_default().to_owned()],
        sexe: Some(member.sexe.clone()),
        date_naissance: Some(member.date_naissance.clone()),
        lieu_naissance: None,
    };
    let request = Request::rechercher_par_traits(&caller(cpx), &CallIds::fresh(), body);
    if !cpx {
        return request;
    }
    let signer = xmldsig::RsaSoftwareSigner::from_pem(
        &testdata("cards/cps3-demo.sign.key.pem"),
        &testdata("cards/cps3-demo.sign.pem"),
    )
    .expect("card signer");
    let assertion = SignedAssertions::new(signer, insi_sim::cpx::test_ps_attributes())
        .assertion()
        .expect("assertion");
    request.with_assertion(assertion)
}

/// `request` as the bytes of an HTTP/1.1 POST to `/lps` on `addr`.
pub fn post_bytes(addr: SocketAddr, request: &Request) -> Vec<u8> {
    let body = request.encode();
    let mut bytes = format!(
        "POST /lps HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n",
        request.content_type(),
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}
