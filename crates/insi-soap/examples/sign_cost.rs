//! Cost of a PS assertion (build from the certificate, exclusive c14n, SHA-256, software
//! RSA-2048 signature, `ds:Signature` inserted) against its floor, the RSA-2048 PKCS#1 v1.5
//! signature alone, with the shipped test key (`testdata/pki/cpx-ps.*`, NOT FOR PRODUCTION).
//! Instruction counts stay exact on a busy machine:
//!
//! ```text
//! cargo build --release -p insi-soap --example sign_cost
//! for m in rsa assertion; do for n in 20 60; do
//!   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
//!     ./target/release/examples/sign_cost $n $m 2>&1 | grep 'I *refs'; done; done
//! ```
//! (instructions per call = difference of the two counts / 40; `scripts/bench codec`).
//! Without a mode it prints wall time per call for both, alternating.

use std::hint::black_box;

use insi_soap::{PsAssertion, PsAttributes};
use xmldsig::{RsaSoftwareSigner, Signer};

const KEY: &str = include_str!("../../../testdata/pki/cpx-ps.key");
const CERT: &str = include_str!("../../../testdata/pki/cpx-ps.pem");

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let signer = RsaSoftwareSigner::from_pem(KEY, CERT).unwrap_or_else(|e| panic!("{e}"));
    let attributes = PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA07".into(),
    };
    let id = uuid::Uuid::from_u128(1);
    let assertion = || {
        let a = PsAssertion::from_certificate(
            signer.certificate_der(),
            attributes.clone(),
            id,
            jiff::Timestamp::UNIX_EPOCH,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        a.sign(&signer).unwrap_or_else(|e| panic!("{e}"))
    };
    // What RSA signs in an assertion: the canonical SignedInfo, about 600 bytes.
    let signed_info = vec![b'x'; 600];
    let rsa = || signer.sign(&signed_info).unwrap_or_else(|e| panic!("{e}"));
    match std::env::args().nth(2).as_deref() {
        Some("assertion") => (0..n).for_each(|_| {
            black_box(assertion());
        }),
        Some("rsa") => (0..n).for_each(|_| {
            black_box(rsa());
        }),
        _ => {
            for _ in 0..3 {
                let t = std::time::Instant::now();
                (0..n).for_each(|_| {
                    black_box(rsa());
                });
                let floor = t.elapsed() / n;
                let t = std::time::Instant::now();
                (0..n).for_each(|_| {
                    black_box(assertion());
                });
                let full = t.elapsed() / n;
                println!(
                    "rsa2048 sign {floor:?}  assertion build+c14n+sign {full:?}  ratio {:.3}",
                    full.as_secs_f64() / floor.as_secs_f64()
                );
            }
        }
    }
}
