//! The emulator through the real PC/SC stack: private pcscd + vpcd, card-emu as the card.

use std::time::Duration;

use apdu::{CardTransport, Command, StatusWord, TransportError, read_binary_sfi, transceive};
use card_emu::harness::acquire_or_skip;
use card_emu::{Faults, Profile, vitale};

fn profile(name: &str) -> card_emu::Card {
    Profile::load(format!(
        "{}/../../testdata/cards/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .build()
    .unwrap()
}

#[test]
fn reader_lists_atr_and_t0_protocol() {
    let Some(s) = acquire_or_skip("reader_lists_atr_and_t0_protocol") else {
        return;
    };
    let ctx = s.context().unwrap();
    let me = ctx
        .readers()
        .unwrap()
        .into_iter()
        .find(|r| r.name == s.reader())
        .unwrap();
    assert_eq!(me.atr, None, "reader without card");
    let err = ctx.connect(s.reader()).unwrap_err();
    assert!(err.to_string().contains("no card in reader"), "{err}");

    let _card = s.insert(profile("cps3-demo.toml")).unwrap();
    let me = ctx
        .readers()
        .unwrap()
        .into_iter()
        .find(|r| r.name == s.reader())
        .unwrap();
    assert_eq!(me.atr.as_deref(), Some(&card_emu::cps3::CPS3_ATR[..]));
    let card = ctx.connect(s.reader()).unwrap();
    assert_eq!(card.protocol(), Some("T=0"));
    assert_eq!(card.atr(), card_emu::cps3::CPS3_ATR);
}

#[test]
fn vitale_long_read_through_pcscd() {
    let Some(s) = acquire_or_skip("vitale_long_read_through_pcscd") else {
        return;
    };
    let _card = s.insert(profile("vitale2-famille.toml")).unwrap();
    let mut card = s.context().unwrap().connect(s.reader()).unwrap();
    let ident = read_binary_sfi(&mut card, 2, 4096).unwrap();
    assert_eq!(ident.len(), 128, "one 128-byte padded file");
    let select = Command::new(0, 0xA4, 4, 0)
        .with_data(vitale::VITALE_AID)
        .with_le(256);
    let r = transceive(&mut card, &select).unwrap();
    assert_eq!(r.sw, StatusWord::OK);
    let nirs = read_binary_sfi(&mut card, 2, 4096).unwrap();
    assert!(nirs.windows(15).any(|w| w == b"285047512301263"));
}

#[test]
fn card_pulled_mid_apdu_is_card_removed() {
    let Some(s) = acquire_or_skip("card_pulled_mid_apdu_is_card_removed") else {
        return;
    };
    let mut emulated = profile("cps3-demo.toml");
    emulated.faults = Faults {
        pull_after_apdus: Some(1),
        ..Faults::default()
    };
    let vc = s.insert(emulated).unwrap();
    let mut card = s.context().unwrap().connect(s.reader()).unwrap();
    let sel = Command::new(0, 0xA4, 0, 0x0C).with_data([0x3F, 0x00]);
    assert_eq!(transceive(&mut card, &sel).unwrap().sw, StatusWord::OK);
    let err = transceive(&mut card, &sel).unwrap_err();
    assert_eq!(
        err,
        apdu::ApduError::Transport(TransportError::CardRemoved),
        "{err}"
    );
    assert!(vc.was_pulled());
    s.context()
        .unwrap()
        .wait_for_removal(s.reader(), Duration::from_secs(10))
        .unwrap();
}
