//! Simulator throughput measured from outside with `oha` (cargo install oha --version 1.16.0
//! --locked): the SOAP endpoint (a trait search answered `00` from the store, RESULTAT encoded)
//! and, in the same run against the same server and TLS setup, the trivial `GET /health`
//! endpoint as the floor. Prints both rates per round and the median of soap / health.
//!
//! `cargo bench -p insi-bench-benches --bench sim_throughput`. Settings: `OHA` (path of the
//! binary, default `oha` on PATH), `INSI_SIM_OHA_DURATION` (default `5s`),
//! `INSI_SIM_OHA_CONNECTIONS` (default 16), `INSI_SIM_OHA_ROUNDS` (default 3). Without oha it
//! says how to install it and exits 0.

use std::process::Command;

use insi_soap::{CallIds, Caller, RecSansVitale, Request};

fn main() {
    let oha = std::env::var("OHA").unwrap_or_else(|_| "oha".into());
    if Command::new(&oha).arg("--version").output().is_err() {
        eprintln!(
            "sim_throughput: '{oha}' not found; install it with `cargo install oha --version 1.16.0 --locked` or set OHA=/path/to/oha"
        );
        return;
    }
    let duration = std::env::var("INSI_SIM_OHA_DURATION").unwrap_or_else(|_| "5s".into());
    let connections = std::env::var("INSI_SIM_OHA_CONNECTIONS").unwrap_or_else(|_| "16".into());
    let rounds: u32 = std::env::var("INSI_SIM_OHA_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sim = runtime
        .block_on(insi_sim::embedded::start(Default::default()))
        .expect("simulator");
    let url = sim.url().expect("mTLS host");
    let dir = std::env::temp_dir().join(format!("insi-sim-oha-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    };
    let ca = write("ca.pem", sim.ca_pem());
    let cert = write("client.pem", &sim.client().chain_pem());
    let key = write("client.key", &sim.client().key_pem);
    let caller = Caller {
        idam: insi_sim::server::DEFAULT_IDAM.into(),
        lps_version: "1".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-bench:oha".into(),
        emetteur: insi_sim::pki::STRUCTURE_ID.into(),
    };
    let body = RecSansVitale {
        nom_naissance: Some("ADRUN".into()),
        prenoms: vec!["ZOE".into()],
        sexe: Some("F".into()),
        date_naissance: Some("1975-12-31".into()),
        lieu_naissance: None,
    };
    let request = Request::rechercher_par_traits(&caller, &CallIds::fresh(), body);
    let body_file = write("request.xml", &request.encode());
    let content_type = format!("content-type: {}", request.content_type());

    let run = |label: &str, extra: &[&str], target: &str| -> (f64, f64, f64, u64) {
        let out = Command::new(&oha)
            .args([
                "--no-tui",
                "--output-format",
                "json",
                "-z",
                &duration,
                "-c",
                &connections,
            ])
            .args(["--cacert", &ca, "--cert", &cert, "--key", &key])
            .args(extra)
            .arg(target)
            .output()
            .expect("run oha");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "oha output is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let rps = v["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0);
        let p50 = v["latencyPercentiles"]["p50"].as_f64().unwrap_or(0.0) * 1e3;
        let p99 = v["latencyPercentiles"]["p99"].as_f64().unwrap_or(0.0) * 1e3;
        let ok = v["statusCodeDistribution"]["200"].as_u64().unwrap_or(0);
        println!(
            "{label:>10}: {rps:>9.0} req/s, p50 {p50:.2} ms, p99 {p99:.2} ms, {ok} × HTTP 200"
        );
        (rps, p50, p99, ok)
    };
    println!(
        "oha -z {duration} -c {connections}, HTTP/1.1 keep-alive, mTLS (INSI-AUTO), 2 cores shared with the load tool; {rounds} alternating rounds"
    );
    // Alternating rounds, so that a burst of load from elsewhere on the machine hits both
    // endpoints alike; the ratio is taken per round and its median reported.
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let health = run(
            &format!("health #{round}"),
            &[],
            &url.replace("/lps", "/health"),
        );
        let soap = run(
            &format!("soap #{round}"),
            &["-m", "POST", "-H", &content_type, "-D", &body_file],
            &url,
        );
        if health.0 > 0.0 {
            ratios.push(soap.0 / health.0);
        }
    }
    ratios.sort_by(f64::total_cmp);
    if let Some(median) = ratios.get(ratios.len() / 2) {
        let all: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "soap / health throughput ratio: median {median:.2} (rounds: {})",
            all.join(", ")
        );
    }
    runtime.block_on(sim.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}
