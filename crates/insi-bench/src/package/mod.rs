//! Test packages (format v1): a directory with `package.toml`, optional `personas.toml`,
//! `cards/*.toml`, `cases/*.toml` and `responses/*.xml`. `model` is the TOML shape, `load` reads
//! and checks a directory into a [`Package`]. The format is documented in
//! `docs/package-format.md`.

pub mod load;
pub mod model;

pub use load::{Package, load};
