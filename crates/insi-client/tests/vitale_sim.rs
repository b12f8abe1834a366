//! Vitale search (`RECVITALE`) against the embedded simulator over real mutual TLS, with the
//! beneficiaries of the emulated family card (`testdata/cards/vitale2-famille.toml`, personas
//! MARTIN in `testdata/personas.toml`).

use std::time::Duration;

use ins::CodeCr;
use insi_client::{
    ClientIdentity, HttpTransport, InsiClient, Outcome, QueryKind, RetryPolicy, TlsSetup,
    VitaleSearch,
};
use insi_sim::embedded::{EmbeddedConfig, start};

fn client(sim: &insi_sim::embedded::EmbeddedSim) -> InsiClient<HttpTransport> {
    let tls = TlsSetup {
        ca: insi_client::cert::parse_ca_pem(sim.ca_pem().as_bytes(), "ca").unwrap(),
        identity: Some(ClientIdentity::from_pem(sim.client_identity_pem().as_bytes()).unwrap()),
    };
    let caller = insi_soap::Caller {
        idam: insi_sim::server::DEFAULT_IDAM.into(),
        lps_version: "1".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-client-tests:1".into(),
        emetteur: insi_sim::pki::STRUCTURE_ID.into(),
    };
    InsiClient::new(
        HttpTransport::new(tls, Duration::from_secs(5)).unwrap(),
        sim.url().unwrap(),
        caller,
    )
    .with_policy(RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_beneficiary_of_the_family_card_gets_its_own_ins() {
    let sim = start(EmbeddedConfig::default()).await.unwrap();
    let c = client(&sim);
    // (NIR on the card, name as stored, date, expected matricule)
    let cases = [
        ("285047512301263", "MARTIN", "19850412", "2850475123012"),
        ("285047512301263", "MARTIN", "20120518", "1120575123045"),
        (
            "285047512301263",
            "MARTIN-NGUYÊN",
            "20150203",
            "2150275123079",
        ),
    ];
    for (nir, nom, date, want) in cases {
        let search = VitaleSearch::from_card(nir, nom, date, None).unwrap();
        let report = c.search_vitale(&search).await.unwrap();
        let Outcome::Resultat(r) = &report.outcome else {
            panic!("{nom} {date}: {:?}", report.outcome)
        };
        assert_eq!(r.cr, CodeCr::Ok, "{nom} {date}");
        let individu = r.individu.as_ref().unwrap();
        assert_eq!(individu.ins_actif.id_individu.num_identifiant, want);
        assert_eq!(report.trace.attempts.len(), 1);
        let attempt = &report.trace.attempts[0];
        assert_eq!(attempt.kind, QueryKind::Vitale);
        let request = String::from_utf8(attempt.request.clone()).unwrap();
        assert!(request.contains("RECVITALE"), "{request}");
        assert!(request.contains("rechercherInsAvecCarteVitale"));
        // The COUVERTURE mirrors the card: the insured's NIR and the beneficiary's birth date.
        assert!(request.contains("2850475123012"));
        let iso = format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]);
        assert!(request.contains(&format!("DateNai>{iso}<")), "{request}");
    }

    // Someone not on that card: 01.
    let stranger = VitaleSearch::from_card("285047512301263", "MARTIN", "19990101", None).unwrap();
    let report = c.search_vitale(&stranger).await.unwrap();
    let Outcome::Resultat(r) = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(r.cr, CodeCr::AucuneIdentite);
    sim.shutdown().await;
}
