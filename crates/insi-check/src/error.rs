//! Why a session could not start or go on. A client that behaves wrongly is not an error: it is
//! a failed case.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot read the {what} {}: {source}", path.display())]
    Read {
        what: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not a loopback address: check-client serves test identities on loopback only")]
    NotLoopback(SocketAddr),
    #[error(transparent)]
    Sim(#[from] insi_sim::server::SimError),
    #[error(transparent)]
    Store(#[from] insi_sim::store::StoreError),
    #[error(transparent)]
    Personas(#[from] insi_sim::personas::PersonaError),
    #[error(transparent)]
    Inject(#[from] insi_sim::inject::InjectError),
    #[error("--only names cases the package does not have: {}", .0.join(", "))]
    UnknownCases(Vec<String>),
    #[error("{0}")]
    Sink(#[from] insi_runner::SinkError),
}
