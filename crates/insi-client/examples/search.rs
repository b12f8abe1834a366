//! A trait search against the embedded simulator over mutual TLS, the way a publisher's
//! software would call qualification: `cargo run -p insi-client --example search`.
//!
//! For the real service, replace the simulator's URL, CA and credentials with
//! `Environment::QualifMtls`, the IGC-Santé CA bundle and your INSI-AUTO certificate.

use std::time::Duration;

use insi_client::{ClientIdentity, HttpTransport, InsiClient, Outcome, Strategy, TlsSetup};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = insi_sim::embedded::start(Default::default()).await?;
    let tls = TlsSetup {
        ca: insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "simulator CA")?,
        identity: Some(ClientIdentity::from_pem(
            sim.client_identity_pem().as_bytes(),
        )?),
    };
    let caller = insi_soap::Caller {
        idam: insi_sim::server::DEFAULT_IDAM.into(),
        lps_version: "1.0".into(),
        instance: uuid::Uuid::new_v4().to_string(),
        nom: "urn:lps:exemple:1.0".into(),
        emetteur: insi_sim::pki::STRUCTURE_ID.into(),
    };
    let client = InsiClient::new(
        HttpTransport::new(tls, Duration::from_secs(10))?,
        sim.url().unwrap_or_default(),
        caller,
    );

    // Validated before anything is sent; refused input never reaches the wire.
    let traits = ins::Traits::parse("Tchitchi", "Ola Catarina Bella", "F", "1936-06-21", None)?;
    let report = client.search(&traits, Strategy::Cnda).await?;
    for attempt in &report.trace.attempts {
        println!(
            "{:<20} {:?} {:.1} ms",
            attempt.prenom,
            attempt.outcome,
            attempt.ms()
        );
    }
    match &report.outcome {
        Outcome::Resultat(r) => match &r.individu {
            Some(i) => println!(
                "CR {}: INS {} {} ({})",
                r.cr,
                i.ins_actif.id_individu.num_identifiant,
                i.ins_actif.id_individu.cle.as_deref().unwrap_or("--"),
                i.ins_actif.oid
            ),
            None => println!("CR {} {}", r.cr, r.libelle),
        },
        Outcome::Fault(f) => println!("fault {}", insi_client::fault_code(f)),
        Outcome::Failed(e) => println!("failed: {e} ({})", e.advice()),
    }
    sim.shutdown().await;
    Ok(())
}
