//! Request decoding (the simulator's parser) and assertion extraction must never panic.
#![no_main]

use insi_soap::{PsAssertion, decode_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_request(data) {
        for a in &decoded.request.assertions {
            let _ = PsAssertion::decode(a.standalone().as_bytes());
        }
    }
});
