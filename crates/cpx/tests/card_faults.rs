//! The fault matrix of one CPx signature (open, certificate, VERIFY, MSE, PSO HASH, PSO CDS)
//! over the real pcscd + vpcd, and in memory: the card pulled at each APDU, the vpcd link
//! dropped for good (what vpcd offers for an unplugged reader), another application resetting
//! the card at each APDU. Each fault must end in its typed error within a bounded time (a
//! watchdog, never a speed judgement), and the host must never present the PIN again by itself:
//! the emulated card counts the VERIFY commands that carry one.
//!
//! pcscd killed mid-session: `tests/pcscd_killed.rs` (a binary of its own: it kills its pcscd).
//! The table of faults, errors and tests: docs/cards.md §8.

mod common;

use std::sync::{Arc, Mutex};

use apdu::TransportError;
use apdu::pcsc::{PcscCard, PcscError};
use card_emu::harness::{Session, acquire_or_skip};
use card_emu::{Card, Faults, MemoryTransport};
use common::{Flow, Hooked, MESSAGE, PIN, Plan, bounded, demo_card, signature_flow};
use cpx::{CertRole, Cpx, CpxError, CpxSigner, Pin};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, PublicKey};
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

fn pulled_after(k: usize) -> Card {
    let mut card = demo_card();
    card.faults = Faults {
        pull_after_apdus: Some(u32::try_from(k).unwrap()),
        ..Faults::default()
    };
    card
}

fn presentations(card: &Mutex<Card>) -> u32 {
    card.lock().unwrap().pin_presentations().unwrap()
}

fn connect(s: &Session) -> PcscCard {
    s.context().unwrap().connect(s.reader()).unwrap()
}

/// The signature made at the end of a flow checks with the card's signature certificate.
fn assert_valid_signature<T: apdu::CardTransport>(signer: &CpxSigner<T>, signature: &[u8]) {
    assert_eq!(signer.certificate().role, CertRole::Signature);
    let (_, cert) = X509Certificate::from_der(&signer.certificate().der).unwrap();
    PublicKey::from_public_key_der(cert.public_key().raw)
        .unwrap()
        .verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(MESSAGE),
            signature,
        )
        .unwrap();
}

/// The in-memory tier of the pull matrix: every APDU, in milliseconds, and the boundary (a
/// card pulled after the last APDU signs).
#[test]
fn memory_card_pulled_at_each_apdu_of_a_signature() {
    let plan = Plan::learn();
    for k in 0..=plan.len() {
        let mut t = MemoryTransport::new(pulled_after(k));
        let flow = signature_flow(&mut t);
        if k == plan.len() {
            let Flow::Unlocked(signer, Ok(sig)) = &flow else {
                panic!("a card pulled after the last APDU must sign")
            };
            assert_valid_signature(signer, sig);
            continue;
        }
        assert_eq!(
            flow.transport_error(),
            Some(&TransportError::CardRemoved),
            "pulled at {}: {:?}",
            plan.name(k),
            flow.error()
        );
        drop(flow);
        assert_eq!(t.apdus, k + 1, "pulled at {}", plan.name(k));
        assert_eq!(
            t.card().pin_presentations(),
            Some(u32::from(k > plan.verify_at)),
            "pulled at {}",
            plan.name(k)
        );
    }
}

/// The card pulled while APDU `k` is in flight: CardRemoved, the PIN presented at most once
/// (and not at all when VERIFY itself was in flight: the card never got it).
fn pulled_at(s: &Session, plan: &Plan, k: usize) {
    let vc = s.insert(pulled_after(k)).unwrap();
    let card = Arc::clone(vc.card());
    let t = connect(s);
    let flow = bounded(&format!("card pulled at {}", plan.name(k)), move || {
        signature_flow(t)
    });
    assert_eq!(
        flow.transport_error(),
        Some(&TransportError::CardRemoved),
        "pulled at {}: {:?}",
        plan.name(k),
        flow.error()
    );
    let message = flow.error().unwrap().to_string();
    assert!(message.contains("insert it again"), "{message}");
    assert!(vc.was_pulled(), "pulled at {}", plan.name(k));
    assert_eq!(card.lock().unwrap().apdus_seen(), k as u32 + 1);
    assert_eq!(
        presentations(&card),
        u32::from(k > plan.verify_at),
        "pulled at {}",
        plan.name(k)
    );
    if [plan.verify_at, plan.verify_at + 1, plan.len() - 1].contains(&k) {
        reinserted_card_needs_the_pin_again(s, plan, k, vc, flow);
    }
}

