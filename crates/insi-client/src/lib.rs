//! The INSi client: from validated traits to a decoded answer over HTTPS, with the evidence.
//!
//! Principal types:
//! - [`InsiClient`] sends searches and verifications through a [`Transport`] — the real one is
//!   [`HttpTransport`] (reqwest + rustls, HTTP/1.1 keep-alive, trust = the configured CA bundle
//!   only, client identity from PEM or PKCS#12 via [`ClientIdentity`]);
//! - [`SearchPlan`] is the sans-IO state machine of a [`Strategy`] (`single`, or the CNDA
//!   first-name loop with the COG re-query on `02`);
//! - every HTTP exchange becomes an [`Attempt`] in a [`Trace`] (raw bytes, status, timings);
//! - [`RetryPolicy`] bounds retries (transport errors and `desir_1020` only), the per-call
//!   timeout and the overall deadline; [`Guard`] refuses test material in production;
//! - [`Environment`] names the targets; [`config::Layer`] reads the TOML file, `INSI_BENCH_*`
//!   variables and flags into [`config::Settings`];
//! - Vitale search: [`VitaleSearch`] (card data → `RECVITALE` + ContexteBAM `COUVERTURE`),
//!   sent by [`InsiClient::search_vitale`] with the same [`Trace`] and [`Outcome`];
//! - CPx mode: an [`AssertionProvider`] hands each request a signed PS assertion;
//!   [`SignedAssertions`] is one over any `xmldsig::Signer` (card or software key);
//! - [`inspect()`] reports on a certificate file (subject DN, validity, INSI-AUTO/INSI-MANU,
//!   each certificate of its chain as a [`ChainEntry`]); [`check_chain`] says whether its leaf
//!   chains to a CA bundle;
//! - errors are [`ClientError`] / [`TransportError`], each with `advice()` (a failed TLS
//!   handshake is a [`TlsFailure`] with its own message and advice: `docs/tls.md`), and
//!   [`fault_advice`] for fault codes.
//!
//! Data flows: `ins::Traits` → [`SearchPlan`] → one `insi_soap::Request` per query →
//! [`Transport`] → bytes → `insi_soap::decode_response` → [`Outcome`], with each exchange
//! appended to the [`Trace`]. The `sim` environment is resolved by the binary (it starts the
//! embedded simulator and gives the client a URL, a CA and credentials): this crate never
//! depends on the simulator.
//!
//! ```no_run
//! # async fn demo() -> Result<(), insi_client::ClientError> {
//! use insi_client::{ClientIdentity, HttpTransport, InsiClient, Outcome, Strategy, TlsSetup};
//! use std::path::Path;
//!
//! let tls = TlsSetup {
//!     ca: insi_client::cert::read_ca_bundle(Path::new("ca.pem"))?,
//!     identity: Some(ClientIdentity::from_pem_files(Path::new("insi-auto.pem"), Some(Path::new("insi-auto.key")))?),
//! };
//! let transport = HttpTransport::new(tls, std::time::Duration::from_secs(10))?;
//! let caller = insi_soap::Caller {
//!     idam: "XXXXXXXXXXXX".into(), lps_version: "1.0".into(),
//!     instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
//!     nom: "urn:lps:monlogiciel:1.0".into(), emetteur: "10B0152872".into(),
//! };
//! let client = InsiClient::new(transport, "https://qualiflps-services-ps-tlsm.ameli.fr:443/lps", caller);
//! let traits = ins::Traits::parse("TCHITCHI", "OLA CATARINA BELLA", "F", "1936-06-21", None).unwrap();
//! let report = client.search(&traits, Strategy::Cnda).await?;
//! if let Outcome::Resultat(r) = &report.outcome {
//!     println!("{} after {} calls", r.cr, report.trace.attempts.len());
//! }
//! # Ok(()) }
//! ```
//!
//! Choices made where the public facts are silent are in `docs/client.md`.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod assertion;
pub mod cert;
mod client;
pub mod config;
mod env;
mod error;
mod guard;
mod handshake;
mod inspect;
mod retry;
mod strategy;
mod trace;
mod transport;
mod verify;
mod vitale;

pub use assertion::{
    AssertionError, AssertionProvider, DEFAULT_ASSERTION_VALIDITY, SignedAssertions,
};
pub use cert::{CertError, CertificateFile, ClientIdentity, FileFormat, Password};
pub use client::{InsiClient, Outcome, SearchReport, VerifyReport, fault_code};
pub use env::{AuthMode, Environment, EnvironmentError};
pub use error::{ClientError, Phase, TlsFailure, TransportError, fault_advice};
pub use guard::{Guard, GuardRefusal, Origin, is_public_test_identity};
pub use inspect::{
    CaCheck, CertificateReport, ChainEntry, ChainRole, INSI_PROFILES, RENEWAL_WARNING_DAYS,
    chain_entries, check_chain, inspect, inspect_der,
};
pub use retry::{RETRYABLE_FAULT, RetryPolicy, is_retryable_fault};
pub use strategy::{Answer, Query, QueryKind, SearchPlan, Step, Strategy};
pub use trace::{Attempt, AttemptOutcome, Trace};
pub use transport::{
    HttpRequest, HttpResponse, HttpTransport, MAX_RESPONSE_BYTES, PoolOptions, TlsSetup, Transport,
};
pub use verify::{Difference, ServiceIdentity, StoredIns, Verdict, compare};
pub use vitale::{VitaleInputError, VitaleSearch};
