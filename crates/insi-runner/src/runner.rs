//! The [`Runner`]: runs the selected cases of a package against a [`Target`], at most `jobs` at
//! a time, compares each outcome with its expectations, records it in the journal (synced to
//! disk) and hands it to the caller's [`Sink`]; at the end, every recorded case in package order
//! is the [`Run`].

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use insi_client::Origin;
use insi_package::{LoadedCase, Package, PackageErrors};

use crate::cards::CardSet;
use crate::compare::compare;
use crate::execute::{CaseContext, Injected, execute, timed};
use crate::journal::{Journal, JournalError};
use crate::result::{CaseResult, Header, Run, Status, Summary};
use crate::sink::{Sink, SinkError};
use crate::target::{ClientOptions, Software, Target};

/// The installation identity the runner sends as ContexteLPS/LPS/Instance: fixed, so that runs
/// are recognisable as insi-bench's on a server's side.
pub const RUNNER_INSTANCE: &str = "6e2a1b6c-2f55-4c52-9a8e-1b3d5c7e9f01";

/// Why a run could not start or could not go on. A failed case is not an error: it is a
/// [`Status::Fail`] result.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "refusing to replay a test package against production ({target}): packages are test \
         material; target qualification or the simulator, or add --i-know-this-is-production \
         if you really mean it"
    )]
    Production { target: String },
    #[error("--only names cases the package does not have: {}", .0.join(", "))]
    UnknownCases(Vec<String>),
    #[error("cannot read the injection file {}: {source}", path.display())]
    Injection {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Cards(PackageErrors),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Sink(#[from] SinkError),
    /// Every case ran and is in the journal, but a sink failed to take the finished run (e.g.
    /// the history file is locked): the run is handed back so that the reports are still
    /// written.
    #[error("the run finished, but {source}")]
    Finish { run: Box<Run>, source: SinkError },
}

/// The journal of a run.
#[derive(Clone, Debug)]
pub struct JournalSettings {
    /// Where `journal.jsonl` goes (created if missing).
    pub dir: PathBuf,
    /// Continue the run recorded there: cases already in it are not run again.
    pub resume: bool,
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// Run only these cases (ids); every case when empty.
    pub only: Vec<String>,
    /// Cases run at the same time.
    pub jobs: usize,
    /// Bound of one HTTP exchange.
    pub call_timeout: Duration,
    /// `--i-know-this-is-production` was given.
    pub acknowledged_production: bool,
    /// ContexteLPS of the runner.
    pub software: Software,
    /// `None`: no journal (library use; nothing survives a crash).
    pub journal: Option<JournalSettings>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            only: Vec::new(),
            jobs: 4,
            call_timeout: Duration::from_secs(10),
            acknowledged_production: false,
            software: Software {
                lps_version: env!("CARGO_PKG_VERSION").into(),
                instance: RUNNER_INSTANCE.into(),
                nom: format!("urn:lps:insi-bench:{}", env!("CARGO_PKG_VERSION")),
            },
            journal: None,
        }
    }
}

/// Refuses production unless acknowledged: the one place this rule is written. Call it before
/// resolving a production target too, so nothing at all is sent there.
pub fn check_production(
    production: bool,
    target: &str,
    acknowledged: bool,
) -> Result<(), RunError> {
    if production && !acknowledged {
        return Err(RunError::Production {
            target: target.to_owned(),
        });
    }
    Ok(())
}

/// A package ready to run against a target.
#[derive(Debug)]
pub struct Runner<'a> {
    package: &'a Package,
    target: &'a Target,
    settings: RunSettings,
    cards: CardSet,
    injections: HashMap<PathBuf, Arc<Injected>>,
    selected: Vec<&'a LoadedCase>,
}

