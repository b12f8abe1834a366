//! Writes the generated seeds of the corpora (`fuzz/corpus/NAME/gen-*`): dialogues recorded with
//! the emulated cards, a PS assertion signed with the test PKI, a load result and its interval
//! log, the configuration template. Ignored by default (it writes into the source tree); run by
//! hand after changing what the seeds come from:
//! `cargo nextest run -p insi-fuzz --test seeds --run-ignored only`. The other seeds are files
//! of `testdata/` and hand-made edge cases (docs/fuzzing.md).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use apdu::{CardTransport, Command};
use card_emu::{MemoryTransport, Profile};
use cpx::{Cpx, Pin};
use insi_fuzz::script::{Recorder, record};
use insi_load::measure::{Percentiles, histogram};
use insi_load::report::{Interval, LoadReport, Tool, encode_histogram, throughput};
use insi_soap::{CallIds, Caller, PsAssertion, PsAttributes, RecSansVitale, Request};
use vitale::{Vitale2Card, VitaleSource};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = root().join("fuzz/corpus").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(format!("gen-{name}")), bytes).unwrap();
}

fn card(name: &str) -> MemoryTransport {
    let path = root().join("testdata/cards").join(name);
    MemoryTransport::new(Profile::load(&path).unwrap().build().unwrap())
}

/// vpcd frames: power on, ATR request, then each command, as pcscd's vpcd driver sends them.
fn vpcd_stream(setup: u8, commands: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![setup];
    for payload in [&[0x01][..], &[0x04][..]]
        .into_iter()
        .chain(commands.iter().map(Vec::as_slice))
    {
        out.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
        out.extend_from_slice(payload);
    }
    out
}

fn cps3_dialogue(t: &mut Recorder<MemoryTransport>) {
    let mut cpx = Cpx::open(t).unwrap();
    cpx.info().unwrap();
    cpx.verify_pin(&Pin::new("1234").unwrap()).unwrap();
    cpx.sign_sha256(b"<SignedInfo/>").unwrap();
    cpx.authenticate(&[0x30; 51]).unwrap();
}

fn vitale_dialogue(t: &mut Recorder<MemoryTransport>) {
    let people = Vitale2Card::open(t).unwrap().beneficiaires().unwrap();
    assert!(people.len() > 1);
}

fn cards() {
    let (script, commands) = record(card("cps3-demo.toml"), cps3_dialogue);
    write(
        "card_host",
        "cps3-info-pin-sign",
        &[[0u8].as_slice(), &script].concat(),
    );
    write("vpcd_framing", "cps3-session", &vpcd_stream(0, &commands));
    let (script, commands) = record(card("vitale2-famille.toml"), vitale_dialogue);
    write(
        "card_host",
        "vitale2-famille",
        &[[1u8].as_slice(), &script].concat(),
    );
    write(
        "vpcd_framing",
        "vitale2-session",
        &vpcd_stream(1, &commands),
    );
    // The same Vitale session with the wrong-Le fault, and a CPS3 pulled after 3 APDUs.
    write(
        "vpcd_framing",
        "vitale2-wrong-le",
        &vpcd_stream(1 | 0x04, &commands),
    );
    write(
        "vpcd_framing",
        "vitale1-session",
        &vpcd_stream(2, &commands[..2]),
    );
    let (_, commands) = record(card("cps3-demo.toml"), cps3_dialogue);
    write(
        "vpcd_framing",
        "cps3-pulled",
        &vpcd_stream(0x08 | 0x30, &commands[..6]),
    );

    // The two identity files of a family card, as `vitale_records` splits them.
    let mut t = card("vitale2-famille.toml");
    let select = |t: &mut MemoryTransport, data: &[u8], p1| {
        let cmd = Command::new(0x00, 0xA4, p1, 0x00).with_data(data);
        assert!(apdu::transceive(t, &cmd).unwrap().sw.is_ok());
    };
    select(&mut t, &[0x3F, 0x00], 0x00);
    let ident = apdu::read_binary_sfi(&mut t, 2, 8192).unwrap();
    select(&mut t, &vitale::VITALE_AID, 0x04);
    let nirs = apdu::read_binary_sfi(&mut t, 2, 8192).unwrap();
    let len = u16::try_from(ident.len()).unwrap().to_be_bytes();
    write(
        "vitale_records",
        "famille",
        &[&len[..], &ident, &nirs].concat(),
    );
    write("ber_tlv", "vitale-ident", &ident);
    assert!(t.atr().starts_with(&[0x3B]));
}