/// After the pulled card is put back: the old session stays dead (no silent reconnect that
/// could replay anything), a new session gets PinRequired, and only the PIN the user gives
/// again unlocks it — one presentation more, not two.
fn reinserted_card_needs_the_pin_again(
    s: &Session,
    plan: &Plan,
    k: usize,
    pulled: card_emu::vpcd::VirtualCard,
    flow: Flow<PcscCard>,
) {
    let at = plan.name(k);
    let mut card = pulled.eject().lock().unwrap().clone();
    card.faults = Faults::default();
    let before = card.pin_presentations().unwrap();
    let vc = s.insert(card).unwrap();
    if let Flow::Unlocked(old, _) = flow {
        let err = bounded("the old session after reinsertion", move || {
            old.signature(MESSAGE)
        })
        .unwrap_err();
        assert_eq!(
            err.transport(),
            Some(&TransportError::CardRemoved),
            "{at}: {err}"
        );
    }
    let locked = CpxSigner::from_verified(Cpx::open(connect(s)).unwrap()).unwrap_err();
    assert_eq!(locked.error, CpxError::PinRequired, "{at}");
    let mut card = locked.card;
    assert_eq!(
        card.sign_sha256(MESSAGE),
        Err(CpxError::PinRequired),
        "{at}"
    );
    assert_eq!(
        presentations(vc.card()),
        before,
        "{at}: the PIN was replayed"
    );
    // The user types the PIN again: one presentation, and the card signs.
    let signer = CpxSigner::unlock(card, Pin::new(PIN).unwrap()).unwrap();
    let sig = signer.signature(MESSAGE).unwrap();
    assert_valid_signature(&signer, &sig);
    assert_eq!(presentations(vc.card()), before + 1, "{at}");
}

/// Through pcscd + vpcd, the card pulled at each APDU of the flow; the two reader slots of
/// the private pcscd work in parallel (each insertion waits for pcscd's presence poll).
#[test]
fn card_pulled_at_each_apdu_of_a_signature() {
    let Some(first) = acquire_or_skip("card_pulled_at_each_apdu_of_a_signature") else {
        return;
    };
    let second = card_emu::harness::acquire().unwrap();
    let plan = Plan::learn();
    eprintln!(
        "signature flow: {} APDUs, VERIFY at #{}",
        plan.len(),
        plan.verify_at
    );
    std::thread::scope(|scope| {
        for (lane, s) in [&first, &second].into_iter().enumerate() {
            let plan = &plan;
            scope.spawn(move || {
                for k in (lane..plan.len()).step_by(2) {
                    pulled_at(s, plan, k);
                }
            });
        }
    });
    // The boundary: pulled after the last APDU, the card signed.
    let _inserted = first.insert(pulled_after(plan.len())).unwrap();
    let flow = bounded("card pulled after the last APDU", {
        let t = connect(&first);
        move || signature_flow(t)
    });
    let Flow::Unlocked(signer, Ok(sig)) = &flow else {
        panic!("pulled after the last APDU: {:?}", flow.error())
    };
    assert_valid_signature(signer, sig);
}

