//! Every profile in testdata/cards loads and builds; bad profiles say what is wrong and where.

use std::path::PathBuf;

use card_emu::{Profile, ProfileError};

fn cards() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards")
}

#[test]
fn all_shipped_profiles_build() {
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(cards()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let card = Profile::load(&path).unwrap().build().unwrap();
            kinds.push(card.kind());
        }
    }
    kinds.sort();
    assert_eq!(kinds, ["cps3", "unknown", "vitale1", "vitale2"]);
}

fn load(text: &str) -> ProfileError {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, text).unwrap();
    Profile::load(&p).and_then(|p| p.build()).unwrap_err()
}

#[test]
fn bad_profiles_are_explained() {
    let e = load("kind = \"cps3\"\nlabel = \"x\"\ncolour = \"red\"\n").to_string();
    assert!(
        e.contains("bad.toml") && e.contains("unknown field `colour`") && e.contains("line 3"),
        "{e}"
    );
    let e = load("kind = \"vitale2\"\n").to_string();
    assert!(e.contains("at least one [[beneficiaire]]"), "{e}");
    let e = load("kind = \"vitale2\"\n[[beneficiaire]]\nnom = \"ŁUKASZ\"\nprenom = \"A\"\ndate_naissance = \"20000101\"\nnir = \"100017512345678\"\n").to_string();
    assert!(e.contains("Latin-1"), "{e}");
    let e = load("kind = \"unknown\"\natr = \"3B 0\"\n").to_string();
    assert!(e.contains("atr: hex bytes"), "{e}");
    let cps3 = "kind = \"cps3\"\n[cps3]\nserial = \"2900995235\"\npin = \"12\"\nauth_key = \"a\"\nauth_cert = \"b\"\nsign_key = \"c\"\nsign_cert = \"d\"\n[cps3.holder]\nidentifiant = \"1\"\nnom = \"N\"\nprenom = \"P\"\nprofession = \"M\"\ncard_type = \"CPS\"\nnot_before = \"2025-01-01\"\nnot_after = \"2026-01-01\"\n";
    assert!(
        load(cps3)
            .to_string()
            .contains("cps3.pin: must be 4 to 8 digits")
    );
    let e = load(&cps3.replace("pin = \"12\"", "pin = \"1234\"")).to_string();
    assert!(
        e.contains("cps3.auth_key") && e.contains("No such file"),
        "{e}"
    );
}

#[test]
fn a_profile_pin_never_shows_in_debug_output() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/packages/cnda-public/cards/cps3-etrangere.toml");
    let profile = Profile::load(&path).unwrap();
    let text = format!("{profile:?}");
    assert!(text.contains("ProfilePin(<redacted>)"), "{text}");
    assert!(!text.contains("\"4321\""), "{text}");
}
