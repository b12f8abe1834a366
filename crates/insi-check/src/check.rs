//! The session loop: for each selected case, in package order — install its injection, let the
//! [`Driver`] play the software's part, take the exchanges that came in, [`judge`] them — and
//! hand `insi_runner` [`CaseResult`]s to the caller's [`Sink`], so `insi-report` writes the
//! same reports as `run`.

use std::time::Instant;

use insi_package::Package;
use insi_runner::{CaseResult, Header, Mismatch, Outcome, Run, Sink, Status, Summary};

use crate::case::CheckCase;
use crate::drive::{Brief, Driven, Driver};
use crate::error::CheckError;
use crate::judge::{Context, Memory, judge};
use crate::session::Session;

/// The target label of a check-client run, in reports.
pub fn target_label(session: &Session) -> String {
    format!(
        "check-client (software under test) at {}",
        session.endpoints.url
    )
}

/// The cases to run: every case, or those named in `only` (unknown ids are an error).
pub fn select(package: &Package, only: &[String]) -> Result<Vec<CheckCase>, CheckError> {
    let unknown: Vec<String> = only
        .iter()
        .filter(|id| package.case(id).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(CheckError::UnknownCases(unknown));
    }
    Ok(CheckCase::all(package)
        .into_iter()
        .filter(|c| only.is_empty() || only.contains(&c.id))
        .collect())
}

fn skipped(case: &CheckCase, reason: String) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        title: case.title.clone(),
        status: Status::Skip,
        reason: Some(reason),
        mismatches: Vec::new(),
        outcome: Outcome::default(),
        ms: 0.0,
    }
}

/// Runs the cases one after the other (the software under test does one thing at a time).
pub async fn check<D: Driver>(
    package: &Package,
    cases: &[CheckCase],
    session: &mut Session,
    driver: &mut D,
    sink: &mut dyn Sink,
) -> Result<Run, CheckError> {
    let started = Instant::now();
    let header = Header::new(
        &package.manifest.name,
        &package.manifest.version,
        &target_label(session),
        jiff::Timestamp::now().to_string(),
    );
    sink.begin(&header)?;
    sink.planned(cases.len())?;
    let cx = Context {
        idam: session.endpoints.idam.clone(),
    };
    let mut memory = Memory::default();
    let mut results = Vec::new();
    for case in cases {
        let result = one(case, session, driver, &cx, &mut memory).await?;
        sink.case(&result)?;
        results.push(result);
    }
    let run = Run {
        header,
        finished: jiff::Timestamp::now().to_string(),
        wall_ms: started.elapsed().as_secs_f64() * 1000.0,
        summary: Summary::of(&results),
        cases: results,
        resumed: 0,
    };
    sink.finish(&run)?;
    Ok(run)
}

async fn one<D: Driver>(
    case: &CheckCase,
    session: &mut Session,
    driver: &mut D,
    cx: &Context,
    memory: &mut Memory,
) -> Result<CaseResult, CheckError> {
    if let Some(reason) = &case.skip {
        return Ok(skipped(case, reason.clone()));
    }
    if let Err(why) = &case.expected {
        return Ok(skipped(case, why.clone()));
    }
    let p12 = match &case.certificate {
        None => session.endpoints.p12.clone(),
        Some(name) => match session.credential_p12(name) {
            Some(p) => p,
            None => {
                return Ok(skipped(
                    case,
                    format!("the test PKI has no {name}.p12 to give the software"),
                ));
            }
        },
    };
    let ps = (case.auth == insi_package::Auth::Cpx)
        .then(|| session.ps_files(case))
        .flatten();
    let strays = session.begin(case)?;
    let start = Instant::now();
    let brief = Brief {
        case,
        endpoints: &session.endpoints,
        p12,
        ps,
    };
    let driven = driver.drive(&brief).await;
    let exchanges = session.end().await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let (evidence, driver_problem) = match driven {
        Driven::Skipped(reason) => return Ok(skipped(case, reason)),
        Driven::Done { evidence } => (evidence, None),
        Driven::TimedOut { after, evidence } => (
            evidence,
            Some(Mismatch {
                field: "driver".into(),
                expected: format!(
                    "the software finishes the case within {} s",
                    after.as_secs_f64()
                ),
                actual: format!("killed after {} s", after.as_secs_f64()),
            }),
        ),
        Driven::Failed(why) => (
            Vec::new(),
            Some(Mismatch {
                field: "driver".into(),
                expected: "the drive command runs".into(),
                actual: why,
            }),
        ),
    };
    let seen: Vec<&insi_sim::exchange::Exchange> = exchanges.iter().map(|e| e.as_ref()).collect();
    let mut judged = judge(case, &seen, cx, memory);
    judged.mismatches.extend(driver_problem);
    if !strays.is_empty() {
        judged.outcome.warnings.push(format!(
            "{} request(s) arrived between cases and were not judged",
            strays.len()
        ));
    }
    judged.outcome.warnings.extend(evidence);
    let status = match (judged.mismatches.is_empty(), case.xfail.is_some()) {
        (true, false) => Status::Pass,
        (false, false) => Status::Fail,
        (false, true) => Status::Xfail,
        (true, true) => Status::Xpass,
    };
    Ok(CaseResult {
        id: case.id.clone(),
        title: case.title.clone(),
        status,
        reason: case.xfail.clone(),
        mismatches: judged.mismatches,
        outcome: judged.outcome,
        ms,
    })
}