/// "Reader unplugged", as close as vpcd gets (docs/cards.md §8): the emulator's vpcd link
/// closes between two APDUs and no card comes back. The session ends with CardRemoved once
/// pcscd has seen the reader empty, a new session is refused with "no card in reader", and
/// waiting for a card ends at its bound.
#[test]
fn reader_link_dropped_between_apdus() {
    let Some(s) = acquire_or_skip("reader_link_dropped_between_apdus") else {
        return;
    };
    let vc = s.insert(demo_card()).unwrap();
    let card = Arc::clone(vc.card());
    let signer =
        CpxSigner::unlock(Cpx::open(connect(&s)).unwrap(), Pin::new(PIN).unwrap()).unwrap();
    s.eject(vc).unwrap();
    let err = bounded("signature after the vpcd link dropped", move || {
        signer.signature(MESSAGE)
    })
    .unwrap_err();
    assert_eq!(err.transport(), Some(&TransportError::CardRemoved), "{err}");
    assert_eq!(presentations(&card), 1);
    let ctx = s.context().unwrap();
    assert_eq!(
        ctx.connect(s.reader()).unwrap_err(),
        PcscError::NoCard {
            reader: s.reader().to_owned()
        }
    );
    let wait = ctx
        .wait_for_card(s.reader(), std::time::Duration::from_millis(500))
        .unwrap_err();
    assert!(matches!(wait, PcscError::WaitTimeout { .. }), "{wait}");
}

/// A reader name pcscd does not know (what an unplugged USB reader leaves behind): the
/// session cannot start, with the readers pcscd does have named.
#[test]
fn reader_gone_from_pcscd() {
    let Some(s) = acquire_or_skip("reader_gone_from_pcscd") else {
        return;
    };
    let ctx = s.context().unwrap();
    let gone = "USB smart card reader 00 00";
    let err = ctx.pick_reader(Some(gone)).unwrap_err();
    assert!(
        matches!(&err, PcscError::UnknownReader { known, .. } if known.contains(s.reader())),
        "{err}"
    );
    let err = ctx.connect(gone).unwrap_err();
    assert_eq!(
        err,
        PcscError::ReaderUnavailable {
            reader: gone.into()
        }
    );
    assert!(err.to_string().contains("plug it back in"), "{err}");
}

/// Another application resets the card (SCardReconnect with SCARD_RESET_CARD from its own
/// context) just before each APDU of the flow: CardReset, the session reconnected, the PIN
/// state lost and not replayed — the same signer then answers PinRequired.
#[test]
fn card_reset_by_another_application_at_each_apdu_of_a_signature() {
    let Some(s) = acquire_or_skip("card_reset_by_another_application_at_each_apdu_of_a_signature")
    else {
        return;
    };
    let plan = Plan::learn();
    let vc = s.insert(demo_card()).unwrap();
    let card = Arc::clone(vc.card());
    for j in 0..plan.len() {
        let at = plan.name(j);
        let before = presentations(&card);
        let reader = s.reader().to_owned();
        let t = Hooked::new(connect(&s)).before(j, move || {
            let other = apdu::pcsc::PcscContext::establish().unwrap();
            other.connect(&reader).unwrap().reconnect(true).unwrap();
        });
        let flow = bounded(&format!("card reset before {at}"), move || {
            signature_flow(t)
        });
        assert_eq!(
            flow.transport_error(),
            Some(&TransportError::CardReset),
            "reset before {at}: {:?}",
            flow.error()
        );
        assert!(
            flow.error().unwrap().to_string().contains("was reset"),
            "{at}"
        );
        // The VERIFY itself never reached the card when the reset came just before it.
        assert_eq!(
            presentations(&card),
            before + u32::from(j > plan.verify_at),
            "reset before {at}"
        );
        if let Flow::Unlocked(signer, _) = flow {
            // Reset mid-signature: the transport is reconnected and the card answers, but
            // the PIN is not re-presented behind the user's back.
            let again = bounded("signature after the reset", move || {
                signer.signature(MESSAGE)
            });
            assert_eq!(again, Err(CpxError::PinRequired), "reset before {at}");
            assert_eq!(presentations(&card), before + 1, "reset before {at}");
        }
    }
}
