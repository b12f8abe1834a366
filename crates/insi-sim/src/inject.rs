//! CNDA response injection: serve a given response file for the requests a rule matches
//! (INSI-PROTOCOL.md §5.1) — the way CNDA tests what the qualification base cannot produce.
//!
//! A rule matches either the traits of a trait search (birth name + `Prenom` text) or a case id
//! sent by the client in the `X-Insi-Bench-Case` header. The file is served byte for byte; its
//! HTTP status is 500 when it is a SOAP Fault and 200 otherwise (as the real service does, §1.4).
//! Rules are checked after authentication and IDAM, in the order given; the first match wins.

use std::path::Path;

use axum::body::Bytes;

use crate::exchange::Verdict;
use crate::reason::{Personal, Reason};
use crate::search::{TraitQuery, query_prenoms};

/// The request header that carries a case id.
pub const CASE_HEADER: &str = "x-insi-bench-case";

/// Largest response file accepted (a CNDA file is a few KB).
pub const MAX_FILE: u64 = 1024 * 1024;

/// What a rule matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InjectMatch {
    /// A trait search with this `NomNaissance` whose first names, joined by one space, equal
    /// `prenom` (so `OLA` matches the first loop call only, `OLA CATARINA BELLA` the last one).
    Traits { nom: String, prenom: String },
    /// Requests carrying `X-Insi-Bench-Case: <id>`.
    CaseId(String),
    /// Every request: check-client installs it for the case under way only (the case id names
    /// it in the reason).
    Every { case: String },
}

/// A rule and the response it serves.
#[derive(Clone, Debug)]
pub struct Injection {
    pub matcher: InjectMatch,
    pub body: Bytes,
    pub status: u16,
    /// Where the body comes from (the file name), for the exchange's reason.
    pub source: Option<String>,
    /// What the body says (a CodeCR or a fault code), read once when the rule is made.
    pub verdict: Verdict,
}

#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    #[error("cannot read injected response {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("injected response {path} is {size} bytes; the limit is {MAX_FILE}")]
    TooLarge { path: String, size: u64 },
    #[error(
        "injection rule '{0}' is not understood: write NOM/PRENOM=FILE (a trait search) or \
         case:ID=FILE (requests with header X-Insi-Bench-Case: ID)"
    )]
    Rule(String),
}

/// The HTTP status the real service sends with this body: 500 for a SOAP Fault, 200 otherwise
/// (INSI-PROTOCOL.md §1.4). Decided once per response file, when it is loaded.
pub fn status_for(body: &[u8]) -> u16 {
    match insi_soap::decode_response(body) {
        Ok(decoded) if matches!(decoded.response, insi_soap::Response::Fault(_)) => 500,
        _ => 200,
    }
}

/// What a response file says: its CodeCR, its fault code, or `Http(200)` when it is not an
/// INSi response at all (served as is).
pub fn verdict_for(body: &[u8]) -> Verdict {
    match insi_soap::decode_response(body) {
        Ok(decoded) => match decoded.response {
            insi_soap::Response::Fault(f) => Verdict::Fault(
                f.erreur
                    .map_or_else(|| f.subcode.unwrap_or_else(|| f.code.clone()), |e| e.code),
            ),
            insi_soap::Response::Resultat(r) => Verdict::Cr(r.cr.code().to_owned()),
        },
        Err(_) => Verdict::Http(200),
    }
}

impl Injection {
    /// A rule serving `body`; the status follows the content (Fault → 500, anything else → 200).
    pub fn new(matcher: InjectMatch, body: impl Into<Bytes>) -> Injection {
        let body = body.into();
        let verdict = verdict_for(&body);
        // The same rule as `status_for`, from the one decoding.
        let status = if matches!(verdict, Verdict::Fault(_)) {
            500
        } else {
            200
        };
        Injection {
            matcher,
            body,
            status,
            source: None,
            verdict,
        }
    }

    /// The reason an exchange served by this rule gets: `injected: case 2.08-cas1
    /// (REP_2.08.xml)`, `injected: TCHITCHI/OLA (REP_CR01.xml)`.
    pub fn reason(&self) -> Reason {
        let r = match &self.matcher {
            InjectMatch::CaseId(id) | InjectMatch::Every { case: id } => {
                Reason::text(format!("injected: case {id}"))
            }
            InjectMatch::Traits { nom, prenom } => Reason::text("injected: rule ")
                .personal(Personal::Nom, nom)
                .push("/")
                .personal(Personal::Prenom, prenom),
        };
        match &self.source {
            Some(file) => r.push(format!(" ({file})")),
            None => r,
        }
    }

