//! Signature verification over hostile XML must never panic (it returns a typed error).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // No anchors: every document is refused, but only after parsing, c14n and the checks.
    if let Ok(verifier) = xmldsig::Verifier::new(Vec::<Vec<u8>>::new()) {
        let _ = verifier.verify(data);
    }
    let _ = std::str::from_utf8(data).map(xmldsig::exclusive_c14n);
});
