//! Verification of a stored INS, by searching with its traits and comparing.
//!
//! The official verification operation (WS_INS3–5?, `verifierInsAvecTraitsIdentite` in a 2016
//! GIE kit) has no public wire format (INSI-PROTOCOL.md §3.7, §9): shipping a guessed one would
//! be worse than none. So a verification is a trait search (the CNDA strategy) whose answer is
//! compared with what the caller stored. When the official format is published, it plugs in as
//! another query kind in `client.rs` producing the same [`Verdict`]; see `docs/client.md`.

use serde::Serialize;

use ins::{Cle, Matricule, Oid, Traits};

/// What the caller stored: the INS and its five traits.
#[derive(Clone, Debug)]
pub struct StoredIns {
    pub matricule: Matricule,
    pub cle: Option<Cle>,
    pub oid: Oid,
    pub traits: Traits,
}

/// What the service returned for the identity (text as received).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceIdentity {
    pub matricule: String,
    pub cle: Option<String>,
    pub oid: String,
    /// `INSHISTO` matricules (with keys when sent).
    pub historique: Vec<(String, Option<String>)>,
    pub nom_naissance: Option<String>,
    /// `ListePrenom`, or `Prenom` when the list is absent.
    pub prenoms: Option<String>,
    pub sexe: Option<String>,
    pub date_naissance: Option<String>,
    pub lieu_naissance: Option<String>,
}

/// One field that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `matricule`, `cle`, `oid`, `nom_naissance`, `prenoms`, `sexe`, `date_naissance`,
    /// `lieu_naissance`.
    pub field: &'static str,
    pub stored: String,
    pub service: String,
}

/// The outcome of a verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The service returned exactly the stored INS and traits.
    Conforme,
    /// The service returned an identity for these traits, but it differs.
    NonConforme,
    /// The service returned no single identity (`01`, or `02`: several).
    Introuvable,
}

impl Verdict {
    /// The serde name (`conforme`, `non-conforme`, `introuvable`), for reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Conforme => "conforme",
            Verdict::NonConforme => "non-conforme",
            Verdict::Introuvable => "introuvable",
        }
    }
}

/// Compares what was stored with what the service returned.
///
/// Names are compared after the stored ones went through INSi normalisation (they were parsed
/// into [`Traits`]); the service's are compared as received (the service only returns normalised
/// text). A stored birthplace is compared; an absent one is not a difference (the CLI makes
/// `--lieu` optional). A stored matricule found only in `INSHISTO` is a difference: the stored
/// INS is outdated and must be replaced by `INSACTIF`.
pub fn compare(stored: &StoredIns, service: &ServiceIdentity) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut diff = |field, stored: String, service: String| {
        if stored != service {
            out.push(Difference {
                field,
                stored,
                service,
            });
        }
    };
    let stored_matricule = stored.matricule.to_string();
    let in_history = service
        .historique
        .iter()
        .any(|(m, _)| *m == stored_matricule);
    diff(
        "matricule",
        stored_matricule.clone(),
        if in_history && service.matricule != stored_matricule {
            format!(
                "{} (stored matricule is historical: INSHISTO)",
                service.matricule
            )
        } else {
            service.matricule.clone()
        },
    );
    if let Some(cle) = stored.cle {
        diff(
            "cle",
            cle.to_string(),
            service.cle.clone().unwrap_or_default(),
        );
    }
    diff("oid", stored.oid.to_string(), service.oid.clone());
    let t = &stored.traits;
    diff(
        "nom_naissance",
        t.nom_naissance.to_string(),
        service.nom_naissance.clone().unwrap_or_default(),
    );
    diff(
        "prenoms",
        t.prenoms.liste(),
        service.prenoms.clone().unwrap_or_default(),
    );
    diff(
        "sexe",
        t.sexe.to_string(),
        service.sexe.clone().unwrap_or_default(),
    );
    diff(
        "date_naissance",
        t.date_naissance.to_string(),
        service.date_naissance.clone().unwrap_or_default(),
    );
    if let Some(lieu) = t.lieu_naissance {
        diff(
            "lieu_naissance",
            lieu.to_string(),
            service.lieu_naissance.clone().unwrap_or_default(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> StoredIns {
        StoredIns {
            matricule: Matricule::parse("1090763220834").unwrap(),
            cle: Some("89".parse().unwrap()),
            oid: Oid::InsNir,
            traits: Traits::parse(
                "ECETINSI",
                "PIERRE-ALAIN MURIEL FLORIANT",
                "M",
                "2009-07-14",
                Some("63220"),
            )
            .unwrap(),
        }
    }

    fn service() -> ServiceIdentity {
        ServiceIdentity {
            matricule: "1090763220834".into(),
            cle: Some("89".into()),
            oid: "1.2.250.1.213.1.4.8".into(),
            historique: vec![("2090763220834".into(), Some("39".into()))],
            nom_naissance: Some("ECETINSI".into()),
            prenoms: Some("PIERRE-ALAIN MURIEL FLORIANT".into()),
            sexe: Some("M".into()),
            date_naissance: Some("2009-07-14".into()),
            lieu_naissance: Some("63220".into()),
        }
    }

    #[test]
    fn identical_is_conforme() {
        assert!(compare(&stored(), &service()).is_empty());
    }

    #[test]
    fn every_field_is_compared() {
        let mut s = service();
        s.oid = "1.2.250.1.213.1.4.10".into();
        s.prenoms = Some("PIERRE-ALAIN".into());
        s.lieu_naissance = None;
        let d = compare(&stored(), &s);
        let fields: Vec<_> = d.iter().map(|d| d.field).collect();
        assert_eq!(fields, ["oid", "prenoms", "lieu_naissance"]);
        assert_eq!(d[2].service, "");
    }

    #[test]
    fn historical_matricule_is_flagged() {
        let mut st = stored();
        st.matricule = Matricule::parse("2090763220834").unwrap();
        st.cle = None;
        let d = compare(&st, &service());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "matricule");
        assert!(d[0].service.contains("INSHISTO"), "{}", d[0].service);
    }
}
