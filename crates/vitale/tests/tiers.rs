//! The Vitale 2 read through the in-memory emulator and through pcscd + vpcd.

use card_emu::harness::acquire_or_skip;
use card_emu::{Card, MemoryTransport, Profile};
use vitale::{Vitale2Card, VitaleError, VitaleSource};

fn profile(name: &str) -> Card {
    let path = format!("{}/../../testdata/cards/{name}", env!("CARGO_MANIFEST_DIR"));
    Profile::load(path).unwrap().build().unwrap()
}

fn check_family<S: VitaleSource>(card: &mut S) {
    let people = card.beneficiaires().unwrap();
    let names: Vec<_> = people
        .iter()
        .map(|p| format!("{} {} {}", p.nom, p.prenom, p.date_naissance))
        .collect();
    assert_eq!(
        names,
        [
            "MARTIN CLÉMENCE 19850412",
            "MARTIN LÉO 20120518",
            "MARTIN-NGUYÊN ZOÉ 20150203"
        ]
    );
    for p in &people {
        let nir = p.nir.as_deref().unwrap();
        let m = ins::Matricule::parse(&nir[..13]).unwrap();
        assert!(
            m.check(nir[13..].parse().unwrap()).is_ok(),
            "NIR key of {nir}"
        );
        assert_eq!((p.qualite.as_deref(), p.rang_naissance), (None, None));
    }
}

#[test]
fn family_card_in_memory() {
    let mut card =
        Vitale2Card::open(MemoryTransport::new(profile("vitale2-famille.toml"))).unwrap();
    check_family(&mut card);
}

#[test]
fn family_card_in_memory_t1_style() {
    let mut emulated = profile("vitale2-famille.toml");
    emulated.set_t0_chunk(None);
    let mut card = Vitale2Card::open(MemoryTransport::new(emulated)).unwrap();
    check_family(&mut card);
}

#[test]
fn family_card_through_pcscd() {
    let Some(s) = acquire_or_skip("family_card_through_pcscd") else {
        return;
    };
    let _inserted = s.insert(profile("vitale2-famille.toml")).unwrap();
    let mut card = Vitale2Card::open(s.context().unwrap().connect(s.reader()).unwrap()).unwrap();
    check_family(&mut card);
}

#[test]
fn other_cards_are_refused() {
    let e = Vitale2Card::open(MemoryTransport::new(profile("vitale1.toml"))).unwrap_err();
    assert_eq!(e, VitaleError::Vitale1);
    let e = Vitale2Card::open(MemoryTransport::new(profile("cps3-demo.toml"))).unwrap_err();
    assert!(matches!(e, VitaleError::NotVitale { .. }), "{e}");
}
