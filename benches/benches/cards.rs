//! Card APDU paths: the emulated CPx and Vitale in memory, and the CPx through the real pcscd.
//!
//! Floors measured in the same run: one SELECT MF round trip (memory, and pcscd when present),
//! and one raw RSA-2048 PKCS#1 v1.5 signature with the card's key (the emulator's own cost in
//! the signing path). Report ratios against them, not absolute times.

use std::hint::black_box;
use std::path::PathBuf;

use apdu::{Command, transceive};
use card_emu::{Card, MemoryTransport, Profile};
use cpx::{Cpx, Pin};
use criterion::{Criterion, criterion_group, criterion_main};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, PrivateKey};
use sha2::{Digest, Sha256};
use vitale::{Vitale2Card, VitaleSource};

fn cards() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/cards")
}

fn card(name: &str) -> Card {
    Profile::load(cards().join(name))
        .and_then(|p| p.build())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn select_mf() -> Command {
    Command::new(0x00, 0xA4, 0x00, 0x0C).with_data([0x3F, 0x00])
}

fn memory(c: &mut Criterion) {
    let mut t = MemoryTransport::new(card("cps3-demo.toml"));
    c.bench_function("cards/floor/select_mf_memory", |b| {
        b.iter(|| transceive(&mut t, black_box(&select_mf())))
    });

    let cps3 = card("cps3-demo.toml");
    c.bench_function("cards/cpx_open_info_memory", |b| {
        b.iter(|| {
            Cpx::open(MemoryTransport::new(cps3.clone()))
                .and_then(|mut c| c.info())
                .map(|i| i.serial)
        })
    });

    let key_pem =
        std::fs::read_to_string(cards().join("cps3-demo.sign.key.pem")).unwrap_or_default();
    let key = PrivateKey::from_pkcs8_pem(&key_pem).unwrap_or_else(|e| panic!("{e}"));
    let digest = Sha256::digest([0x5A; 1000]);
    c.bench_function("cards/floor/rsa2048_sign", |b| {
        b.iter(|| key.sign(Pkcs1v15Sign::new::<Sha256>(), black_box(&digest)))
    });
    let mut signer =
        Cpx::open(MemoryTransport::new(card("cps3-demo.toml"))).unwrap_or_else(|e| panic!("{e}"));
    signer
        .verify_pin(&Pin::new("1234").unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("cards/cpx_sign_1k_memory", |b| {
        b.iter(|| signer.sign_sha256(black_box(&[0x5A; 1000])))
    });

    let family = card("vitale2-famille.toml");
    c.bench_function("cards/vitale_read_memory", |b| {
        b.iter(|| {
            Vitale2Card::open(MemoryTransport::new(family.clone()))
                .and_then(|mut v| v.beneficiaires())
        })
    });
}

fn pcscd(c: &mut Criterion) {
    let Some(s) = card_emu::harness::acquire_or_skip("cards pcscd benches") else {
        return;
    };
    let _inserted = s
        .insert(card("cps3-demo.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let ctx = s.context().unwrap_or_else(|e| panic!("{e}"));
    let mut t = ctx.connect(s.reader()).unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("cards/floor/select_mf_pcscd", |b| {
        b.iter(|| transceive(&mut t, black_box(&select_mf())))
    });
    let mut cpx = Cpx::open(t).unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("cards/cpx_info_pcscd", |b| {
        b.iter(|| cpx.info().map(|i| i.serial))
    });
}

/// A PS assertion signed by the emulated card through `cpx::CpxSigner` (xmldsig c14n, PSO HASH,
/// PSO CDS, the emulator's RSA in the `rsa` crate), against the same assertion signed with the
/// same key in software (`xmldsig::RsaSoftwareSigner`, aws-lc): the floor.
fn ps_assertion(c: &mut Criterion) {
    let unlocked = Cpx::open(MemoryTransport::new(card("cps3-demo.toml")))
        .map_err(|e| e.to_string())
        .and_then(|card| {
            cpx::CpxSigner::unlock(card, Pin::new("1234").map_err(|e| e.to_string())?)
                .map_err(|l| l.to_string())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let attributes = insi_soap::PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA05".into(),
    };
    let cert = unlocked.certificate().der.clone();
    let read = |f: &str| std::fs::read_to_string(cards().join(f)).unwrap_or_else(|e| panic!("{e}"));
    let software = xmldsig::RsaSoftwareSigner::from_pem(
        &read("cps3-demo.sign.key.pem"),
        &read("cps3-demo.sign.pem"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // Floor: the same assertion signed with the same key in software (aws-lc).
    c.bench_function("cards/floor/ps_assertion_software", |b| {
        b.iter(|| {
            insi_soap::PsAssertion::from_certificate(
                &cert,
                attributes.clone(),
                uuid::Uuid::new_v4(),
                jiff::Timestamp::now(),
            )
            .map(|a| a.sign(&software))
        })
    });
    c.bench_function("cards/ps_assertion_card_memory", |b| {
        b.iter(|| {
            insi_soap::PsAssertion::from_certificate(
                &cert,
                attributes.clone(),
                uuid::Uuid::new_v4(),
                jiff::Timestamp::now(),
            )
            .map(|a| a.sign(&unlocked))
        })
    });
}

criterion_group!(benches, memory, ps_assertion, pcscd);
criterion_main!(benches);
