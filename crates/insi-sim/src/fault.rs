//! The faults the simulator can answer with (INSI-PROTOCOL.md §4.2), as a closed list.
//!
//! The XML is written by `insi-soap`; this module only names each fault and carries the captured
//! texts, so that the rest of the simulator decides *which* fault, never *how* it is spelled.

use serde::Deserialize;

/// A fault the simulator produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum FaultCode {
    /// `siram_100` / `desir_550`: unknown IDAM (captured live).
    #[serde(rename = "desir_550")]
    Desir550,
    /// `DESIR_560`: certificate CN is not INSI-AUTO/INSI-MANU (GIE support quote, [S]).
    #[serde(rename = "desir_560")]
    Desir560,
    /// `siram_40` / `desir_1020`, severite `fatale`: service temporarily unavailable (captured).
    #[serde(rename = "desir_1020")]
    Desir1020,
    /// `siram_40` / `insi_102`, severite `fatal`: technical error of the trait search (captured).
    #[serde(rename = "insi_102")]
    Insi102,
    /// CPx host: the PS assertion is missing or does not verify. Codes are not public: our
    /// choice, documented in `docs/simulator.md` ([G]).
    #[serde(rename = "assertion")]
    Assertion,
    /// The request could not be decoded (malformed XML, wrong payload). Not public either ([G]).
    #[serde(rename = "malformed")]
    Malformed,
}

/// Everything a fault body carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpec {
    /// `Sender` or `Receiver` (without prefix).
    pub soap_code: &'static str,
    /// `siram_NN` (without prefix).
    pub subcode: &'static str,
    /// The `siram:Erreur/@code`.
    pub detail_code: &'static str,
    /// `siram:Erreur/@severite`, spelled as captured (`fatal` for insi_102 is not in the enum).
    pub severite: &'static str,
    pub reason: &'static str,
    /// The `siram:Erreur` text; for our own faults, completed with the precise cause.
    pub detail: String,
}

const UNAVAILABLE: &str = "Le service est temporairement inaccessible. Veuillez renouveler votre demande ultérieurement. Si le problème persiste, contactez votre responsable informatique.";

impl FaultCode {
    /// The catalogue entry; `cause` completes the detail text of faults we define ourselves.
    pub fn spec(self, cause: Option<&str>) -> FaultSpec {
        let with = |base: &str| match cause {
            Some(c) => format!("{base} {c}"),
            None => base.to_owned(),
        };
        match self {
            FaultCode::Desir550 => FaultSpec {
                soap_code: "Sender",
                subcode: "siram_100",
                detail_code: "desir_550",
                severite: "erreur",
                reason: "L'accès par ce progiciel au service n'est pas autorisé. Contactez l'éditeur du progiciel ou votre responsable informatique.",
                detail: "Numéro d'autorisation du logiciel inconnu.".into(),
            },
            FaultCode::Desir560 => FaultSpec {
                soap_code: "Sender",
                subcode: "siram_100",
                detail_code: "DESIR_560",
                severite: "erreur",
                reason: "Niveau d'accès insuffisant",
                detail: with("Vous ne disposez pas des droits suffisants pour accéder à ce service"),
            },
            FaultCode::Desir1020 => FaultSpec {
                soap_code: "Sender",
                subcode: "siram_40",
                detail_code: "desir_1020",
                severite: "fatale",
                reason: UNAVAILABLE,
                detail: "Le service appelé est temporairement indisponible".into(),
            },
            FaultCode::Insi102 => FaultSpec {
                soap_code: "Receiver",
                subcode: "siram_40",
                detail_code: "insi_102",
                severite: "fatal",
                reason: UNAVAILABLE,
                detail: "L'appel au service de recherche avec les traits d'identité renvoie une erreur technique.".into(),
            },
            FaultCode::Assertion => FaultSpec {
                soap_code: "Sender",
                subcode: "siram_100",
                detail_code: "insisim_assertion",
                severite: "erreur",
                reason: "L'authentification du professionnel de santé a échoué.",
                detail: with("Assertion PS absente ou invalide."),
            },
            FaultCode::Malformed => FaultSpec {
                soap_code: "Sender",
                subcode: "siram_10",
                detail_code: "insisim_requete",
                severite: "erreur",
                reason: "La requête est mal formée.",
                detail: with("Requête illisible."),
            },
        }
    }
}
