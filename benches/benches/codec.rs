//! INSi wire codec and XML signature: decode a live-shaped response, a CNDA-style one and a
//! fault, build a trait-search envelope, build + canonicalise + sign a PS assertion (RSA-2048),
//! verify it.
//!
//! Floor: a bare quick-xml event scan (no namespaces, no text decoding) of the same response
//! bytes, measured in the same run — read decode figures as a ratio to it (issue 14: ≤ 1.5× by
//! instruction count, `examples/decode_cost`; wall time here). The decoder no longer uses
//! quick-xml: the floor is kept as the same fixed yardstick.
//! Targets (issues 3, 14): `Request::write_trait_search` ≤ 2 µs; assertion build + c14n + sign
//! ≤ 1 ms, read against the RSA-2048 signature alone (`floor/rsa2048_pkcs1_sha256_sign`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use insi_soap::{
    CallIds, Caller, PsAssertion, PsAttributes, RecSansVitale, Request, decode_response,
};
use quick_xml::Reader;
use quick_xml::events::Event;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, PKCS_RSA_SHA256,
};
use xmldsig::{RsaSoftwareSigner, Signer, Verifier};

const LIVE: &[u8] = include_bytes!("../../testdata/xml/resultat-00-live.xml");
const CNDA: &[u8] = include_bytes!("../../testdata/xml/resultat-00-cnda-ns2.xml");
const FAULT: &[u8] = include_bytes!("../../testdata/xml/fault-siram100-desir550.xml");

/// Namespace resolution alone (what any namespace-correct decoder must at least pay).
fn ns_scan(bytes: &[u8]) -> usize {
    let mut reader = quick_xml::NsReader::from_reader(bytes);
    let mut events = 0;
    loop {
        match reader.read_resolved_event() {
            Ok((_, Event::Eof)) | Err(_) => return events,
            Ok(_) => events += 1,
        }
    }
}

fn scan_floor(bytes: &[u8]) -> usize {
    let mut reader = Reader::from_reader(bytes);
    let mut events = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => return events,
            Ok(_) => events += 1,
        }
    }
}

/// A CPS-like RSA-2048 signature certificate and key (test PKI, NOT FOR PRODUCTION).
fn card_signer() -> (RsaSoftwareSigner, Vec<u8>) {
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "TEST AC CLASSE-1");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root =
        CertifiedIssuer::self_signed(ca, KeyPair::generate_for(&PKCS_RSA_SHA256).expect("key"))
            .expect("ca");
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name.push(DnType::CountryName, "FR");
    leaf.distinguished_name
        .push(DnType::CommonName, "899700000001");
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).expect("key");
    let cert = leaf.signed_by(&key, &root).expect("leaf");
    let signer = RsaSoftwareSigner::from_pkcs8_der(&key.serialize_der(), cert.der().to_vec())
        .expect("signer");
    (signer, root.der().to_vec())
}

fn bench(c: &mut Criterion) {
    assert!(decode_response(LIVE).is_ok() && decode_response(CNDA).is_ok());
    assert!(decode_response(FAULT).is_ok());

    c.bench_function("floor/quick_xml_scan_live_response", |b| {
        b.iter(|| scan_floor(black_box(LIVE)))
    });
    c.bench_function("reference/quick_xml_ns_scan_live_response", |b| {
        b.iter(|| ns_scan(black_box(LIVE)))
    });
    c.bench_function("codec/decode_live_00_two_inshisto", |b| {
        b.iter(|| decode_response(black_box(LIVE)))
    });
    c.bench_function("floor/quick_xml_scan_cnda_response", |b| {
        b.iter(|| scan_floor(black_box(CNDA)))
    });
    c.bench_function("codec/decode_cnda_ns2", |b| {
        b.iter(|| decode_response(black_box(CNDA)))
    });
    c.bench_function("codec/decode_fault", |b| {
        b.iter(|| decode_response(black_box(FAULT)))
    });

    let traits = ins::Traits::parse("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14", Some("63220"))
        .expect("traits");
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
        temps: jiff::Timestamp::UNIX_EPOCH,
    };
    c.bench_function("codec/build_trait_search_envelope", |b| {
        b.iter(|| {
            Request::rechercher_par_traits(
                black_box(&caller),
                black_box(&ids),
                RecSansVitale::from_traits(black_box(&traits)),
            )
            .encode()
        })
    });

    // What the client sends for each trait search: written straight from the traits into a
    // reused buffer, no `Request` built (the ≤ 2 µs target).
    let mut written = String::with_capacity(4096);
    c.bench_function("codec/write_trait_search", |b| {
        b.iter(|| {
            written.clear();
            Request::write_trait_search(
                black_box(&caller),
                black_box(&ids),
                RecSansVitale::from_traits(black_box(&traits)),
                &mut written,
            );
            written.len()
        })
    });

    // The writing alone, for a request already built (what a retry or the first-name loop reuses).
    let prepared =
        Request::rechercher_par_traits(&caller, &ids, RecSansVitale::from_traits(&traits));
    let mut buffer = String::with_capacity(4096);
    c.bench_function("codec/encode_prepared_envelope", |b| {
        b.iter(|| {
            buffer.clear();
            black_box(&prepared).encode_into(&mut buffer);
            buffer.len()
        })
    });

    // Floor for building: allocate and copy the finished envelope's bytes.
    let finished = prepared.encode();
    c.bench_function("floor/alloc_copy_envelope", |b| {
        b.iter(|| String::from(black_box(finished.as_str())))
    });

    let (signer, root) = card_signer();
    let attributes = PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA07".into(),
    };
    let build_and_sign = || {
        let a = PsAssertion::from_certificate(
            signer.certificate_der(),
            attributes.clone(),
            ids.message_id,
            ids.temps,
        )
        .expect("assertion");
        a.sign(&signer).expect("sign")
    };
    c.bench_function("dsig/assertion_build_c14n_sign_rsa2048", |b| {
        b.iter(build_and_sign)
    });
    // The RSA private-key operation alone, to see what the XML work adds.
    c.bench_function("floor/rsa2048_pkcs1_sha256_sign", |b| {
        b.iter(|| signer.sign(black_box(b"x")))
    });

    let signed = build_and_sign().xml;
    let verifier = Verifier::new([root]).expect("anchors");
    assert!(verifier.verify(signed.as_bytes()).is_ok());
    c.bench_function("dsig/assertion_verify_chain", |b| {
        b.iter(|| verifier.verify(black_box(signed.as_bytes())))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
