//! What running a case produced, in plain data: the runner compares it with the case's
//! expectations, journals it, and every report is written from it.

use serde::{Deserialize, Serialize};

/// Everything observed while running one case.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The client refused the input before sending anything.
    pub refused: Option<Refusal>,
    /// Every HTTP call, in order, with its evidence.
    pub attempts: Vec<Attempt>,
    /// CR of the final answer.
    pub cr: Option<String>,
    pub ins: Option<InsValue>,
    pub traits: Option<TraitsValue>,
    pub ins_histo: Vec<InsValue>,
    /// The fault finally reported.
    pub fault: Option<FaultValue>,
    /// Verification verdict: `conforme`, `non-conforme`, `introuvable`.
    pub verdict: Option<String>,
    pub warnings: Vec<String>,
    /// A failure that is neither an answer nor a fault (connection refused, TLS, timeout…).
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    /// `nom`, `prenoms`, `sexe`, `naissance`, `lieu`.
    pub field: String,
    pub char: Option<String>,
    pub position: Option<usize>,
    pub message: String,
}

/// One call: what was sent, what came back, how long it took.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub prenom: Option<String>,
    pub lieu: Option<String>,
    pub http_status: Option<u16>,
    pub cr: Option<String>,
    /// Detail code of the fault answered, if any.
    pub fault: Option<String>,
    pub ms: f64,
    /// Raw request and response bodies (evidence; may hold personal data).
    pub request: Option<String>,
    pub response: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InsValue {
    pub matricule: String,
    pub cle: Option<String>,
    pub oid: Option<String>,
    pub date_deb: Option<String>,
    pub date_fin: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraitsValue {
    pub nom_naissance: Option<String>,
    pub prenom: Option<String>,
    pub liste_prenom: Option<String>,
    pub sexe: Option<String>,
    pub date_naissance: Option<String>,
    pub lieu_naissance: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultValue {
    pub subcode: Option<String>,
    pub code: Option<String>,
    pub severite: Option<String>,
    pub http_status: Option<u16>,
    pub reason: Option<String>,
}

impl Outcome {
    /// A case that ended on an error that is neither an answer nor a fault.
    pub fn error(message: impl Into<String>) -> Outcome {
        Outcome {
            error: Some(message.into()),
            ..Outcome::default()
        }
    }

    /// The client refused the input: nothing was sent.
    pub fn refused(refusal: Refusal) -> Outcome {
        Outcome {
            refused: Some(refusal),
            ..Outcome::default()
        }
    }

    /// Number of HTTP calls made, retries included.
    pub fn calls(&self) -> usize {
        self.attempts.len()
    }

    /// One short phrase for what happened, for reports.
    pub fn summary(&self) -> String {
        if let Some(r) = &self.refused {
            return format!("refused ({})", r.field);
        }
        if let Some(e) = &self.error {
            return format!("error: {e}");
        }
        if let Some(f) = &self.fault {
            return format!("fault {}", f.code.as_deref().unwrap_or("?"));
        }
        if let Some(v) = &self.verdict {
            return v.clone();
        }
        match &self.cr {
            Some(cr) => format!("CR {cr}"),
            None => "no answer".into(),
        }
    }
}
