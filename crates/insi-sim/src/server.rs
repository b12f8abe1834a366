//! The HTTPS server: our own tokio-rustls accept loop feeding hyper-util's HTTP/1.1 + HTTP/2
//! connection builder with the axum router (RUST-STACK.md §1, §8.3).
//!
//! The accept loop is where each connection gets its [`ConnInfo`] (host mode, client certificate
//! subject, a reset trigger), where slow TLS handshakes and slow request headers are cut off,
//! where the number of connections is bounded, and where shutdown is graceful: listeners close,
//! open connections finish their request (bounded by a grace period), tasks end.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use insi_soap::ResultatStyle;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::app::{self, AppState, ConnInfo};
use crate::chaos::{Chaos, ChaosConfig};
use crate::cpx::CpxVerifier;
use crate::exchange::ExchangeLog;
use crate::inject::Injection;
use crate::store::Store;
use crate::tls::{self, HostMode, ServerTls};

/// The IDAM accepted by default (the test authorisation number of insi-bench).
pub const DEFAULT_IDAM: &str = "INSIBENCH001";

/// How a simulator runs. [`SimConfig::new`] gives the defaults documented in
/// `docs/simulator.md`.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Where to listen and which host each address plays.
    pub listeners: Vec<(SocketAddr, HostMode)>,
    /// The SOAP endpoint path (`/lps` like the real service).
    pub path: String,
    pub tls: ServerTls,
    /// CPx host: the CA PS signature certificates must chain to (PEM).
    pub cpx_ca_pem: Option<String>,
    /// CPx host: how many distinct verified assertions are kept, so that one is verified once,
    /// not per request ([`crate::cpx::cache`]; 0: verify every request).
    pub assertion_cache: usize,
    /// Accepted `ctxlps:IDAM` values.
    pub idams: Vec<String>,
    pub style: ResultatStyle,
    pub chaos: ChaosConfig,
    pub injections: Vec<Injection>,
    /// Largest request body (413 beyond).
    pub body_limit: usize,
    pub handshake_timeout: Duration,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// Open connections beyond this wait in the kernel backlog.
    pub max_connections: usize,
    /// How long open connections get to finish at shutdown.
    pub grace: Duration,
    /// Where judged requests are published ([`ExchangeLog::new`]`(0)` by default: nothing is
    /// kept, nothing built until someone subscribes).
    pub exchanges: Arc<ExchangeLog>,
}

