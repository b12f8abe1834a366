//! The emulator faces whatever vpcd forwards: no input makes it panic, and it always answers
//! at least SW1 SW2 (vpcd reads an empty frame as card removal).

use card_emu::{Card, Outcome, Profile};
use proptest::prelude::*;

fn card(name: &str) -> Card {
    let path = format!("{}/../../testdata/cards/{name}", env!("CARGO_MANIFEST_DIR"));
    Profile::load(path).unwrap().build().unwrap()
}

fn apdu() -> impl Strategy<Value = Vec<u8>> {
    // Mostly well-formed headers on the instructions the cards implement, plus raw noise.
    let ins = prop::sample::select(vec![0xA4u8, 0xB0, 0xC0, 0xCB, 0x20, 0x22, 0x88, 0x2A, 0x00]);
    let shaped = (
        prop::sample::select(vec![0x00u8, 0x10, 0x80]),
        ins,
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..120),
    )
        .prop_map(|(cla, ins, p1, p2, data)| {
            let mut v = vec![cla, ins, p1, p2];
            if !data.is_empty() {
                v.push(data.len() as u8);
                v.extend_from_slice(&data);
            }
            v
        });
    prop_oneof![shaped, prop::collection::vec(any::<u8>(), 0..40)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn any_apdu_sequence_gets_an_answer(seq in prop::collection::vec(apdu(), 1..20)) {
        for name in ["cps3-demo.toml", "vitale2-famille.toml"] {
            let mut c = card(name);
            for a in &seq {
                match c.process(a) {
                    Outcome::Reply(r) => prop_assert!(r.len() >= 2),
                    Outcome::Pulled => prop_assert!(false, "no fault configured"),
                }
            }
        }
    }
}
