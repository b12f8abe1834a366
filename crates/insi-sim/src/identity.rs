//! An identity as the simulator stores and returns it: the five INS traits, the active INS, its
//! history (INSHISTO), and the Vitale-side data (ouvrant droit, rang de naissance).
//!
//! Fields are text exactly as the service sends them (INSI-PROTOCOL.md §3.3): a RESULTAT is
//! written from these strings, so what the store holds is what the client receives.

use serde::{Deserialize, Serialize};

/// One identity of the référentiel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub nom_naissance: String,
    /// `ListePrenom`: the first names, space-separated, in civil-status order.
    pub prenoms: String,
    pub sexe: String,
    pub date_naissance: String,
    /// COG of the birthplace (`LieuNaissance`).
    pub lieu_naissance: Option<String>,
    /// The active INS (`INSACTIF`).
    pub ins: Ins,
    /// Former INS (`INSHISTO`), oldest first.
    pub histo: Vec<Ins>,
    /// NIR of the ouvrant droit whose Vitale card carries this person (`MatriculeOD`); for an
    /// adult insured in their own right it is their own matricule.
    pub matricule_od: Option<String>,
    /// Rang de naissance (rang gémellaire) as written on the Vitale card.
    pub rang_naissance: Option<String>,
}

/// An INS: matricule, key, OID, and for a historical one its validity dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ins {
    pub matricule: String,
    pub cle: String,
    pub oid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_deb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_fin: Option<String>,
}

impl Identity {
    /// The first names as a list (`ListePrenom` split on spaces).
    pub fn prenom_tokens(&self) -> impl Iterator<Item = &str> {
        self.prenoms.split(' ').filter(|t| !t.is_empty())
    }
}
