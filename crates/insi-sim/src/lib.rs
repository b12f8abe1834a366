//! A faithful offline INSi teleservice: the simulator everything offline stands on.
//!
//! Principal types:
//! - [`store::Store`]: the référentiel in SQLite — [`personas::Personas`] (public qualification
//!   identities and their behaviours, from TOML) and a seeded synthetic population
//!   ([`population::generate`]) stored as compact rows clustered on the trait-search key
//!   (`docs/simulator.md` §Store); [`search`] decides `00`/`01`/`02` from its candidates;
//! - [`server::RunningServer`] started from a [`server::SimConfig`]: HTTPS with our own
//!   tokio-rustls accept loop, in [`tls::HostMode::Mtls`] (client certificate, CN check) or
//!   [`tls::HostMode::Cpx`] (PS assertion, verified once per distinct assertion:
//!   [`cpx::cache`]) mode; [`app`] judges each SOAP request;
//! - [`chaos::Chaos`] (seeded faults, latency, resets) and [`inject::Injection`] (CNDA response
//!   files);
//! - [`pki::TestPki`]: the fake PKI, in memory or in `testdata/pki/`;
//! - [`embedded::start`]: all of the above in-process on an ephemeral port, for tests, the runner
//!   and the load mode;
//! - [`exchange::ExchangeLog`] of [`exchange::Exchange`]s: every judged request with its raw
//!   bytes, verdict and [`reason::Reason`] (why the simulator answered that), for
//!   [`record::Recorder`] (`--record`), [`inspect::Inspector`] (`--inspect`) and conformance
//!   judges; nothing is built while nobody reads it.
//!
//! Data flows: bytes → `insi_soap::decode_request` → host authentication → IDAM allow-list →
//! injection / chaos / persona faults → [`search::TraitQuery`] or [`search::VitaleQuery`] →
//! [`store::Store`] → [`search::Outcome`] → `insi_soap::Resultat` → bytes (HTTP 200), or an
//! `insi_soap::Fault` (HTTP 500). Each step that answers writes its reason there and then
//! ([`app::Answer`]); the handler publishes request, answer and reason as an exchange.
//!
//! ```no_run
//! # async fn demo() -> Result<(), insi_sim::server::SimError> {
//! let sim = insi_sim::embedded::start(Default::default()).await?;
//! let url = sim.url().unwrap_or_default();          // https://127.0.0.1:PORT/lps
//! let ca = sim.ca_pem().to_owned();                  // trust only this root
//! let identity = sim.client_identity_pem();          // CN=INSI-AUTO key + chain, PEM
//! # let _ = (url, ca, identity);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Behaviour, search semantics, options and figures: `docs/simulator.md`.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod chaos;
pub mod cpx;
pub mod embedded;
pub mod exchange;
pub mod fault;
pub mod identity;
pub mod inject;
pub mod inspect;
pub mod personas;
pub mod pki;
pub mod population;
pub mod reason;
pub mod record;
pub mod rng;
pub mod search;
pub mod server;
pub mod store;
pub mod tls;
