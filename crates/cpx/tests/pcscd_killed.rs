//! pcscd killed (SIGKILL, as a crash) mid-session, between two APDUs and while the card is
//! busy with a slow one: a typed "the PC/SC service stopped" error within a bounded time, no
//! hang, no panic, and after pcscd is back the PIN must be given again (never replayed).
//!
//! A test binary of its own: killing the process's pcscd takes the readers of every session of
//! the process, so these tests run one at a time ([`ONE_AT_A_TIME`]) and never share a pcscd
//! with the rest of the suite. The table of faults: docs/cards.md §8.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apdu::TransportError;
use apdu::pcsc::{PcscContext, PcscError};
use card_emu::harness::{self, acquire_or_skip};
use common::{HANG, MESSAGE, PIN, bounded, demo_card};
use cpx::{Cpx, CpxError, CpxSigner, Pin};

/// Each test kills the pcscd it started; the next one starts a fresh instance.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn presentations(card: &Mutex<card_emu::Card>) -> u32 {
    card.lock().unwrap().pin_presentations().unwrap()
}

fn assert_service_stopped(err: &CpxError) {
    assert_eq!(
        err.transport(),
        Some(&TransportError::ServiceStopped),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("restart"), "no advice: {message}");
}

#[test]
fn pcscd_killed_between_two_apdus() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(s) = acquire_or_skip("pcscd_killed_between_two_apdus") else {
        return;
    };
    let vc = s.insert(demo_card()).unwrap();
    let card = Arc::clone(vc.card());
    let t = s.context().unwrap().connect(s.reader()).unwrap();
    let signer = CpxSigner::unlock(Cpx::open(t).unwrap(), Pin::new(PIN).unwrap()).unwrap();

    s.pcscd().kill().unwrap();
    let err = bounded("signature after pcscd was killed", move || {
        signer.signature(MESSAGE)
    })
    .unwrap_err();
    assert_service_stopped(&err);
    // A new session cannot even start: pcscd is not there.
    assert_eq!(PcscContext::establish().unwrap_err(), PcscError::NoService);
    assert_eq!(presentations(&card), 1);

    // pcscd back (a fresh instance on the same socket), the card in again: the PIN state did
    // not survive, and nothing presents the PIN behind the user's back.
    let mut again = vc.eject().lock().unwrap().clone();
    again.faults = Default::default();
    drop(s);
    let s = harness::acquire().unwrap();
    let vc = s.insert(again).unwrap();
    let t = s.context().unwrap().connect(s.reader()).unwrap();
    let locked = CpxSigner::from_verified(Cpx::open(t).unwrap()).unwrap_err();
    assert_eq!(locked.error, CpxError::PinRequired);
    assert_eq!(presentations(vc.card()), 1, "the PIN was replayed");
}

#[test]
fn pcscd_killed_while_the_card_is_busy() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(s) = acquire_or_skip("pcscd_killed_while_the_card_is_busy") else {
        return;
    };
    let vc = s.insert(demo_card()).unwrap();
    let card = Arc::clone(vc.card());
    let t = s.context().unwrap().connect(s.reader()).unwrap();
    let signer = CpxSigner::unlock(Cpx::open(t).unwrap(), Pin::new(PIN).unwrap()).unwrap();
    // From now on the card takes longer than the watchdog to answer: an answer within the
    // bound can only come from pcscd's death, not from the card finishing its work.
    let seen = {
        let mut c = card.lock().unwrap();
        c.faults.slow = Some(HANG + Duration::from_secs(10));
        c.apdus_seen()
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(signer.signature(MESSAGE));
    });
    // The first APDU of the signature has reached the card, which now sits on it.
    let deadline = std::time::Instant::now() + HANG;
    while card.lock().unwrap().apdus_seen() == seen {
        assert!(
            std::time::Instant::now() < deadline,
            "the signature never reached the card"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    s.pcscd().kill().unwrap();
    // The emulator's thread is still asleep in its slow answer; joining it (dropping `vc`)
    // would wait that out, also when an assertion below fails. It ends with the process.
    std::mem::forget(vc);
    let err = match rx.recv_timeout(HANG) {
        Ok(result) => result.unwrap_err(),
        Err(_) => panic!(
            "no answer within {} s after pcscd died: it hangs",
            HANG.as_secs()
        ),
    };
    assert_service_stopped(&err);
    assert_eq!(presentations(&card), 1);
}
