//! SOAP header blocks of a request: `ctxlps:ContexteLPS`, `ctxbam:ContexteBAM` (INSI-PROTOCOL.md
//! §2.3–2.4), and who the caller is.
//!
//! Every field is kept as text: a request we build puts validated values in, and a request we
//! decode (the simulator's side) keeps what the client sent so that the server can judge it.

use jiff::Timestamp;
use uuid::Uuid;

/// `ctxlps:ContexteLPS`: which software calls.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContexteLps {
    /// `@Nature`, `CTXLPS` in practice.
    pub nature: Option<String>,
    /// `@Version`, `01_00` in practice.
    pub version: String,
    pub id: String,
    /// `Temps`, UTC with milliseconds (`2023-09-26T08:51:16.840Z`).
    pub temps: String,
    pub emetteur: Option<String>,
    pub lps: Option<Lps>,
}

/// `ctxlps:LPS`: the software's identity.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Lps {
    /// `IDAM`: the CNDA authorisation number; an unknown one yields `siram_100`/`desir_550`.
    pub idam: Option<String>,
    /// `IDAM/@R`, `4` everywhere (§2.3).
    pub idam_r: Option<String>,
    pub version: Option<String>,
    /// A stable UUID per installation.
    pub instance: Option<String>,
    /// `urn:lps:<name>:<version>`.
    pub nom: Option<String>,
}

/// `ctxbam:ContexteBAM`: the beneficiary context; `COUVERTURE` is empty for a trait search and
/// mirrors the Vitale card for a Vitale search.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContexteBam {
    /// `@Nature` (`CTXBAM`), absent in some working clients (§2.4).
    pub nature: Option<String>,
    /// `@Version`, `01_02`.
    pub version: String,
    pub id: String,
    pub temps: String,
    pub emetteur: Option<String>,
    pub date_ref: Option<String>,
    pub couverture: Couverture,
}

/// `ctxbam:COUVERTURE` (required, possibly empty).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Couverture {
    pub grand_regime: Option<String>,
    pub organisme: Option<String>,
    pub code_centre: Option<String>,
    /// `ASSURE/Id`: the NIR of the ouvrant droit.
    pub assure: Option<Nir>,
    pub beneficiaire: Option<Beneficiaire>,
}

/// A NIR as the ContexteBAM writes it: `Num` and `Cle`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Nir {
    pub num: String,
    pub cle: Option<String>,
}

/// `ctxbam:BENEFICIAIRE`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Beneficiaire {
    /// `Nir` (NIRCertifie): the beneficiary's own certified NIR when the card has it.
    pub nir: Option<Nir>,
    /// `Nir/DateCertification`.
    pub date_certification: Option<String>,
    /// `DateNai`, `YYYY-MM-DD` (possibly lunar on a Vitale card).
    pub date_nai: Option<String>,
    /// `Rang` (rang gémellaire).
    pub rang: Option<String>,
    pub porteur: Option<String>,
}

/// The calling software, fixed for an installation. Emetteur is the OU of the software
/// certificate in mTLS mode, the PS identifier in CPx mode (§2.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub idam: String,
    pub lps_version: String,
    pub instance: String,
    pub nom: String,
    pub emetteur: String,
}

/// The values that change on every call. Sans-IO: the caller supplies them, so tests and the
/// simulator can build byte-identical messages; [`CallIds::fresh`] draws new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallIds {
    pub message_id: Uuid,
    pub lps_id: Uuid,
    pub bam_id: Uuid,
    pub temps: Timestamp,
}

impl CallIds {
    /// Random v4 UUIDs and the current time.
    pub fn fresh() -> CallIds {
        CallIds {
            message_id: Uuid::new_v4(),
            lps_id: Uuid::new_v4(),
            bam_id: Uuid::new_v4(),
            temps: Timestamp::now(),
        }
    }

    /// `uuid:` + the message UUID (§2.2).
    pub fn message_id_text(&self) -> String {
        format!("uuid:{}", self.message_id)
    }
}

/// `Temps`: UTC, ISO 8601, milliseconds, `Z` (§2.3).
pub fn format_temps(t: Timestamp) -> String {
    format!("{t:.3}")
}

impl ContexteLps {
    /// The ContexteLPS of a call: `Nature="CTXLPS" Version="01_00"`, `IDAM R="4"`.
    pub fn new(caller: &Caller, ids: &CallIds) -> ContexteLps {
        ContexteLps {
            nature: Some("CTXLPS".into()),
            version: "01_00".into(),
            id: ids.lps_id.to_string(),
            temps: format_temps(ids.temps),
            emetteur: Some(caller.emetteur.clone()),
            lps: Some(Lps {
                idam: Some(caller.idam.clone()),
                idam_r: Some("4".into()),
                version: Some(caller.lps_version.clone()),
                instance: Some(caller.instance.clone()),
                nom: Some(caller.nom.clone()),
            }),
        }
    }
}

impl ContexteBam {
    /// The ContexteBAM of a call, `Version="01_02"` without `Nature` as the working clients
    /// send it (§2.4), with the given COUVERTURE (empty for a trait search).
    pub fn new(caller: &Caller, ids: &CallIds, couverture: Couverture) -> ContexteBam {
        ContexteBam {
            nature: None,
            version: "01_02".into(),
            id: ids.bam_id.to_string(),
            temps: format_temps(ids.temps),
            emetteur: Some(caller.emetteur.clone()),
            date_ref: None,
            couverture,
        }
    }
}

impl Couverture {
    pub fn is_empty(&self) -> bool {
        *self == Couverture::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temps_has_milliseconds_and_z() {
        let t: Timestamp = "2023-09-26T08:51:16.84Z".parse().unwrap();
        assert_eq!(format_temps(t), "2023-09-26T08:51:16.840Z");
        let t: Timestamp = "2023-09-26T08:51:16Z".parse().unwrap();
        assert_eq!(format_temps(t), "2023-09-26T08:51:16.000Z");
    }
}
