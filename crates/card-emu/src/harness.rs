//! A private pcscd per test process, with vpcd virtual readers (CARDS.md §4.6, §5.3).
//!
//! [`acquire`] starts (or shares) this process's pcscd and leases one reader slot:
//! - pcscd is socket-activated: we bind the Unix socket ourselves and hand it over on fd 3 with
//!   `LISTEN_FDS=1` / `LISTEN_PID=<pcscd's pid>` (through `sh … exec`, so the pid is pcscd's);
//! - it reads only a private `-c` config dir listing vpcd readers on free ports;
//! - `PCSCLITE_CSOCK_NAME` is set before this process's first PC/SC call, and the socket path is
//!   the same for every instance of this process, because libpcsclite caches it (pitfall 1);
//! - waits use `SCardGetStatusChange`; [`Session::insert`] also waits until pcscd's event thread
//!   has announced the previous card's removal (its event count), not only the reader state;
//! - the last [`Session`] dropped kills pcscd by pid (SIGTERM, then SIGKILL) and removes the
//!   socket and directory — also when a test panics, since drops run during unwinding. pcscd runs
//!   with `-x` (exit when idle) as a safety net should this process be killed outright;
//! - [`Pcscd::kill`] SIGKILLs and reaps it mid-test (pcscd crash tests, in a binary of their own).

use std::fs;
use std::io;
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, Once, Weak};
use std::time::{Duration, Instant};

use apdu::pcsc::{PcscContext, PcscError};
use thiserror::Error;

use crate::card::Card;
use crate::vpcd::VirtualCard;

/// vpcd driver installed by Debian's `vsmartcard-vpcd`.
pub const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
/// vpcd entries per pcscd; each has two slots (CARDS.md §4.3). Only one: with a second entry
/// in the same pcscd, vpcd 0.8 never accepts the card connections of either [verified here,
/// contrary to CARDS.md §4.3], so a pcscd serves two readers and tests lease them.
const ENTRIES: usize = 1;
/// Reader slots per pcscd.
pub const SLOTS: usize = ENTRIES * 2;
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`Session::insert`] waits for pcscd to see the card (one poll is ≤ 0.45 s).
pub const INSERT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`Session::insert`] waits for pcscd to announce a card before taking it out and
/// putting it in again (pcscd polls a vpcd reader every 400 ms; a seen card takes under 1 s).
const FIRST_LOOK: Duration = Duration::from_secs(3);

/// How long [`Session::insert`] then waits for pcscd to see the reader empty (five polls).
const SETTLE: Duration = Duration::from_secs(2);

