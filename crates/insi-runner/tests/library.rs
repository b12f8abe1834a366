//! The runner as a library: the public package through an in-memory sink, skip/xfail marks, the
//! journal and `--resume`, setup errors. Everything against the embedded simulator over real TLS.

use std::path::{Path, PathBuf};
use std::time::Duration;

use insi_runner::{
    Collect, EmbeddedSpec, JournalSettings, NoSink, RunError, RunSettings, Runner, Status, Target,
    TargetSpec,
};

fn public_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/packages/cnda-public")
}

async fn embedded() -> Target {
    Target::resolve(
        TargetSpec::embedded(EmbeddedSpec::default()),
        Duration::from_secs(10),
    )
    .await
    .expect("embedded simulator")
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_package_passes_through_an_in_memory_sink() {
    let package = insi_package::load(&public_package()).expect("package");
    let target = embedded().await;
    let mut sink = Collect::default();
    let run = Runner::new(&package, &target, RunSettings::default())
        .expect("runner")
        .run(&mut sink)
        .await
        .expect("run");
    target.shutdown().await;
    let failed: Vec<_> = run
        .cases
        .iter()
        .filter(|c| c.status != Status::Pass)
        .map(|c| (&c.id, &c.mismatches))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(run.summary.total, package.cases.len());
    // The sink saw every case once (in completion order), and the whole run began and ended.
    assert_eq!(sink.cases.len(), package.cases.len());
    assert_eq!(
        sink.header.as_ref().map(|h| h.package.as_str()),
        Some("cnda-public")
    );
    assert!(sink.finished);
    // The run is in package order.
    let order: Vec<&str> = package.cases.iter().map(|c| c.case.id.as_str()).collect();
    let got: Vec<&str> = run.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(got, order);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_and_xfail_marks_are_reported_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&public_package(), dir.path());
    let file = dir.path().join("cases/2-recherche.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    // 2.07-cas1 is skipped; 2.07-cas2 is marked xfail but passes, so its mark is stale.
    let text = text
        .replacen(
            "id = \"2.07-cas1\"",
            "id = \"2.07-cas1\"\nskip = \"waiting for the new CNDA package\"",
            1,
        )
        .replacen(
            "id = \"2.07-cas2\"",
            "id = \"2.07-cas2\"\nxfail = \"known: HOUILLES answers differ\"",
            1,
        );
    std::fs::write(&file, text).expect("write");
    let package = insi_package::load(dir.path()).expect("package");
    let target = embedded().await;
    let settings = RunSettings {
        only: vec!["2.07-cas1".into(), "2.07-cas2".into()],
        ..RunSettings::default()
    };
    let run = Runner::new(&package, &target, settings)
        .expect("runner")
        .run(&mut NoSink)
        .await
        .expect("run");
    target.shutdown().await;
    let status = |id: &str| {
        run.cases
            .iter()
            .find(|c| c.id == id)
            .map(|c| (c.status, c.reason.clone(), c.outcome.calls()))
    };
    assert_eq!(
        status("2.07-cas1"),
        Some((
            Status::Skip,
            Some("waiting for the new CNDA package".into()),
            0
        ))
    );
    // 2.07-cas2 passes in the public package: its xfail mark is stale, so it is an xpass.
    let (s, reason, calls) = status("2.07-cas2").expect("2.07-cas2");
    assert_eq!(
        (s, reason.as_deref()),
        (Status::Xpass, Some("known: HOUILLES answers differ"))
    );
    assert!(calls > 0);
    assert_eq!(
        (run.summary.skipped, run.summary.xpassed, run.summary.failed),
        (1, 1, 0)
    );
    assert!(run.summary.ok(), "skips and stale marks do not fail a run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expected_failure_is_xfail_and_does_not_fail_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&public_package(), dir.path());
    let file = dir.path().join("cases/2-recherche.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    let marked = text.replacen(
        "id = \"2.07-cas1\"",
        "id = \"2.07-cas1\"\nxfail = \"key changed upstream\"",
        1,
    );
    // The TCHITCHI key is 56; expect 57 so the case fails.
    let marked = marked.replacen("cle = \"56\"", "cle = \"57\"", 1);
    std::fs::write(&file, marked).expect("write");
    let package = insi_package::load(dir.path()).expect("package");
    let target = embedded().await;
    let settings = RunSettings {
        only: vec!["2.07-cas1".into()],
        ..RunSettings::default()
    };
    let run = Runner::new(&package, &target, settings)
        .expect("runner")
        .run(&mut NoSink)
        .await
        .expect("run");
    target.shutdown().await;
    let case = &run.cases[0];
    assert_eq!(case.status, Status::Xfail, "{case:#?}");
    assert!(
        case.mismatches.iter().any(|m| m.field == "ins.cle"),
        "the known mismatch stays visible: {:?}",
        case.mismatches
    );
    assert!(run.summary.ok());
    assert_eq!(run.summary.xfailed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_journal_resumes_to_the_same_run_without_running_anything() {
    let package = insi_package::load(&public_package()).expect("package");
    let target = embedded().await;
    let reports = tempfile::tempdir().expect("tempdir");
    let settings = |resume| RunSettings {
        only: vec!["2.07-cas1".into(), "2.07-cas2".into()],
        journal: Some(JournalSettings {
            dir: reports.path().to_path_buf(),
            resume,
        }),
        ..RunSettings::default()
    };
    let first = Runner::new(&package, &target, settings(false))
        .expect("runner")
        .run(&mut NoSink)
        .await
        .expect("run");
    let mut sink = Collect::default();
    let again = Runner::new(&package, &target, settings(true))
        .expect("runner")
        .run(&mut sink)
        .await
        .expect("resume");
    target.shutdown().await;
    assert!(sink.cases.is_empty(), "nothing ran again");
    assert_eq!(again.resumed, 2);
    assert_eq!(again.header, first.header);
    let ids = |run: &insi_runner::Run| run.cases.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&first));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_errors_come_before_any_case() {
    let package = insi_package::load(&public_package()).expect("package");
    let target = embedded().await;
    let settings = RunSettings {
        only: vec!["9.99".into(), "2.07-cas1".into()],
        ..RunSettings::default()
    };
    let err = Runner::new(&package, &target, settings).expect_err("unknown case");
    assert!(
        matches!(&err, RunError::UnknownCases(ids) if ids == &["9.99".to_owned()]),
        "{err}"
    );
    target.shutdown().await;
    let err = insi_runner::check_production(true, "prod-mtls", false).expect_err("production");
    assert!(
        err.to_string().contains("--i-know-this-is-production"),
        "{err}"
    );
}
