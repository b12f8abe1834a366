//! The INS domain, with no I/O and no XML.
//!
//! An INS (Identité Nationale de Santé) is a [`Matricule`] (a NIR, or a provisional NIA) with its
//! [`Cle`], an assigning-authority [`Oid`], and the five reference traits gathered in [`Traits`].
//! The INSi teleservice answers a search with a [`CodeCr`].
//!
//! Data flows one way: text typed by a user or read from a file goes through
//! [`normalize::normalize`] (transliteration, then refusal of what has no equivalent) into the
//! validated trait types ([`NomNaissance`], [`Prenoms`], [`Sexe`], [`DateNaissance`], [`Cog`]); only
//! those are ever put on the wire. Matricules go through [`Matricule::parse`], which checks the
//! structure, and [`Matricule::cle`] / [`Matricule::check`], which compute and check the key.
//!
//! ```
//! use ins::{Matricule, normalize::{normalize, TraitField}};
//!
//! let nir = Matricule::parse("1 09 07 63 220 834").unwrap();
//! assert_eq!(nir.cle().to_string(), "89");
//! assert!(nir.check("89".parse().unwrap()).is_ok());
//!
//! assert_eq!(normalize(TraitField::NomNaissance, "D’ÆION").unwrap(), "D'AEION");
//! assert!(normalize(TraitField::NomNaissance, "DUPONT2").is_err());
//! ```
//!
//! Facts come from `shared/reference/INSI-PROTOCOL.md` §3.4–3.5 and §6; the choices we made where
//! the public facts are silent are written down in `docs/ins-rules.md`.

// Library code never unwraps input-derived data; tests may.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod cr;
mod matricule;
pub mod normalize;
mod oid;
mod traits;

pub use cr::CodeCr;
pub use matricule::{
    Cle, CleError, Matricule, MatriculeError, MatriculeErrorKind, ParsedMatricule,
};
pub use oid::Oid;
pub use traits::{
    Cog, CogError, DateError, DateNaissance, NomNaissance, Prenoms, Sexe, SexeError, TraitError,
    Traits,
};
