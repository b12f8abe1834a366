//! `search traits --auth cpx --card` when the CPx card is pulled, over the private pcscd's vpcd
//! reader: one clear error line, the documented exit code (2 when the card fails before the
//! search, 1 when it fails while signing the PS assertion: nothing is sent either way), the
//! PIN presented at most once, and the PIN typed at the prompt in no output and no written file.

mod common;

use std::path::{Path, PathBuf};

use apdu::{CardTransport, TransportError};
use card_emu::harness::{Session, acquire_or_skip};
use card_emu::{Card, Faults, MemoryTransport, Profile};

/// Not the demo PIN: eight digits unlikely to appear in a trace by chance.
const PIN: &str = "80417263";

fn card(pull_after_apdus: Option<usize>) -> Card {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards/cps3-demo.toml");
    let mut profile = Profile::load(path).unwrap();
    profile.file.cps3.as_mut().unwrap().pin = PIN.to_owned().into();
    let mut card = profile.build().unwrap();
    card.faults = Faults {
        pull_after_apdus: pull_after_apdus.map(|k| u32::try_from(k).unwrap()),
        ..Faults::default()
    };
    card
}

/// The INS byte of each APDU of the card flow `search --card` runs (open, signature
/// certificate, VERIFY, signature), learnt on the in-memory card through the library calls the
/// command makes; the clean run below checks that the command sends exactly as many.
fn flow_instructions() -> Vec<u8> {
    struct Recorder(MemoryTransport, Vec<u8>);
    impl CardTransport for Recorder {
        fn atr(&self) -> &[u8] {
            self.0.atr()
        }
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.1.push(apdu[1]);
            self.0.transmit(apdu)
        }
    }
    let mut t = Recorder(MemoryTransport::new(card(None)), Vec::new());
    let signer =
        cpx::CpxSigner::unlock(cpx::Cpx::open(&mut t).unwrap(), cpx::Pin::new(PIN).unwrap())
            .unwrap();
    signer.signature(b"<SignedInfo/>").unwrap();
    drop(signer);
    t.1
}

/// Runs the search on a pseudo-terminal, types the PIN at the prompt; returns (code, output).
fn search(s: &Session, trace_dir: &Path) -> (i32, String) {
    let inner = format!(
        "{} search traits --nom ADRUN --prenoms ZOE --sexe F --naissance 1975-12-31 \
         --strategy single --auth cpx --card --reader '{}' --trace-dir '{}'",
        env!("CARGO_BIN_EXE_insi-bench"),
        s.reader(),
        trace_dir.display()
    );
    common::terminal::on_a_terminal(
        &inner,
        &[("PCSCLITE_CSOCK_NAME", s.socket().as_os_str())],
        "PIN of the CPx card",
        PIN,
    )
}

/// The PIN, as typed and as it travels in a VERIFY (ASCII hex, spaced or not), is nowhere.
fn assert_no_pin(output: &str, trace_dir: &Path) {
    let hex: Vec<String> = PIN.bytes().map(|b| format!("{b:02X}")).collect();
    let forms = [PIN.to_owned(), hex.concat(), hex.join(" ")];
    let mut texts = vec![("the terminal".to_owned(), output.to_owned())];
    for entry in std::fs::read_dir(trace_dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        texts.push((
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    for (place, text) in &texts {
        for form in &forms {
            assert!(
                !text.to_uppercase().contains(form),
                "the PIN ({form}) is in {place}"
            );
        }
    }
}

fn error_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("error") || l.starts_with("insi-bench: error"))
        .collect()
}

#[test]
fn card_pulled_during_a_card_search() {
    let Some(s) = acquire_or_skip("card_pulled_during_a_card_search") else {
        return;
    };
    let flow = flow_instructions();
    let verify_at = flow.iter().position(|&ins| ins == 0x20).unwrap();
    let traces = tempfile::tempdir().unwrap();

    // A clean search: the command sends the flow's APDUs, presents the PIN once.
    let dir = traces.path().join("clean");
    let vc = s.insert(card(None)).unwrap();
    let (code, text) = search(&s, &dir);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2751263220749"), "{text}");
    {
        let c = vc.card().lock().unwrap();
        assert_eq!(
            c.apdus_seen() as usize,
            flow.len(),
            "the command's card flow"
        );
        assert_eq!(c.pin_presentations(), Some(1));
    }
    assert_no_pin(&text, &dir);
    s.eject(vc).unwrap();

    // Pulled during PSO CDS, the last APDU: the search fails before sending (exit 1), one
    // error line and its advice, the PIN presented once and never again.
    let dir = traces.path().join("pulled-at-signature");
    let vc = s.insert(card(Some(flow.len() - 1))).unwrap();
    let (code, text) = search(&s, &dir);
    assert_eq!(code, 1, "{text}");
    let errors = error_lines(&text);
    assert_eq!(errors.len(), 1, "{text}");
    assert!(errors[0].contains("nothing was sent"), "{text}");
    assert!(errors[0].contains("the card was removed"), "{text}");
    assert!(text.contains("advice"), "{text}");
    assert!(vc.was_pulled());
    assert_eq!(vc.card().lock().unwrap().pin_presentations(), Some(1));
    assert_no_pin(&text, &dir);
    s.eject(vc).unwrap();

    // Pulled while VERIFY itself is in flight: the command ends before any search (exit 2),
    // one error line; the PIN never reached the card and is not presented again.
    let dir = traces.path().join("pulled-at-verify");
    std::fs::create_dir_all(&dir).unwrap();
    let vc = s.insert(card(Some(verify_at))).unwrap();
    let (code, text) = search(&s, &dir);
    assert_eq!(code, 2, "{text}");
    let errors = error_lines(&text);
    assert_eq!(errors.len(), 1, "{text}");
    assert!(errors[0].contains("the card was removed"), "{text}");
    assert!(vc.was_pulled());
    let c = vc.card().lock().unwrap();
    assert_eq!(c.pin_presentations(), Some(0));
    assert_eq!(c.pin_tries_left(), Some(3));
    drop(c);
    assert_no_pin(&text, &dir);
}
