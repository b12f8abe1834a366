//! `CpxSigner` through the in-memory emulator: an enveloped XML-DSig made by the emulated card
//! verifies against the test CPx CA; a wrong PIN costs exactly one try and is not retried.

use card_emu::{MemoryTransport, Profile};
use cpx::{Cpx, CpxError, CpxSigner, Pin};
use xmldsig::{Placement, Signer, Verifier, VerifyError, sign_enveloped};

fn cards_dir() -> String {
    format!("{}/../../testdata/cards", env!("CARGO_MANIFEST_DIR"))
}

fn demo_card() -> Cpx<MemoryTransport> {
    let card = Profile::load(format!("{}/cps3-demo.toml", cards_dir()))
        .unwrap()
        .build()
        .unwrap();
    Cpx::open(MemoryTransport::new(card)).unwrap()
}

fn ca_der() -> Vec<u8> {
    let pem = std::fs::read_to_string(format!("{}/cpx-ca.pem", cards_dir())).unwrap();
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

const ASSERTION: &str = r#"<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" IssueInstant="2026-11-26T13:00:00Z" Version="2.0"><saml2:Issuer>CN=899700123456</saml2:Issuer><saml2:Subject><saml2:NameID NameQualifier="CPS">899700123456</saml2:NameID></saml2:Subject></saml2:Assertion>"#;

#[test]
fn an_assertion_signed_by_the_card_verifies_against_the_cpx_ca() {
    let signer = CpxSigner::unlock(demo_card(), Pin::new("1234").unwrap()).unwrap();
    assert_eq!(signer.certificate().card_type.as_deref(), Some("CPS"));
    let signed = sign_enveloped(ASSERTION, "ID", Placement::AfterChild("Issuer"), &signer).unwrap();
    let verified = Verifier::new([ca_der()])
        .unwrap()
        .verify(signed.as_bytes())
        .unwrap();
    assert_eq!(verified.signed_id, "_a1");
    assert_eq!(verified.signer_certificate, signer.certificate_der());

    // A second signature on the same unlock: the PIN is not presented again.
    let again = sign_enveloped(
        &ASSERTION.replace("_a1", "_a2"),
        "ID",
        Placement::AfterChild("Issuer"),
        &signer,
    )
    .unwrap();
    assert!(
        Verifier::new([ca_der()])
            .unwrap()
            .verify(again.as_bytes())
            .is_ok()
    );

    // Tampering after the card signed is caught.
    let tampered = signed.replace("899700123456</saml2:NameID>", "899700999999</saml2:NameID>");
    assert_eq!(
        Verifier::new([ca_der()])
            .unwrap()
            .verify(tampered.as_bytes())
            .unwrap_err(),
        VerifyError::DigestMismatch
    );
}

#[test]
fn a_wrong_pin_reports_tries_left_and_is_not_retried() {
    let locked = CpxSigner::unlock(demo_card(), Pin::new("9999").unwrap()).unwrap_err();
    assert_eq!(locked.error, CpxError::WrongPin { tries_left: 2 });
    assert!(locked.to_string().contains("2 tries left"), "{locked}");
    assert!(locked.to_string().contains("never retried"), "{locked}");
    // Exactly one try was spent: the card says 2 left, not fewer.
    let mut card = locked.card;
    assert_eq!(card.pin_status().unwrap().tries_left, 2);
    assert!(!card.pin_verified().unwrap());
    // The caller may ask the user again: the right PIN unlocks and restores the counter.
    let signer = CpxSigner::unlock(card, Pin::new("1234").unwrap()).unwrap();
    let mut card = signer.into_card();
    assert_eq!(card.pin_status().unwrap().tries_left, 3);
}

#[test]
fn from_verified_refuses_a_card_without_the_pin() {
    let locked = CpxSigner::from_verified(demo_card()).unwrap_err();
    assert_eq!(locked.error, CpxError::PinRequired);
    let mut card = locked.card;
    card.verify_pin(&Pin::new("1234").unwrap()).unwrap();
    let signer = CpxSigner::from_verified(card).unwrap();
    assert!(signer.sign(b"<x/>").unwrap().len() == 256);
}

#[test]
fn a_reset_card_must_be_unlocked_again() {
    let signer = CpxSigner::unlock(demo_card(), Pin::new("1234").unwrap()).unwrap();
    let mut card = signer.into_card();
    // A reset or re-insertion loses the PIN state (docs/cards.md §2): nothing re-presents it.
    card.transport().reinsert();
    let card = Cpx::open(card.into_transport()).unwrap();
    let locked = CpxSigner::from_verified(card).unwrap_err();
    assert_eq!(locked.error, CpxError::PinRequired);
}

#[test]
fn debug_shows_neither_pin_nor_holder() {
    let signer = CpxSigner::unlock(demo_card(), Pin::new("1234").unwrap()).unwrap();
    let text = format!("{signer:?}");
    assert_eq!(text, r#"CpxSigner { card_type: Some("CPS"), .. }"#);
}
