//! Expectation ↔ outcome comparison: pure, so every rule is unit-tested here. This is the
//! explicit map from what a package expects to what the client observed (the shape of rustls's
//! bogo shim), and the only place that decides pass or fail.

use serde::{Deserialize, Serialize};

use crate::outcome::{InsValue, Outcome};
use insi_package::{Expect, ExpectIns};

/// One difference between what was expected and what happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// Dotted path of the expectation (`ins.cle`, `attempts[1].cr`, …).
    pub field: String,
    pub expected: String,
    pub actual: String,
}

fn show(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_owned(), str::to_owned)
}

/// Fault and detail codes are compared without regard to case: public sources write
/// `DESIR_560` and `desir_550` for the same family of codes.
fn same_code(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

struct Diff(Vec<Mismatch>);

impl Diff {
    fn text(&mut self, field: impl Into<String>, expected: Option<&str>, actual: Option<&str>) {
        if let Some(e) = expected
            && actual != Some(e)
        {
            self.push(field, e.to_owned(), show(actual));
        }
    }

    fn push(&mut self, field: impl Into<String>, expected: String, actual: String) {
        self.0.push(Mismatch {
            field: field.into(),
            expected,
            actual,
        });
    }

    fn ins(&mut self, path: &str, expected: &ExpectIns, actual: Option<&InsValue>) {
        let Some(actual) = actual else {
            self.push(path, expected.matricule.get_ref().clone(), "(none)".into());
            return;
        };
        self.text(
            format!("{path}.matricule"),
            Some(expected.matricule.get_ref()),
            Some(&actual.matricule),
        );
        self.text(
            format!("{path}.cle"),
            expected.cle.as_ref().map(|c| c.get_ref().as_str()),
            actual.cle.as_deref(),
        );
        self.text(
            format!("{path}.oid"),
            expected.oid.as_deref(),
            actual.oid.as_deref(),
        );
        self.text(
            format!("{path}.date_deb"),
            expected.date_deb.as_ref().map(|d| d.get_ref().as_str()),
            actual.date_deb.as_deref(),
        );
        self.text(
            format!("{path}.date_fin"),
            expected.date_fin.as_ref().map(|d| d.get_ref().as_str()),
            actual.date_fin.as_deref(),
        );
    }
}

/// Every way `outcome` differs from `expect`; empty means the case passes.
pub fn compare(expect: &Expect, outcome: &Outcome) -> Vec<Mismatch> {
    let mut d = Diff(Vec::new());
    // An unexpected transport error explains every other difference: report it first.
    if let Some(error) = &outcome.error {
        d.push("error", "no transport error".into(), error.clone());
    }

    if let Some(refused) = &expect.refused {
        match &outcome.refused {
            None => d.push(
                "refused",
                format!("refusal of {}", refused.field.as_str()),
                outcome.summary(),
            ),
            Some(actual) => {
                d.text(
                    "refused.field",
                    Some(refused.field.as_str()),
                    Some(&actual.field),
                );
                d.text(
                    "refused.char",
                    refused.char.as_deref(),
                    actual.char.as_deref(),
                );
                if let Some(p) = refused.position
                    && actual.position != Some(p)
                {
                    d.push(
                        "refused.position",
                        p.to_string(),
                        show(actual.position.map(|p| p.to_string()).as_deref()),
                    );
                }
            }
        }
    } else if let Some(actual) = &outcome.refused {
        d.push(
            "refused",
            "no refusal".into(),
            format!("{} refused: {}", actual.field, actual.message),
        );
    }

    if let Some(cr) = &expect.cr {
        let actual = outcome.cr.clone().unwrap_or_else(|| outcome.summary());
        if outcome.cr.as_deref() != Some(cr.get_ref().as_str()) {
            d.push("cr", cr.get_ref().clone(), actual);
        }
    }

    if let Some(fault) = &expect.fault {
        match &outcome.fault {
            None => d.push("fault", "a SOAP fault".into(), outcome.summary()),
            Some(actual) => {
                for (name, expected, got) in [
                    ("fault.subcode", &fault.subcode, &actual.subcode),
                    ("fault.code", &fault.code, &actual.code),
                    ("fault.severite", &fault.severite, &actual.severite),
                ] {
                    if let Some(e) = expected
                        && !got.as_deref().is_some_and(|g| same_code(g, e))
                    {
                        d.push(name, e.clone(), show(got.as_deref()));
                    }
                }
                if let Some(status) = fault.http_status
                    && actual.http_status != Some(status)
                {
                    d.push(
                        "fault.http_status",
                        status.to_string(),
                        show(actual.http_status.map(|s| s.to_string()).as_deref()),
                    );
                }
            }
        }
    } else if expect.refused.is_none()
        && let Some(actual) = &outcome.fault
    {
        d.push(
            "fault",
            "no fault".into(),
            format!("fault {}", show(actual.code.as_deref())),
        );
    }

    if let Some(ins) = &expect.ins {
        d.ins("ins", ins, outcome.ins.as_ref());
    }
    if let Some(traits) = &expect.traits {
        let actual = outcome.traits.clone().unwrap_or_default();
        d.text(
            "traits.nom_naissance",
            traits.nom_naissance.as_deref(),
            actual.nom_naissance.as_deref(),
        );
        d.text(
            "traits.prenom",
            traits.prenom.as_deref(),
            actual.prenom.as_deref(),
        );
        d.text(
            "traits.liste_prenom",
            traits.liste_prenom.as_deref(),
            actual.liste_prenom.as_deref(),
        );
        d.text(
            "traits.sexe",
            traits.sexe.as_deref(),
            actual.sexe.as_deref(),
        );
        d.text(
            "traits.date_naissance",
            traits.date_naissance.as_ref().map(|t| t.get_ref().as_str()),
            actual.date_naissance.as_deref(),
        );
        d.text(
            "traits.lieu_naissance",
            traits.lieu_naissance.as_deref(),
            actual.lieu_naissance.as_deref(),
        );
    }
    if let Some(histo) = &expect.ins_histo {
        if histo.len() != outcome.ins_histo.len() {
            d.push(
                "ins_histo",
                format!("{} entries", histo.len()),
                format!("{} entries", outcome.ins_histo.len()),
            );
        }
        for (i, expected) in histo.iter().enumerate() {
            d.ins(
                &format!("ins_histo[{i}]"),
                expected,
                outcome.ins_histo.get(i),
            );
        }
    }

    if let Some(attempts) = &expect.attempts {
        if attempts.len() != outcome.attempts.len() {
            let sent: Vec<String> = outcome
                .attempts
                .iter()
                .map(|a| show(a.prenom.as_deref()))
                .collect();
            d.push(
                "attempts",
                format!("{} calls", attempts.len()),
                format!("{} calls: {}", outcome.attempts.len(), sent.join(" → ")),
            );
        }
        for (i, (e, a)) in attempts.iter().zip(&outcome.attempts).enumerate() {
            d.text(
                format!("attempts[{i}].prenom"),
                e.prenom.as_deref(),
                a.prenom.as_deref(),
            );
            d.text(
                format!("attempts[{i}].lieu"),
                e.lieu.as_deref(),
                a.lieu.as_deref(),
            );
            d.text(
                format!("attempts[{i}].cr"),
                e.cr.as_deref(),
                a.cr.as_deref(),
            );
            if let Some(code) = &e.fault
                && !a.fault.as_deref().is_some_and(|f| same_code(f, code))
            {
                d.push(
                    format!("attempts[{i}].fault"),
                    code.clone(),
                    show(a.fault.as_deref()),
                );
            }
        }
    }

    if let Some(verdict) = expect.verdict {
        d.text(
            "verdict",
            Some(verdict.as_str()),
            outcome.verdict.as_deref(),
        );
    }
    if let Some(calls) = expect.calls
        && outcome.calls() != calls as usize
    {
        d.push("calls", calls.to_string(), outcome.calls().to_string());
    }
    for wanted in expect.warnings.iter().flatten() {
        if !outcome.warnings.iter().any(|w| w.contains(wanted.as_str())) {
            d.push(
                "warnings",
                format!("a warning mentioning '{wanted}'"),
                format!("{:?}", outcome.warnings),
            );
        }
    }
    d.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Attempt, FaultValue, Refusal, TraitsValue};

    fn expect(toml_text: &str) -> Expect {
        toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn tchitchi() -> Outcome {
        Outcome {
            cr: Some("00".into()),
            ins: Some(InsValue {
                matricule: "2360663220836".into(),
                cle: Some("56".into()),
                oid: Some("1.2.250.1.213.1.4.8".into()),
                ..Default::default()
            }),
            traits: Some(TraitsValue {
                liste_prenom: Some("CATARINA BELLA".into()),
                ..Default::default()
            }),
            attempts: vec![
                Attempt {
                    prenom: Some("OLA".into()),
                    cr: Some("01".into()),
                    ..Default::default()
                },
                Attempt {
                    prenom: Some("CATARINA".into()),
                    cr: Some("00".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    const TCHITCHI: &str = r#"
        cr = "00"
        ins = { matricule = "2360663220836", cle = "56", oid = "1.2.250.1.213.1.4.8" }
        traits = { liste_prenom = "CATARINA BELLA" }
        attempts = [{ prenom = "OLA", cr = "01" }, { prenom = "CATARINA", cr = "00" }]
        calls = 2
    "#;

    #[test]
    fn matching_outcome_passes() {
        assert_eq!(compare(&expect(TCHITCHI), &tchitchi()), vec![]);
    }

    #[test]
    fn each_difference_is_named() {
        let mut o = tchitchi();
        if let Some(i) = o.ins.as_mut() {
            i.cle = Some("57".into());
        }
        o.attempts[0].cr = Some("00".into());
        o.attempts.pop();
        let fields: Vec<String> = compare(&expect(TCHITCHI), &o)
            .into_iter()
            .map(|m| m.field)
            .collect();
        assert_eq!(fields, ["ins.cle", "attempts", "attempts[0].cr", "calls"]);
    }

    #[test]
    fn a_fault_instead_of_a_cr_fails_with_its_code() {
        let o = Outcome {
            fault: Some(FaultValue {
                code: Some("desir_1020".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let m = compare(&expect(r#"cr = "00""#), &o);
        assert_eq!(
            m[0],
            Mismatch {
                field: "cr".into(),
                expected: "00".into(),
                actual: "fault desir_1020".into()
            }
        );
        assert_eq!(m[1].field, "fault");
    }

    #[test]
    fn fault_codes_ignore_case_and_check_status() {
        let o = Outcome {
            fault: Some(FaultValue {
                code: Some("DESIR_560".into()),
                http_status: Some(500),
                ..Default::default()
            }),
            attempts: vec![Attempt::default()],
            ..Default::default()
        };
        assert_eq!(
            compare(
                &expect(r#"fault = { code = "desir_560", http_status = 500 }"#),
                &o
            ),
            vec![]
        );
        let m = compare(
            &expect(r#"fault = { code = "desir_550", http_status = 200 }"#),
            &o,
        );
        assert_eq!(
            m.iter().map(|m| m.field.as_str()).collect::<Vec<_>>(),
            ["fault.code", "fault.http_status"]
        );
    }

    #[test]
    fn refusals() {
        let refused = Outcome {
            refused: Some(Refusal {
                field: "nom".into(),
                char: Some("2".into()),
                position: Some(7),
                message: "…".into(),
            }),
            ..Default::default()
        };
        let e = expect(
            r#"refused = { field = "nom", char = "2", position = 7 }
                          calls = 0"#,
        );
        assert_eq!(compare(&e, &refused), vec![]);
        let m = compare(
            &expect(r#"refused = { field = "nom", position = 6 }"#),
            &refused,
        );
        assert_eq!(m[0].field, "refused.position");
        // Expected a refusal, got an answer; expected an answer, got a refusal.
        assert_eq!(compare(&e, &tchitchi())[0].field, "refused");
        assert_eq!(
            compare(&expect(r#"cr = "00""#), &refused)[0].field,
            "refused"
        );
    }

    #[test]
    fn histo_verdict_and_warnings() {
        let o = Outcome {
            ins_histo: vec![InsValue {
                matricule: "2810363220456".into(),
                cle: Some("10".into()),
                ..Default::default()
            }],
            verdict: Some("conforme".into()),
            warnings: vec!["INSHISTO 2810363220456: key 10 is wrong, expected 26".into()],
            ..Default::default()
        };
        let e = expect(
            r#"ins_histo = [{ matricule = "2810363220456", cle = "10" }]
                          verdict = "conforme"
                          warnings = ["2810363220456"]"#,
        );
        assert_eq!(compare(&e, &o), vec![]);
        let e = expect(
            r#"ins_histo = [{ matricule = "2810363220456" }, { matricule = "2090663220123" }]
                          verdict = "non-conforme"
                          warnings = ["1090763220834"]"#,
        );
        let fields: Vec<String> = compare(&e, &o).into_iter().map(|m| m.field).collect();
        assert_eq!(fields, ["ins_histo", "ins_histo[1]", "verdict", "warnings"]);
    }

    #[test]
    fn transport_errors_fail_the_case() {
        let o = Outcome {
            error: Some("connection refused".into()),
            ..Default::default()
        };
        let m = compare(&expect(r#"cr = "00""#), &o);
        assert_eq!(m[0].field, "error");
    }
}