impl SimConfig {
    /// Defaults: mTLS on 127.0.0.1:8443, `/lps`, IDAM `INSIBENCH001`, live style, 64 KiB body,
    /// 10 s handshake/header/body timeouts, 4096 connections, no chaos, no injection, an exchange
    /// log that keeps nothing, [`crate::cpx::CACHE_CAPACITY`] verified assertions kept.
    pub fn new(tls: ServerTls) -> SimConfig {
        SimConfig {
            listeners: vec![(SocketAddr::from(([127, 0, 0, 1], 8443)), HostMode::Mtls)],
            path: "/lps".into(),
            tls,
            cpx_ca_pem: None,
            assertion_cache: crate::cpx::CACHE_CAPACITY,
            idams: vec![DEFAULT_IDAM.into()],
            style: ResultatStyle::Live,
            chaos: ChaosConfig::default(),
            injections: Vec::new(),
            body_limit: 64 * 1024,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 4096,
            grace: Duration::from_secs(5),
            exchanges: ExchangeLog::new(0),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the SOAP path '{0}' must start with '/' and differ from /health")]
    Path(String),
    #[error("cpx mode needs a CPx CA certificate (PEM) to verify PS assertions against")]
    NoCpxCa,
    #[error("no listener configured")]
    NoListener,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    #[error(transparent)]
    Personas(#[from] crate::personas::PersonaError),
    #[error(transparent)]
    Cpx(#[from] crate::cpx::CpxError),
}

/// A simulator bound to its addresses, serving until [`RunningServer::shutdown`].
#[derive(Debug)]
pub struct RunningServer {
    addrs: Vec<(SocketAddr, HostMode)>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    state: Arc<AppState>,
}

impl RunningServer {
    /// Binds every listener and starts serving on the current tokio runtime.
    pub async fn start(config: SimConfig, store: Arc<Store>) -> Result<RunningServer, SimError> {
        Self::start_with(config, store, None).await
    }

    /// Serves `router` in place of the simulator's routes, through the same accept loop: the
    /// same listeners, TLS and client-certificate checks, connection limit, timeouts and
    /// HTTP/1.1 settings, each request carrying its connection's info. Not a simulator: what
    /// `benches/examples/exchange_floor.rs` measures the cost of an exchange with, SOAP work
    /// left out (docs/simulator.md §Performance). `config` is checked as by [`Self::start`].
    pub async fn start_router(
        config: SimConfig,
        store: Arc<Store>,
        router: axum::Router,
    ) -> Result<RunningServer, SimError> {
        Self::start_with(config, store, Some(router)).await
    }

    async fn start_with(
        config: SimConfig,
        store: Arc<Store>,
        router: Option<axum::Router>,
    ) -> Result<RunningServer, SimError> {
        if !config.path.starts_with('/') || config.path == "/health" {
            return Err(SimError::Path(config.path));
        }
        if config.listeners.is_empty() {
            return Err(SimError::NoListener);
        }
        let needs_cpx = config.listeners.iter().any(|(_, m)| *m == HostMode::Cpx);
        let cpx = match (&config.cpx_ca_pem, needs_cpx) {
            (Some(pem), _) => {
                Some(CpxVerifier::new(pem)?.with_cache_capacity(config.assertion_cache))
            }
            (None, true) => return Err(SimError::NoCpxCa),
            (None, false) => None,
        };
        let state = Arc::new(AppState {
            store,
            idams: config.idams.iter().cloned().collect::<HashSet<_>>(),
            style: config.style,
            chaos: Chaos::new(config.chaos.clone()),
            injections: std::sync::RwLock::new(config.injections.clone().into()),
            body_limit: config.body_limit,
            body_timeout: config.body_timeout,
            cpx,
            exchanges: config.exchanges.clone(),
            path: config.path.clone(),
        });
        let router = router.unwrap_or_else(|| app::router(state.clone(), &config.path));
        let (shutdown, _) = watch::channel(false);
        let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
        let mut addrs = Vec::new();
        let mut tasks = Vec::new();
        for &(addr, mode) in &config.listeners {
            let tls_config = tls::server_config(&config.tls, mode)?;
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| SimError::Bind { addr, source })?;
            let local = listener
                .local_addr()
                .map_err(|source| SimError::Bind { addr, source })?;
            addrs.push((local, mode));
            let acceptor = Accept {
                listener,
                local,
                tls: tokio_rustls::TlsAcceptor::from(tls_config),
                mode,
                router: router.clone(),
                shutdown: shutdown.subscribe(),
                limit: limit.clone(),
                handshake_timeout: config.handshake_timeout,
                header_timeout: config.header_timeout,
                grace: config.grace,
            };
            tasks.push(tokio::spawn(acceptor.run()));
        }
        Ok(RunningServer {
            addrs,
            shutdown,
            tasks,
            state,
        })
    }

    /// The bound addresses (with the real port when 0 was asked for).
    pub fn addrs(&self) -> &[(SocketAddr, HostMode)] {
        &self.addrs
    }

    /// The first address serving `mode`.
    pub fn addr(&self, mode: HostMode) -> Option<SocketAddr> {
        self.addrs.iter().find(|(_, m)| *m == mode).map(|(a, _)| *a)
    }

    /// The identity store behind the server.
    pub fn store(&self) -> &Arc<Store> {
        &self.state.store
    }

    /// Replaces the injection rules for the requests that come next (check-client: the rules of
    /// the case under way).
    pub fn set_injections(&self, rules: Vec<Injection>) {
        let mut current = self
            .state
            .injections
            .write()
            .unwrap_or_else(|p| p.into_inner());
        *current = rules.into();
    }

    /// Where this server publishes its exchanges (subscribe before sending requests).
    pub fn exchanges(&self) -> &Arc<ExchangeLog> {
        &self.state.exchanges
    }

    /// Stops accepting, lets open connections finish (up to the grace period), and returns when
    /// every task has ended.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

struct Accept {
    listener: TcpListener,
    local: SocketAddr,
    tls: tokio_rustls::TlsAcceptor,
    mode: HostMode,
    router: axum::Router,
    shutdown: watch::Receiver<bool>,
    limit: Arc<Semaphore>,
    handshake_timeout: Duration,
    header_timeout: Duration,
    grace: Duration,
}

impl Accept {
    async fn run(mut self) {
        let mut conns = JoinSet::new();
        loop {
            while conns.try_join_next().is_some() {}
            let permit = tokio::select! {
                _ = self.shutdown.changed() => break,
                p = self.limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            };
            let (tcp, remote) = tokio::select! {
                _ = self.shutdown.changed() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            let conn = Connection {
                tls: self.tls.clone(),
                mode: self.mode,
                local: self.local,
                remote,
                router: self.router.clone(),
                shutdown: self.shutdown.clone(),
                handshake_timeout: self.handshake_timeout,
                header_timeout: self.header_timeout,
                grace: self.grace,
            };
            conns.spawn(async move {
                conn.serve(tcp).await;
                drop(permit);
            });
        }
        drop(self.listener);
        while conns.join_next().await.is_some() {}
    }
}

struct Connection {
    tls: tokio_rustls::TlsAcceptor,
    mode: HostMode,
    local: SocketAddr,
    remote: SocketAddr,
    router: axum::Router,
    shutdown: watch::Receiver<bool>,
    handshake_timeout: Duration,
    header_timeout: Duration,
    grace: Duration,
}

impl Connection {
    async fn serve(mut self, tcp: tokio::net::TcpStream) {
        let handshake = tokio::time::timeout(self.handshake_timeout, tls::accept(&self.tls, tcp));
        let outcome = tokio::select! {
            outcome = handshake => outcome,
            // Shutting down: a connection still in its handshake is simply dropped.
            _ = self.shutdown.changed() => return,
        };
        let stream = match outcome {
            Ok(Ok(s)) => s,
            Ok(Err(tls::HandshakeError::Refused(refusal))) => {
                // Refused client certificates and TLS versions: one line saying what and why.
                tracing::info!(
                    target: "insi_sim::tls",
                    host = self.mode.as_str(),
                    listener = %self.local,
                    remote = %self.remote,
                    alert = %refusal.alert,
                    "TLS handshake refused: {refusal}"
                );
                return;
            }
            Ok(Err(tls::HandshakeError::Failed(e))) => {
                // The client hung up, spoke no TLS, or refused our certificate: no news here.
                tracing::debug!("TLS handshake failed: {e}");
                return;
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                return;
            }
        };
        let peer = Arc::new(tls::peer_identity(stream.get_ref().1.peer_certificates()));
        let reset = Arc::new(Notify::new());
        let info = ConnInfo {
            mode: self.mode,
            peer,
            local: self.local,
            remote: self.remote,
            reset: reset.clone(),
        };
        let svc = self
            .router
            .clone()
            .map_request(move |mut r: axum::http::Request<_>| {
                r.extensions_mut().insert(info.clone());
                r
            });
        let svc = TowerToHyperService::new(svc);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(None);
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        tokio::pin!(conn);
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!("connection ended: {e}");
                }
            }
            _ = reset.notified() => {
                // Chaos: drop the connection with the request unanswered.
            }
            _ = self.shutdown.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(self.grace, conn.as_mut()).await;
            }
        }
    }
}