fn signed_request() {
    let pki = root().join("testdata/pki");
    let read = |f: &str| fs::read_to_string(pki.join(f)).unwrap();
    let signer =
        xmldsig::RsaSoftwareSigner::from_pem(&read("cpx-ps.key"), &read("cpx-ps.pem")).unwrap();
    let cert =
        insi_client::CertificateFile::parse(read("cpx-ps.pem").as_bytes(), "pem", None).unwrap();
    let issued = jiff::Timestamp::from_second(1_811_808_000).unwrap(); // 2027-06-01
    let assertion = PsAssertion::from_certificate(
        cert.leaf().unwrap(),
        PsAttributes {
            identifiant_facturation: "10B0152872".into(),
            code_specialite_amo: Some("01".into()),
            secteur_activite: "SA07".into(),
        },
        uuid::Uuid::from_u128(0x636c_9d43_1a19_5b8c_a8b1_ac43_227c_fe46),
        issued,
    )
    .unwrap();
    let raw = assertion.sign(&signer).unwrap();
    // The verifier of the target accepts it: mutations start from a fully valid document.
    let anchor = fs::read_to_string(pki.join("cpx-ca.pem")).unwrap();
    let anchor = insi_client::CertificateFile::parse(anchor.as_bytes(), "ca", None).unwrap();
    xmldsig::Verifier::new([anchor.leaf().unwrap().to_vec()])
        .unwrap()
        .at_time(1_811_808_000)
        .verify(raw.xml.as_bytes())
        .unwrap();
    write(
        "verify_assertion",
        "ps-assertion-signed.xml",
        raw.xml.as_bytes(),
    );
    write("c14n", "ps-assertion-signed.xml", raw.xml.as_bytes());

    let caller = Caller {
        idam: "TESTSGIE0000".into(),
        lps_version: "1.0".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-bench:1.0".into(),
        emetteur: "10B0152872".into(),
    };
    let ids = CallIds {
        message_id: uuid::Uuid::from_u128(1),
        lps_id: uuid::Uuid::from_u128(2),
        bam_id: uuid::Uuid::from_u128(3),
        temps: issued,
    };
    let traits = ins::Traits::parse("d'aeion coeur", "jean", "M", "1985-04-12", None).unwrap();
    let request =
        Request::rechercher_par_traits(&caller, &ids, RecSansVitale::from_traits(&traits))
            .with_assertion(raw);
    write(
        "decode_request",
        "cpx-signed.xml",
        request.encode().as_bytes(),
    );
}

fn load_result() {
    let mut h = histogram();
    for v in [900, 1_200, 1_500, 40_000, 3_000_000] {
        h.saturating_record(v);
    }
    let p = Percentiles::of(&h);
    let started = jiff::Timestamp::from_second(1_811_808_000).unwrap();
    let report = LoadReport {
        format: 1,
        tool: Tool::this(),
        label: Some("seed".into()),
        config: insi_load::config::LoadConfig::default(),
        started,
        finished: started + jiff::SignedDuration::from_secs(2),
        duration_s: 2.0,
        requests: 6,
        ok: 5,
        errors: 1,
        calls: 6,
        warmup_requests: 0,
        throughput: throughput(6, 5, 6, 2.0),
        latency_ms: p,
        classes: BTreeMap::from([("ok".into(), 5), ("fault".into(), 1)]),
        mismatches: Vec::new(),
        intervals: vec![Interval {
            offset_s: 0.0,
            duration_s: 1.0,
            requests: 6,
            ok: 5,
            errors: 1,
            p50_ms: p.p50,
            p99_ms: p.p99,
            histogram: encode_histogram(&h).unwrap(),
        }],
        histogram: encode_histogram(&h).unwrap(),
        sources: Vec::new(),
    };
    write(
        "result_json",
        "load-result.json",
        serde_json::to_string_pretty(&report).unwrap().as_bytes(),
    );
    let log = std::env::temp_dir().join(format!("insi-fuzz-seed-{}.hlog", std::process::id()));
    insi_load::hdr::write_log(&report, &log).unwrap();
    write("result_json", "load.hlog", &fs::read(&log).unwrap());
    fs::remove_file(&log).unwrap();
}

#[test]
#[ignore = "writes into fuzz/corpus/: run by hand (see the module doc)"]
fn write_generated_seeds() {
    cards();
    signed_request();
    load_result();
    let config = insi_client::config::template(uuid::Uuid::from_u128(7));
    write("config_toml", "template.toml", config.as_bytes());
}
