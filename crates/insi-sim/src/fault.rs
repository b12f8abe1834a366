//! The faults the simulator answers with (INSI-PROTOCOL.md §4.2), as a closed list.
//!
//! The texts and the XML belong to `insi-soap` (its catalogue holds the captured faults); this
//! module only names each fault, picks the wire style it was captured in, and defines the two
//! faults whose codes are not public (bad assertion, unreadable request: our choice, [G],
//! written down in `docs/simulator.md`).

use insi_soap::{Fault, FaultStyle, SiramErreur};
use serde::Deserialize;

/// A fault the simulator produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum FaultCode {
    /// `siram_100` / `desir_550`: unknown IDAM (captured live).
    #[serde(rename = "desir_550")]
    Desir550,
    /// `DESIR_560`: certificate CN is not INSI-AUTO/INSI-MANU ([S]).
    #[serde(rename = "desir_560")]
    Desir560,
    /// `siram_40` / `desir_1020`: service temporarily unavailable (captured).
    #[serde(rename = "desir_1020")]
    Desir1020,
    /// `siram_40` / `insi_102`: technical error of the trait search (captured).
    #[serde(rename = "insi_102")]
    Insi102,
    /// CPx host: the PS assertion is missing or does not verify ([G]).
    #[serde(rename = "assertion")]
    Assertion,
    /// The request could not be decoded or names no known operation ([G]).
    #[serde(rename = "malformed")]
    Malformed,
}

impl FaultCode {
    /// The fault body and the style it is written in. `cause` says precisely what was wrong, for
    /// the faults we define ourselves.
    pub fn fault(self, message_id: Option<&str>, cause: &str) -> (Fault, FaultStyle) {
        match self {
            FaultCode::Desir550 => (Fault::idam_inconnu(message_id), FaultStyle::Live),
            FaultCode::Desir560 => (
                Fault::niveau_acces_insuffisant(message_id),
                FaultStyle::Live,
            ),
            // Both siram_40 faults were captured with `S:` prefixes (§4.1).
            FaultCode::Desir1020 => (Fault::service_indisponible(message_id), FaultStyle::S),
            FaultCode::Insi102 => (Fault::erreur_technique_traits(message_id), FaultStyle::S),
            FaultCode::Assertion => (
                own(
                    "siram_100",
                    "insisim_assertion",
                    "L'authentification du professionnel de santé a échoué.",
                    message_id,
                    format!("Assertion PS absente ou invalide : {cause}"),
                ),
                FaultStyle::Live,
            ),
            FaultCode::Malformed => (
                own(
                    "siram_10",
                    "insisim_requete",
                    "La requête est mal formée.",
                    message_id,
                    format!("Requête illisible : {cause}"),
                ),
                FaultStyle::Live,
            ),
        }
    }

    /// The detail code as it appears in `siram:Erreur/@code`.
    pub fn detail_code(self) -> &'static str {
        match self {
            FaultCode::Desir550 => "desir_550",
            FaultCode::Desir560 => "DESIR_560",
            FaultCode::Desir1020 => "desir_1020",
            FaultCode::Insi102 => "insi_102",
            FaultCode::Assertion => "insisim_assertion",
            FaultCode::Malformed => "insisim_requete",
        }
    }
}

fn own(subcode: &str, code: &str, reason: &str, message_id: Option<&str>, text: String) -> Fault {
    Fault {
        code: "Sender".into(),
        subcode: Some(subcode.into()),
        reason: reason.into(),
        reason_lang: Some("fr".into()),
        erreur: Some(SiramErreur {
            code: code.into(),
            severite: "erreur".into(),
            message_id: message_id.map(str::to_owned),
            text,
        }),
    }
}