/// Why the harness could not give a reader.
#[derive(Debug, Error)]
pub enum HarnessError {
    #[error(
        "{0} is not installed: install pcscd and vsmartcard-vpcd (scripts/test does it as root)"
    )]
    NotInstalled(&'static str),
    #[error("starting the private pcscd failed: {0}")]
    Io(#[from] io::Error),
    #[error("the private pcscd did not come up: {why}\n--- pcscd log ---\n{log}")]
    NotReady { why: String, log: String },
    #[error(transparent)]
    Pcsc(#[from] PcscError),
}

impl HarnessError {
    /// Whether the pcscd tier should be skipped rather than failed.
    pub fn is_not_installed(&self) -> bool {
        matches!(self, Self::NotInstalled(_))
    }
}

fn find_pcscd() -> Option<PathBuf> {
    ["/usr/sbin/pcscd", "/usr/bin/pcscd", "/sbin/pcscd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The socket path of this process's pcscd instances (stable: libpcsclite caches it).
pub fn socket_path() -> PathBuf {
    process_dir().join("pcscd.comm")
}

fn process_dir() -> PathBuf {
    std::env::temp_dir().join(format!("insi-bench-pcscd-{}", std::process::id()))
}

static SET_SOCKET: Once = Once::new();

fn point_libpcsclite_at(socket: &Path) {
    SET_SOCKET.call_once(|| {
        // SAFETY (why `unsafe` is allowed here): `set_var` is unsafe because a C `getenv` racing
        // with it may read freed memory. It runs once, before this process's first PC/SC call
        // (every PC/SC user in tests goes through `acquire`), and Rust-side readers take std's
        // environment lock. libpcsclite reads the variable once, at the first SCardEstablishContext.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("PCSCLITE_CSOCK_NAME", socket);
        }
    });
}

/// Finds `n` consecutive TCP ports that are free on 0.0.0.0 (vpcd binds INADDR_ANY).
fn free_ports(n: usize) -> io::Result<u16> {
    for _ in 0..50 {
        let first = TcpListener::bind(("0.0.0.0", 0))?;
        let base = first.local_addr()?.port();
        if usize::from(base) + n > 65_535 {
            continue;
        }
        let rest: Result<Vec<_>, _> = (1..n as u16)
            .map(|i| TcpListener::bind(("0.0.0.0", base + i)))
            .collect();
        if rest.is_ok() {
            return Ok(base);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!("no {n} consecutive free TCP ports found"),
    ))
}

/// A running private pcscd.
#[derive(Debug)]
pub struct Pcscd {
    // Behind a lock so that [`Pcscd::kill`] can reap it while sessions share the instance.
    child: Mutex<Child>,
    pid: u32,
    dir: PathBuf,
    base_port: u16,
    readers: Vec<String>,
    slots: Mutex<[bool; SLOTS]>,
    freed: Condvar,
    /// Per slot, pcscd's event count when it announced the last card inserted there.
    announced: Mutex<[Option<u32>; SLOTS]>,
}

impl Pcscd {
    fn start() -> Result<Self, HarnessError> {
        let pcscd = find_pcscd().ok_or(HarnessError::NotInstalled("pcscd"))?;
        if !Path::new(VPCD_DRIVER).exists() {
            return Err(HarnessError::NotInstalled(
                "the vpcd driver (libifdvpcd.so)",
            ));
        }
        let dir = process_dir();
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        let mut last = None;
        // A port picked free may be taken before pcscd binds it: try again with others.
        for _ in 0..3 {
            match Self::try_start(&pcscd, &dir) {
                Ok(p) => return Ok(p),
                Err(e) => last = Some(e),
            }
        }
        let _ = fs::remove_dir_all(&dir);
        Err(last.unwrap_or_else(|| HarnessError::NotReady {
            why: "unknown".into(),
            log: String::new(),
        }))
    }

    fn try_start(pcscd: &Path, dir: &Path) -> Result<Self, HarnessError> {
        let base_port = free_ports(SLOTS)?;
        let conf = dir.join("reader.conf.d");
        fs::create_dir_all(&conf)?;
        let mut text = String::new();
        for i in 0..ENTRIES {
            let port = usize::from(base_port) + 2 * i;
            text.push_str(&format!(
                "FRIENDLYNAME \"Virtual PCD {i}\"\nDEVICENAME   /dev/null:{port}\nLIBPATH      {VPCD_DRIVER}\nCHANNELID    {port}\n\n"
            ));
        }
        fs::write(conf.join("vpcd"), text)?;
        let sock = socket_path();
        let _ = fs::remove_file(&sock);
        let listener = UnixListener::bind(&sock)?;
        let log_path = dir.join("pcscd.log");
        let log = fs::File::create(&log_path)?;
        // fd 0 carries the listening socket into `sh`, which moves it to fd 3 and execs pcscd
        // with its own pid in LISTEN_PID: socket activation without unsafe pre_exec code.
        let child = Command::new("sh")
            .arg("-c")
            .arg("exec 3<&0 </dev/null; LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" -f -d -a -x -c \"$1\"")
            .arg(pcscd)
            .arg(&conf)
            .stdin(Stdio::from(OwnedFd::from(listener)))
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()?;
        let mut me = Self {
            pid: child.id(),
            child: Mutex::new(child),
            dir: dir.to_owned(),
            base_port,
            readers: Vec::new(),
            slots: Mutex::new([false; SLOTS]),
            freed: Condvar::new(),
            announced: Mutex::new([None; SLOTS]),
        };
        point_libpcsclite_at(&sock);
        let not_ready = |why: String| HarnessError::NotReady {
            why,
            log: fs::read_to_string(&log_path).unwrap_or_default(),
        };
        let ctx = PcscContext::establish().map_err(|e| not_ready(e.to_string()))?;
        let names = ctx
            .wait_for_readers(SLOTS, START_TIMEOUT)
            .map_err(|e| not_ready(e.to_string()))?;
        if let Ok(Some(status)) = me.child_mut().try_wait() {
            return Err(not_ready(format!("pcscd exited: {status}")));
        }
        me.readers = names
            .into_iter()
            .filter(|n| n.starts_with("Virtual PCD"))
            .collect();
        me.readers.sort();
        if me.readers.len() < SLOTS {
            return Err(not_ready(format!(
                "expected {SLOTS} virtual readers, got {:?}",
                me.readers
            )));
        }
        Ok(me)
    }

    /// This instance's log (with every APDU: pcscd runs with `-a`).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("pcscd.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn child_mut(&mut self) -> &mut Child {
        self.child.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    /// Kills pcscd now (SIGKILL, as a crash would) and reaps it. For tests of a pcscd that
    /// dies mid-session, in a test binary of their own: every session of this process loses
    /// its readers, and libpcsclite keeps talking to this socket path (a new [`acquire`] after
    /// the last session is dropped starts a fresh instance on it).
    pub fn kill(&self) -> io::Result<()> {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        child.kill()?;
        child.wait().map(|_| ())
    }

    fn announced(&self) -> std::sync::MutexGuard<'_, [Option<u32>; SLOTS]> {
        self.announced.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lease(&self) -> usize {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(i) = slots.iter().position(|busy| !busy) {
                slots[i] = true;
                return i;
            }
            slots = self.freed.wait(slots).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn release(&self, slot: usize) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots[slot] = false;
        self.freed.notify_one();
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        let child = self.child_mut();
        // Already reaped ([`Pcscd::kill`]): its pid may belong to another process by now, so
        // it must not be signalled.
        if !matches!(child.try_wait(), Ok(Some(_))) {
            // SIGTERM by pid (pcscd cleans up); `kill(1)` is not in minimal Debian images.
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_child(child),
                rustix::process::Signal::TERM,
            );
            // pcscd exits within 0.2 s of SIGTERM (CARDS.md §4.6); SIGKILL if not after 3 s.
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

static CURRENT: Mutex<Weak<Pcscd>> = Mutex::new(Weak::new());

/// A leased reader of this process's private pcscd. Dropping the last session stops pcscd.
#[derive(Debug)]
pub struct Session {
    // Always `Some` until drop; taken there under the `CURRENT` lock so that a new instance
    // cannot start while this one is being torn down (they share the socket path).
    pcscd: Option<Arc<Pcscd>>,
    slot: usize,
}

/// Starts (or joins) this process's private pcscd and leases a reader slot; blocks while all
/// [`SLOTS`] are leased.
pub fn acquire() -> Result<Session, HarnessError> {
    let pcscd = {
        let mut cur = CURRENT.lock().unwrap_or_else(|p| p.into_inner());
        match cur.upgrade() {
            Some(p) => p,
            None => {
                let p = Arc::new(Pcscd::start()?);
                *cur = Arc::downgrade(&p);
                p
            }
        }
    };
    let slot = pcscd.lease();
    Ok(Session {
        pcscd: Some(pcscd),
        slot,
    })
}

/// Set (to anything but `0`) by `scripts/test`: a missing pcscd/vpcd fails instead of skipping,
/// since the script installs them.
pub const REQUIRE_ENV: &str = "INSI_BENCH_REQUIRE_PCSCD";

/// [`acquire`], or `None` after a loud message when pcscd/vpcd are not installed (unless
/// [`REQUIRE_ENV`] is set, then it panics).
pub fn acquire_or_skip(test: &str) -> Option<Session> {
    let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| v != "0");
    match acquire() {
        Ok(s) => Some(s),
        Err(e) if e.is_not_installed() && !required => {
            eprintln!("\n*** SKIPPED {test}: {e} ***\n*** the pcscd tier did NOT run ***\n");
            None
        }
        Err(e) => panic!("pcscd harness failed: {e}"),
    }
}

impl Session {
    fn inner(&self) -> &Pcscd {
        // `pcscd` is only `None` inside `drop`.
        self.pcscd
            .as_deref()
            .unwrap_or_else(|| unreachable!("session used after drop"))
    }

    /// The reader name of this slot, e.g. `"Virtual PCD 00 01"`.
    pub fn reader(&self) -> &str {
        &self.inner().readers[self.slot]
    }

    /// The vpcd TCP port of this slot.
    pub fn port(&self) -> u16 {
        self.inner().base_port + self.slot as u16
    }

    /// The pcscd socket, for child processes (`PCSCLITE_CSOCK_NAME`).
    pub fn socket(&self) -> PathBuf {
        socket_path()
    }

    pub fn pcscd(&self) -> &Pcscd {
        self.inner()
    }

    /// A PC/SC context on the private pcscd.
    pub fn context(&self) -> Result<PcscContext, PcscError> {
        PcscContext::establish()
    }

    /// Inserts `card` into this slot and waits until pcscd reports it present.
    pub fn insert(&self, card: Card) -> Result<VirtualCard, HarnessError> {
        let ctx = self.context()?;
        // The previous card may still be seen until pcscd's next poll: start from an empty
        // reader, or the wait below would see the old card. And the event thread itself must
        // have seen it go (not only a disconnect of a pulled card), or it would take the new
        // card for the old one and never announce it (`wait_for_removal_since`).
        let announced = self.inner().announced()[self.slot];
        match announced {
            Some(count) => ctx.wait_for_removal_since(self.reader(), count, INSERT_TIMEOUT)?,
            None => ctx.wait_for_removal(self.reader(), INSERT_TIMEOUT)?,
        }
        let card = Arc::new(Mutex::new(card));
        let vc = VirtualCard::insert_shared(Arc::clone(&card), self.port(), INSERT_TIMEOUT)?;
        let not_seen = |e: PcscError| HarnessError::NotReady {
            why: format!("card not seen: {e}"),
            log: self.inner().log(),
        };
        let (vc, count) = match ctx.wait_for_card_counted(self.reader(), FIRST_LOOK) {
            Ok((_, count)) => (vc, count),
            // pcscd polls a vpcd reader every 400 ms: a card not announced after FIRST_LOOK fell
            // into the window above after all (pcsc-lite 1.9.9 takes it for the card it believes
            // still there). What a user would do: take it out, let pcscd see the reader empty,
            // put it in again — once. The card has answered no APDU yet (pcscd only powered it).
            Err(PcscError::WaitTimeout { .. }) => {
                eprintln!(
                    "harness: pcscd did not announce the card in {} within {} s; taking it out and in again",
                    self.reader(),
                    FIRST_LOOK.as_secs()
                );
                let (_, before) = ctx.event_count(self.reader()).map_err(not_seen)?;
                drop(vc.eject());
                // pcscd announces the removal of the card it believed there; one it never saw
                // (a machine so slow that 3 s passed before its poll) gives no event: go on.
                match ctx.wait_for_removal_since(self.reader(), before, SETTLE) {
                    Ok(()) | Err(PcscError::WaitTimeout { .. }) => {}
                    Err(e) => return Err(not_seen(e)),
                }
                let vc = VirtualCard::insert_shared(card, self.port(), INSERT_TIMEOUT)?;
                let (_, count) = ctx
                    .wait_for_card_counted(self.reader(), INSERT_TIMEOUT)
                    .map_err(not_seen)?;
                (vc, count)
            }
            Err(e) => return Err(not_seen(e)),
        };
        self.inner().announced()[self.slot] = Some(count);
        Ok(vc)
    }

    /// Ejects `card` and waits until pcscd reports the reader empty.
    pub fn eject(&self, card: VirtualCard) -> Result<(), HarnessError> {
        let _ = card.eject();
        self.context()?
            .wait_for_removal(self.reader(), INSERT_TIMEOUT)?;
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(p) = &self.pcscd
        {
            // A failing test gets the APDU log of its reader: pcscd runs with `-a`.
            let log = p.log();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!(
                "--- last lines of the private pcscd log ({}) ---",
                p.dir.display()
            );
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
        let _current = CURRENT.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = self.pcscd.take() {
            p.release(self.slot);
            drop(p); // the last session stops pcscd here, under the lock
        }
    }
}
