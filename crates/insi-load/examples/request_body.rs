//! Prints the SOAP request of one `traits` request of a load run (population member `INDEX` of
//! population `N`, seed `S`), and its Content-Type on stderr: the fixed payload that
//! `scripts/bench load` gives `oha`, so the reference tool sends what `insi-bench load --mix
//! traits=1` sends (same endpoint, same kind of body, same store lookup).
//!
//! With a fourth argument `cpx`, the request carries a PS assertion in `wsse:Security`, signed
//! now with the emulated test card's key (`testdata/cards/cps3-demo.sign.*`), which
//! `sim serve --mode cpx` trusts by default: the CPx body of `scripts/bench sim` (valid for the
//! simulator's one hour).
//!
//! `cargo run --release -p insi-load --example request_body -- N S INDEX [cpx] > body.xml`

use insi_client::{AssertionProvider, SignedAssertions};
use insi_soap::{CallIds, Caller, RecSansVitale, Request};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let cpx = args.last().is_some_and(|a| a == "cpx");
    if cpx {
        args.pop();
    }
    let args: Vec<u64> = args.iter().map(|a| a.parse().unwrap_or(0)).collect();
    let (n, seed, index) = match args.as_slice() {
        [n, s, i] => (*n, *s, *i),
        _ => {
            eprintln!("usage: request_body POPULATION SEED INDEX [cpx]");
            std::process::exit(2);
        }
    };
    let mut person = None;
    let mut k = 0;
    insi_sim::population::generate(n, seed, |id| {
        if k == index {
            person = Some(id);
        }
        k += 1;
    });
    let Some(p) = person else {
        eprintln!("no identity #{index} in a population of {n}");
        std::process::exit(2);
    };
    let first = p.prenom_tokens().next().unwrap_or_default().to_owned();
    let body = RecSansVitale {
        nom_naissance: Some(p.nom_naissance.clone()),
        prenoms: vec![first],
        sexe: Some(p.sexe.clone()),
        date_naissance: Some(p.date_naissance.clone()),
        lieu_naissance: None,
    };
    let mut caller = Caller {
        idam: insi_sim::server::DEFAULT_IDAM.into(),
        lps_version: env!("CARGO_PKG_VERSION").into(),
        instance: "7d3b2c1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into(),
        nom: "urn:lps:insi-bench-load:oha".into(),
        emetteur: insi_sim::pki::STRUCTURE_ID.into(),
    };
    let mut request = Request::rechercher_par_traits(&caller, &CallIds::fresh(), body.clone());
    if cpx {
        let cards = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/cards/");
        let read = |f: &str| {
            std::fs::read_to_string(format!("{cards}{f}")).unwrap_or_else(|e| {
                eprintln!("cannot read {cards}{f}: {e}");
                std::process::exit(2);
            })
        };
        let signed = xmldsig::RsaSoftwareSigner::from_pem(
            &read("cps3-demo.sign.key.pem"),
            &read("cps3-demo.sign.pem"),
        )
        .map(|signer| SignedAssertions::new(signer, insi_sim::cpx::test_ps_attributes()))
        .map_err(|e| e.to_string())
        .and_then(|a| a.assertion().map_err(|e| e.0));
        let assertion = signed.unwrap_or_else(|e| {
            eprintln!("cannot sign the PS assertion: {e}");
            std::process::exit(2);
        });
        // The emitter of a CPx request is the PS (the card's CN).
        caller.emetteur = "899700123456".into();
        request = Request::rechercher_par_traits(&caller, &CallIds::fresh(), body)
            .with_assertion(assertion);
    }
    eprintln!("{}", request.content_type());
    print!("{}", request.encode());
}
