//! Response decoding (RESULTAT or Fault) must never panic, and a decoded RESULTAT must survive
//! re-encoding and decoding again.
#![no_main]

use insi_soap::{Response, ResultatStyle, decode_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_response(data) {
        if let Response::Resultat(r) = decoded.response {
            let again = r.encode(ResultatStyle::Cnda);
            assert!(
                decode_response(again.as_bytes()).is_ok(),
                "re-encoded RESULTAT does not decode"
            );
        }
    }
});
