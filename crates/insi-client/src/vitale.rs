//! Vitale search: what a `RECVITALE` call carries, built from the data read on a Vitale card
//! (INSI-PROTOCOL.md §3.2 for the body, §2.4 for the ContexteBAM `COUVERTURE`).
//!
//! This crate does not read cards: the binary reads them (crate `vitale`, any `VitaleSource`)
//! and hands [`VitaleSearch::from_card`] the chosen beneficiary's fields. The Vitale assertion
//! (§2.5.3) needs proprietary GIE components: it is not produced here (DESIGN.md "Vitale
//! search"); a CPx-mode call carries the PS assertion only.

use ins::normalize::{TraitField, normalize};
use ins::{Cle, Matricule};
use insi_soap::{Beneficiaire, Couverture, MatriculeXml, Nir, RecVitale};

/// One Vitale search, validated: nothing malformed goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct VitaleSearch {
    /// NIR of the ouvrant droit (the insured person), as stored on the card.
    pub matricule_od: Matricule,
    pub cle_od: Option<Cle>,
    /// The beneficiary's own NIR, when a source knows it apart from the insured's (the PC/SC
    /// reader does not: every beneficiary carries the insured's NIR, docs/client.md).
    pub matricule_individu: Option<Matricule>,
    /// Normalised per §6.1 (the card stores Latin-1 text with accents).
    pub nom_naissance: Option<String>,
    /// `YYYY-MM-DD`, possibly lunar (`00` month or day), as on the card.
    pub date_naissance: String,
    /// Rang gémellaire, when the source knows it.
    pub rang_naissance: Option<u8>,
}

impl std::fmt::Debug for VitaleSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Personal data: never in Debug output (logs).
        f.debug_struct("VitaleSearch")
            .field("rang_naissance", &self.rang_naissance)
            .finish_non_exhaustive()
    }
}

/// Why card data cannot make a Vitale search.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VitaleInputError {
    #[error(
        "the card's NIR is not a matricule ({0}): the card data is damaged; read it again or search by traits"
    )]
    Nir(String),
    #[error("the card's NIR key does not match its matricule ({0}): the card data is damaged")]
    Cle(String),
    #[error(
        "the card's birth date '{0}' is not YYYYMMDD (month and day may be 00, lunar dates): the card data is damaged"
    )]
    Date(String),
    #[error(
        "the card's name cannot be sent ({0}): search by traits with the name typed from an identity document"
    )]
    Nom(String),
}

impl VitaleSearch {
    /// From a beneficiary as read on the card: `nir` 13 characters or 15 with the key,
    /// `nom` as stored (Latin-1 decoded), `date` `YYYYMMDD`.
    pub fn from_card(
        nir: &str,
        nom: &str,
        date: &str,
        rang_naissance: Option<u8>,
    ) -> Result<VitaleSearch, VitaleInputError> {
        let parsed =
            Matricule::parse_with_key(nir).map_err(|e| VitaleInputError::Nir(e.describe()))?;
        if let Some(cle) = parsed.cle {
            parsed
                .matricule
                .check(cle)
                .map_err(|e| VitaleInputError::Cle(e.to_string()))?;
        }
        let bytes = date.as_bytes();
        if bytes.len() != 8 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(VitaleInputError::Date(date.to_owned()));
        }
        let date_naissance = format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]);
        let nom = nom.trim();
        let nom_naissance = if nom.is_empty() {
            None
        } else {
            Some(
                normalize(TraitField::NomNaissance, nom)
                    .map_err(|e| VitaleInputError::Nom(e.message()))?,
            )
        };
        Ok(VitaleSearch {
            matricule_od: parsed.matricule,
            cle_od: parsed.cle,
            matricule_individu: None,
            nom_naissance,
            date_naissance,
            rang_naissance,
        })
    }

    /// The `RECVITALE` body (§3.2: `MatriculeOD` without `Cle`, as the X template sends it).
    pub fn body(&self) -> RecVitale {
        RecVitale {
            matricule_individu: self
                .matricule_individu
                .map(|m| MatriculeXml::new(m.as_str(), None)),
            matricule_od: Some(MatriculeXml::new(self.matricule_od.as_str(), None)),
            nom_naissance: self.nom_naissance.clone(),
            date_naissance: Some(self.date_naissance.clone()),
            rang_naissance: self.rang_naissance.map(|r| r.to_string()),
        }
    }

    /// The ContexteBAM `COUVERTURE` mirroring the card (§2.4): `ASSURE/Id` and `BENEFICIAIRE`
    /// (`DateNai`, `Rang`, and `Nir` only for a beneficiary's own known NIR).
    pub fn couverture(&self) -> Couverture {
        Couverture {
            assure: Some(Nir {
                num: self.matricule_od.as_str().to_owned(),
                cle: self.cle_od.map(|c| c.to_string()),
            }),
            beneficiaire: Some(Beneficiaire {
                nir: self.matricule_individu.map(|m| Nir {
                    num: m.as_str().to_owned(),
                    cle: Some(m.cle().to_string()),
                }),
                date_nai: Some(self.date_naissance.clone()),
                rang: self.rang_naissance.map(|r| r.to_string()),
                ..Beneficiaire::default()
            }),
            ..Couverture::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_data_becomes_body_and_couverture() {
        let s =
            VitaleSearch::from_card("285047512301263", "MARTIN-NGUYÊN", "20150203", None).unwrap();
        let body = s.body();
        assert_eq!(body.matricule_od.unwrap().num_identifiant, "2850475123012");
        assert!(body.matricule_individu.is_none());
        assert_eq!(body.nom_naissance.as_deref(), Some("MARTIN-NGUYEN"));
        assert_eq!(body.date_naissance.as_deref(), Some("2015-02-03"));
        let c = s.couverture();
        assert_eq!(c.assure.as_ref().unwrap().cle.as_deref(), Some("63"));
        assert_eq!(
            c.beneficiaire.unwrap().date_nai.as_deref(),
            Some("2015-02-03")
        );
        assert!(!format!("{s:?}").contains("MARTIN"));
    }

    #[test]
    fn damaged_card_data_is_refused_with_what_to_do() {
        let bad_key = VitaleSearch::from_card("285047512301299", "MARTIN", "19850412", None);
        assert!(matches!(bad_key, Err(VitaleInputError::Cle(_))));
        let bad_nir = VitaleSearch::from_card("28504751230", "MARTIN", "19850412", None);
        assert!(matches!(bad_nir, Err(VitaleInputError::Nir(_))));
        let bad_date = VitaleSearch::from_card("2850475123012", "MARTIN", "1985-04-12", None);
        assert!(bad_date.unwrap_err().to_string().contains("not YYYYMMDD"));
        let lunar = VitaleSearch::from_card("2850475123012", "MARTIN", "19850000", Some(2));
        assert_eq!(lunar.unwrap().body().rang_naissance.as_deref(), Some("2"));
        let bad_nom = VitaleSearch::from_card("2850475123012", "MART1N", "19850412", None);
        assert!(matches!(bad_nom, Err(VitaleInputError::Nom(_))));
    }
}