impl<'a> Runner<'a> {
    /// Checks everything that can be checked before a case runs: production, the `--only`
    /// selection, the card profiles (loaded once) and the injection files (read once). Any
    /// problem here is a setup error, not a failed case.
    pub fn new(
        package: &'a Package,
        target: &'a Target,
        settings: RunSettings,
    ) -> Result<Runner<'a>, RunError> {
        check_production(
            target.is_production(),
            target.label(),
            settings.acknowledged_production,
        )?;
        let selected = select(package, &settings.only)?;
        let cards = CardSet::load(package).map_err(RunError::Cards)?;
        let injections = load_injections(package)?;
        Ok(Runner {
            package,
            target,
            settings,
            cards,
            injections,
            selected,
        })
    }

    /// The cases this run will consider (before `--resume` drops the recorded ones).
    pub fn selected(&self) -> usize {
        self.selected.len()
    }

    /// Runs the cases, feeding `sink` (after the journal) as each finishes.
    pub async fn run(self, sink: &mut dyn Sink) -> Result<Run, RunError> {
        let started_at = Instant::now();
        let package = self.package;
        let (mut journal, previous, header) = match &self.settings.journal {
            Some(j) if j.resume => {
                let (journal, previous) = Journal::resume(&j.dir, &package.manifest.name)?;
                let header = previous.header.clone();
                (Some(journal), previous.results, header)
            }
            other => {
                let header = Header::new(
                    &package.manifest.name,
                    &package.manifest.version,
                    self.target.label(),
                    jiff::Timestamp::now().to_string(),
                );
                let journal = match other {
                    Some(j) => Some(Journal::create(&j.dir, &header)?),
                    None => None,
                };
                (journal, Vec::new(), header)
            }
        };
        sink.begin(&header)?;

        let done: HashSet<&str> = previous.iter().map(|r| r.id.as_str()).collect();
        let todo: Vec<&LoadedCase> = self
            .selected
            .iter()
            .copied()
            .filter(|c| !done.contains(c.case.id.as_str()))
            .collect();
        sink.planned(todo.len())?;
        let options = ClientOptions {
            software: self.settings.software.clone(),
            policy: self.target.retry_policy(self.settings.call_timeout),
            origin: Origin::Runner,
            acknowledged_production: self.settings.acknowledged_production,
            idam: None,
        };
        let cx = CaseContext {
            target: self.target,
            cards: &self.cards,
            options: &options,
            default_auth: package.manifest.defaults.auth,
            default_strategy: package.manifest.defaults.strategy,
        };
        let injections = &self.injections;
        let cx = &cx;
        let mut stream = futures_util::stream::iter(todo.into_iter().map(|loaded| async move {
            let inject = loaded
                .case
                .inject
                .as_ref()
                .and_then(|p| injections.get(p.get_ref()).cloned());
            run_case(cx, loaded, inject).await
        }))
        .buffer_unordered(self.settings.jobs.max(1));

        let resumed = previous.len();
        let mut all = previous;
        while let Some(result) = stream.next().await {
            if let Some(journal) = journal.as_mut() {
                journal.record(&result)?;
            }
            sink.case(&result)?;
            all.push(result);
        }
        drop(stream);

        // Reports come from everything recorded, in package order.
        let order: HashMap<&str, usize> = package
            .cases
            .iter()
            .enumerate()
            .map(|(i, c)| (c.case.id.as_str(), i))
            .collect();
        all.sort_by_key(|r| order.get(r.id.as_str()).copied().unwrap_or(usize::MAX));
        let run = Run {
            header,
            finished: jiff::Timestamp::now().to_string(),
            wall_ms: started_at.elapsed().as_secs_f64() * 1000.0,
            summary: Summary::of(&all),
            cases: all,
            resumed,
        };
        match sink.finish(&run) {
            Ok(()) => Ok(run),
            Err(source) => Err(RunError::Finish {
                run: Box::new(run),
                source,
            }),
        }
    }
}

/// One case, start to verdict: skipped, or executed and compared (`xfail` turning a failure
/// into a known one, and a pass into a stale mark).
async fn run_case(
    cx: &CaseContext<'_>,
    loaded: &LoadedCase,
    inject: Option<Arc<Injected>>,
) -> CaseResult {
    let case = &loaded.case;
    if let Some(reason) = &case.skip {
        return CaseResult {
            id: case.id.clone(),
            title: case.title.clone(),
            status: Status::Skip,
            reason: Some(reason.get_ref().clone()),
            mismatches: Vec::new(),
            outcome: Default::default(),
            ms: 0.0,
        };
    }
    let (outcome, ms) = timed(execute(cx, case, inject)).await;
    let mismatches = compare(case.expect.get_ref(), &outcome);
    let status = match (mismatches.is_empty(), case.xfail.is_some()) {
        (true, false) => Status::Pass,
        (false, false) => Status::Fail,
        (false, true) => Status::Xfail,
        (true, true) => Status::Xpass,
    };
    CaseResult {
        id: case.id.clone(),
        title: case.title.clone(),
        status,
        reason: case.xfail.as_ref().map(|r| r.get_ref().clone()),
        mismatches,
        outcome,
        ms,
    }
}

/// Every injection file, read once before the run: a missing or unreadable file is a setup
/// error, not a failed case.
fn load_injections(package: &Package) -> Result<HashMap<PathBuf, Arc<Injected>>, RunError> {
    let mut files = HashMap::new();
    for loaded in &package.cases {
        let Some(inject) = &loaded.case.inject else {
            continue;
        };
        let relative = inject.get_ref();
        if files.contains_key(relative) {
            continue;
        }
        let path = package.root.join(relative);
        let body = std::fs::read(&path).map_err(|source| RunError::Injection {
            path: path.clone(),
            source,
        })?;
        files.insert(relative.clone(), Arc::new(Injected::new(body)));
    }
    Ok(files)
}

/// Which cases to run: all, or those named by `only` (unknown ids are an error).
fn select<'a>(package: &'a Package, only: &[String]) -> Result<Vec<&'a LoadedCase>, RunError> {
    if only.is_empty() {
        return Ok(package.cases.iter().collect());
    }
    let unknown: Vec<String> = only
        .iter()
        .filter(|id| package.case(id).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(RunError::UnknownCases(unknown));
    }
    Ok(package
        .cases
        .iter()
        .filter(|c| only.contains(&c.case.id))
        .collect())
}