    /// A rule serving a file.
    pub fn from_file(matcher: InjectMatch, path: &Path) -> Result<Injection, InjectError> {
        let label = path.display().to_string();
        let size = std::fs::metadata(path)
            .map_err(|source| InjectError::Read {
                path: label.clone(),
                source,
            })?
            .len();
        if size > MAX_FILE {
            return Err(InjectError::TooLarge { path: label, size });
        }
        let body = std::fs::read(path).map_err(|source| InjectError::Read {
            path: label,
            source,
        })?;
        let mut rule = Injection::new(matcher, body);
        rule.source = Some(path.file_name().map_or_else(
            || path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        ));
        Ok(rule)
    }

    /// Parses a CLI rule, `NOM/PRENOM=FILE` or `case:ID=FILE`, and reads the file.
    pub fn parse_rule(text: &str) -> Result<Injection, InjectError> {
        let bad = || InjectError::Rule(text.to_owned());
        let (lhs, file) = text.rsplit_once('=').ok_or_else(bad)?;
        let matcher = if let Some(id) = lhs.strip_prefix("case:") {
            InjectMatch::CaseId(id.trim().to_owned())
        } else {
            let (nom, prenom) = lhs.split_once('/').ok_or_else(bad)?;
            InjectMatch::Traits {
                nom: nom.trim().to_owned(),
                prenom: prenom.trim().to_owned(),
            }
        };
        if file.trim().is_empty() || matches!(&matcher, InjectMatch::CaseId(id) if id.is_empty()) {
            return Err(bad());
        }
        Injection::from_file(matcher, Path::new(file.trim()))
    }

    fn matches(&self, case_id: Option<&str>, traits: Option<&TraitQuery>) -> bool {
        match &self.matcher {
            InjectMatch::CaseId(id) => case_id == Some(id.as_str()),
            InjectMatch::Every { .. } => true,
            InjectMatch::Traits { nom, prenom } => traits.is_some_and(|q| {
                q.nom_naissance == *nom && query_prenoms(&q.prenoms).join(" ") == *prenom
            }),
        }
    }
}

/// The first rule matching a request, if any.
pub fn find<'a>(
    rules: &'a [Injection],
    case_id: Option<&str>,
    traits: Option<&TraitQuery>,
) -> Option<&'a Injection> {
    rules.iter().find(|r| r.matches(case_id, traits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_content_and_rules_match() {
        let fault = insi_soap::Fault::service_indisponible(None).encode(Default::default());
        let rules = vec![
            Injection::new(InjectMatch::CaseId("2.05".into()), fault),
            Injection::new(
                InjectMatch::Traits {
                    nom: "TCHITCHI".into(),
                    prenom: "OLA".into(),
                },
                "<not-xml",
            ),
        ];
        assert_eq!(rules[0].status, 500);
        assert_eq!(rules[1].status, 200);
        assert_eq!(rules[0].verdict, Verdict::Fault("desir_1020".into()));
        assert_eq!(rules[0].reason().to_string(), "injected: case 2.05");
        assert_eq!(
            rules[1].reason().redacted(),
            "injected: rule <nom>/<prénom>"
        );
        let q = |p: &str| TraitQuery {
            nom_naissance: "TCHITCHI".into(),
            prenoms: vec![p.into()],
            ..TraitQuery::default()
        };
        assert!(find(&rules, Some("2.05"), None).is_some_and(|r| r.status == 500));
        assert!(find(&rules, None, Some(&q("OLA"))).is_some_and(|r| r.status == 200));
        assert!(find(&rules, None, Some(&q("OLA CATARINA"))).is_none());
        assert!(find(&rules, Some("2.06"), Some(&q("CATARINA"))).is_none());
    }

    #[test]
    fn every_matches_any_request_and_names_its_case() {
        let rules = vec![Injection::new(
            InjectMatch::Every {
                case: "1.10".into(),
            },
            "<not-xml",
        )];
        let q = TraitQuery {
            nom_naissance: "ECETINSI".into(),
            prenoms: vec!["pierre-alain".into()],
            ..TraitQuery::default()
        };
        assert!(find(&rules, None, Some(&q)).is_some());
        assert!(find(&rules, Some("other"), None).is_some());
        assert_eq!(rules[0].reason().to_string(), "injected: case 1.10");
    }

    #[test]
    fn cli_rules_say_what_is_wrong() {
        for bad in ["TCHITCHI", "TCHITCHI=file.xml", "case:=x.xml", "A/B="] {
            let err = Injection::parse_rule(bad).unwrap_err().to_string();
            assert!(err.contains("NOM/PRENOM=FILE"), "{bad}: {err}");
        }
        let err = Injection::parse_rule("A/B=/nonexistent/x.xml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read"), "{err}");
    }
}
