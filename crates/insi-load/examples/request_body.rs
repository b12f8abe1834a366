//! Prints the SOAP request of one `traits` request of a load run (population member `INDEX` of
//! population `N`, seed `S`), and its Content-Type on stderr: the fixed payload that
//! `scripts/bench load` gives `oha`, so the reference tool sends what `insi-bench load --mix
//! traits=1` sends (same endpoint, same kind of body, same store lookup).
//!
//! `cargo run --release -p insi-load --example request_body -- N S INDEX > body.xml`

use insi_soap::{CallIds, Caller, RecSansVitale, Request};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or(0))
        .collect();
    let (n, seed, index) = match args.as_slice() {
        [n, s, i] => (*n, *s, *i),
        _ => {
            eprintln!("usage: request_body POPULATION SEED INDEX");
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
    let caller = Caller {
        idam: insi_sim::server::DEFAULT_IDAM.into(),
        lps_version: env!("CARGO_PKG_VERSION").into(),
        instance: "7d3b2c1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into(),
        nom: "urn:lps:insi-bench-load:oha".into(),
        emetteur: insi_sim::pki::STRUCTURE_ID.into(),
    };
    let request = Request::rechercher_par_traits(&caller, &CallIds::fresh(), body);
    eprintln!("{}", request.content_type());
    print!("{}", request.encode());
}
