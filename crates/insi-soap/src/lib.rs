//! The INSi wire codec, sans-IO: bytes in, typed values out, and back.
//!
//! Principal types:
//! - requests: [`Request`] (headers + [`RequestBody`]: [`RecSansVitale`] or [`RecVitale`]),
//!   built with [`Request::rechercher_par_traits`] / [`Request::rechercher_par_vitale`] from a
//!   [`Caller`] (the installed software) and [`CallIds`] (message IDs and time, given by the
//!   caller so output is reproducible), written with [`Request::encode`] (or straight from the
//!   body with the allocation-free [`Request::write_trait_search`]), sent with
//!   [`Operation::content_type`]; read back with [`decode_request`] (the simulator's side),
//!   which also yields each `wsse:Security` assertion's exact bytes ([`RawAssertion`]);
//! - responses: [`Response`] = [`Resultat`] (CR + [`Individu`]: [`InsNumber`]s and [`Tiq`]) or
//!   [`Fault`] (with [`SiramErreur`]), read with [`decode_response`] and written with
//!   [`Resultat::encode`] in a [`ResultatStyle`] (live capture, CNDA file, Prenom variant) or
//!   [`Fault::encode`] in a [`FaultStyle`];
//! - the CPx PS assertion: [`PsAssertion::from_certificate`] (Issuer DN, NameID, card type from
//!   the signature certificate + [`PsAttributes`]), [`PsAssertion::sign`] through an
//!   `xmldsig::Signer` (card or software key) into a [`RawAssertion`]; [`PsAssertion::decode`]
//!   reads one back (the simulator verifies it with `xmldsig::Verifier` on
//!   [`RawAssertion::standalone`]);
//! - everything a decoder tolerated comes back as [`Warning`]s; what it refuses is a
//!   [`DecodeError`] with line and byte. Untrusted input is bounded by [`Limits`]
//!   ([`decode_request_with`] / [`decode_response_with`] take other bounds).
//!
//! Data flows: `ins::Traits` → [`RecSansVitale::from_traits`] → [`Request`] → bytes → (network,
//! elsewhere) → bytes → [`decode_response`] → [`Response`]. Elements are matched by namespace
//! URI and local name, never by prefix; the quirks tolerated are listed in `docs/codec.md`.
//! Underneath every decoder: `lexer` (our XML tokenizer: the input checked as UTF-8 once,
//! names as offsets, the limits per element) → `scan` (namespaces resolved, end tags matched,
//! text joined) → `envelope::walk` (SOAP Header and Body children) → the element decoders.
//! Ours rather than quick-xml's reader for speed (docs/codec.md §Performance: about the cost
//! of a bare quick-xml event scan); differential property tests hold it to quick-xml's verdicts.
//!
//! ```
//! use insi_soap::{CallIds, Caller, RecSansVitale, Request, Response, decode_response};
//!
//! let traits = ins::Traits::parse("ecetinsi", "pierre-alain", "M", "2009-07-14", None).unwrap();
//! let caller = Caller {
//!     idam: "TESTSGIE0000".into(), lps_version: "1.0".into(),
//!     instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
//!     nom: "urn:lps:insi-bench:1.0".into(), emetteur: "10B0152872".into(),
//! };
//! let request = Request::rechercher_par_traits(&caller, &CallIds::fresh(), RecSansVitale::from_traits(&traits));
//! assert!(request.encode().contains("<ins:NomNaissance>ECETINSI</ins:NomNaissance>"));
//!
//! let body = br#"<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body>
//!   <RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>01</CodeCR>
//!   <LibelleCR>Aucune identite trouvee</LibelleCR></CR></RESULTAT></S:Body></S:Envelope>"#;
//! let Response::Resultat(r) = decode_response(body).unwrap().response else { panic!() };
//! assert_eq!(r.cr, ins::CodeCr::AucuneIdentite);
//! ```

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod assertion;
mod envelope;
mod error;
mod fault;
mod fault_decode;
mod header;
mod lexer;
pub mod ns;
mod request;
mod request_decode;
mod request_write;
mod response_decode;
mod resultat;
mod scan;
mod scope;
mod text_buf;
mod write;
mod xmlchar;

pub use assertion::{
    AssertionError, FORMAT_X509_SUBJECT, OID_GIP_CARD_TYPE, PsAssertion, PsAttributes,
};
pub use error::{DecodeError, DecodeErrorKind, Limits, Position, Warning};
pub use fault::{Fault, FaultStyle, Severite, SiramErreur};
pub use header::{
    Beneficiaire, CallIds, Caller, ContexteBam, ContexteLps, Couverture, Lps, Nir, format_temps,
};
pub use ns::Operation;
pub use request::{MatriculeXml, RawAssertion, RecSansVitale, RecVitale, Request, RequestBody};
pub use request_decode::{DecodedRequest, decode_request, decode_request_with};
pub use response_decode::{DecodedResponse, Response, decode_response, decode_response_with};
pub use resultat::{Individu, InsNumber, Resultat, ResultatStyle, Tiq};
