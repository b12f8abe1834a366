//! Search semantics, as pure functions over candidate identities (written down in
//! `docs/simulator.md` §Search semantics).
//!
//! The store narrows candidates with its keys (birth name + birth date + sexe + first first
//! name for a trait search of the population — the first-name rule below requires the first
//! first names to agree, so no row it drops could have matched; personas by birth name and
//! date; matricule or ouvrant droit for a Vitale search); the rules below decide `00`, `01` or
//! `02` (INSI-PROTOCOL.md §3.4) over what was read. Keeping them here, away from SQL, lets them
//! be tested alone and keeps the SQL trivial.

use crate::identity::Identity;
use crate::reason::{Personal, Reason};

/// A trait search (`RECSANSVITALE`), fields as received.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraitQuery {
    pub nom_naissance: String,
    /// Every `Prenom` element of the request, in order (usually one, possibly holding several
    /// space-separated first names).
    pub prenoms: Vec<String>,
    pub sexe: String,
    pub date_naissance: String,
    pub lieu_naissance: Option<String>,
}

/// A Vitale search (`RECVITALE`), fields as received.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VitaleQuery {
    pub matricule_individu: Option<String>,
    pub matricule_od: Option<String>,
    pub nom_naissance: Option<String>,
    pub date_naissance: Option<String>,
    pub rang_naissance: Option<String>,
}

/// The outcome of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `00`: exactly one identity.
    Found(Box<Identity>),
    /// `01`: none.
    NotFound,
    /// `02`: several (the count is for logs and tests; the service does not send it).
    Several(usize),
}

impl Outcome {
    /// The CodeCR of this outcome.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Found(_) => "00",
            Outcome::NotFound => "01",
            Outcome::Several(_) => "02",
        }
    }

    fn from_matches(mut matches: Vec<Identity>) -> Outcome {
        match matches.len() {
            0 => Outcome::NotFound,
            1 => Outcome::Found(Box::new(matches.remove(0))),
            n => Outcome::Several(n),
        }
    }
}

/// The first names of a request as tokens: every `Prenom` element, split on spaces, in order.
pub fn query_prenoms(prenoms: &[String]) -> Vec<&str> {
    prenoms
        .iter()
        .flat_map(|p| p.split(' '))
        .filter(|t| !t.is_empty())
        .collect()
}

/// The first-name rule: the request's first names, in order, must be the *first* first names
/// of the stored `ListePrenom`, compared whole (a hyphenated name is one name).
///
/// `CATARINA` and `CATARINA BELLA` match `CATARINA BELLA`; `OLA`, `BELLA` and
/// `OLA CATARINA BELLA` do not (CNDA 2.07 cas 1: OLA → 01, CATARINA → 00). `PIERRE` does not
/// match `PIERRE-ALAIN`. A request without any first name matches nothing.
pub fn prenoms_match(query: &[&str], stored: &Identity) -> bool {
    let mut stored_tokens = stored.prenom_tokens();
    !query.is_empty() && query.iter().all(|q| stored_tokens.next() == Some(*q))
}

/// Decides a trait search over candidates that share the birth name and birth date.
///
/// Every trait is compared exactly (the service takes normalised upper-case text: INSI-PROTOCOL.md
/// §6.1); `LieuNaissance` only filters when the request gives one, which is how `02` without COG
/// becomes `00` with it (CNDA 2.06).
pub fn decide_traits(query: &TraitQuery, candidates: Vec<Identity>) -> Outcome {
    let prenoms = query_prenoms(&query.prenoms);
    let matches = candidates
        .into_iter()
        .filter(|c| c.nom_naissance == query.nom_naissance)
        .filter(|c| c.date_naissance == query.date_naissance)
        .filter(|c| c.sexe == query.sexe)
        .filter(|c| prenoms_match(&prenoms, c))
        .filter(|c| match &query.lieu_naissance {
            Some(cog) => c.lieu_naissance.as_deref() == Some(cog.as_str()),
            None => true,
        })
        .collect();
    Outcome::from_matches(matches)
}

/// Decides a Vitale search over candidates found by `MatriculeIndividu` (when given) or by
/// `MatriculeOD`.
///
/// The matricule fields compare on `NumIdentifiant` only. `DateNaissance`, `NomNaissance` and
/// `RangNaissance` filter when given: twins on one card share the ouvrant droit and the birth
/// date, so without the rang they give `02`.
pub fn decide_vitale(query: &VitaleQuery, candidates: Vec<Identity>) -> Outcome {
    let eq = |wanted: &Option<String>, have: Option<&str>| match wanted {
        Some(w) => have == Some(w.as_str()),
        None => true,
    };
    let matches = candidates
        .into_iter()
        .filter(|c| match &query.matricule_individu {
            Some(m) => c.ins.matricule == *m,
            None => eq(&query.matricule_od, c.matricule_od.as_deref()),
        })
        .filter(|_| query.matricule_individu.is_some() || query.matricule_od.is_some())
        .filter(|c| eq(&query.date_naissance, Some(&c.date_naissance)))
        .filter(|c| eq(&query.nom_naissance, Some(&c.nom_naissance)))
        .filter(|c| eq(&query.rang_naissance, c.rang_naissance.as_deref()))
        .collect();
    Outcome::from_matches(matches)
}

/// Why a trait search gave `outcome`, phrased for a publisher debugging their client.
///
/// `same_nom` are the stored identities with the request's birth name (whatever their other
/// traits), when the caller looked them up; the explanation then walks the same filters as
/// [`decide_traits`], in the same order, and names the first one that left nobody (or, for
/// `02`, what would separate the homonyms). `never_found` are the personas stored nowhere
/// (`"NOM PRENOMS"`).
pub fn explain_traits(
    query: &TraitQuery,
    outcome: &Outcome,
    same_nom: Option<&[Identity]>,
    never_found: &[String],
) -> Reason {
    let nom = || Reason::default().personal(Personal::Nom, &query.nom_naissance);
    let prenoms = query_prenoms(&query.prenoms);
    match outcome {
        Outcome::Found(id) => Reason::text("CR 00: ")
            .personal(Personal::Nom, &id.nom_naissance)
            .push(" ")
            .personal_list(Personal::Prenom, prenoms.iter().copied(), " ", 8)
            .push(" matches one identity (ListePrenom ")
            .personal(Personal::Prenom, &id.prenoms)
            .push(match &query.lieu_naissance {
                Some(_) => ", birthplace given)",
                None => ")",
            }),
        Outcome::Several(n) => explain_several(query, *n, same_nom),
        Outcome::NotFound => {
            if prenoms.is_empty() {
                return Reason::text("CR 01: the request carries no first name (Prenom)");
            }
            if never_found.iter().any(|p| {
                p.strip_prefix(&query.nom_naissance)
                    .is_some_and(|r| r.starts_with(' '))
            }) {
                return Reason::text("CR 01: ").append(nom()).push(
                    " is a persona that is never found: every search gives 01 (CNDA 2.07 cas 2)",
                );
            }
            let Some(same_nom) = same_nom else {
                return Reason::text("CR 01: no identity matches the five traits");
            };
            explain_not_found(query, &prenoms, same_nom)
        }
    }
}

fn explain_several(query: &TraitQuery, n: usize, same_nom: Option<&[Identity]>) -> Reason {
    let head = Reason::text(format!("CR 02: {n} identities match"));
    if query.lieu_naissance.is_some() {
        return head.push(" even with the birthplace (COG) given");
    }
    let prenoms = query_prenoms(&query.prenoms);
    let cogs: Vec<&str> = same_nom
        .unwrap_or_default()
        .iter()
        .filter(|c| c.date_naissance == query.date_naissance && c.sexe == query.sexe)
        .filter(|c| prenoms_match(&prenoms, c))
        .filter_map(|c| c.lieu_naissance.as_deref())
        .collect();
    let head = if cogs.is_empty() {
        head
    } else {
        head.push(" (born in ")
            .personal_list(Personal::Lieu, cogs, ", ", 5)
            .push(")")
    };
    head.push("; add the birthplace (COG) to tell them apart (CNDA 2.06)")
}

fn explain_not_found(query: &TraitQuery, prenoms: &[&str], same_nom: &[Identity]) -> Reason {
    use ins::normalize::{TraitField, validate};
    let nom = || Reason::default().personal(Personal::Nom, &query.nom_naissance);
    if same_nom.is_empty() {
        let r = Reason::text("CR 01: no identity has the birth name ").append(nom());
        let hint = validate(TraitField::NomNaissance, &query.nom_naissance)
            .err()
            .or_else(|| {
                query
                    .prenoms
                    .iter()
                    .find_map(|p| validate(TraitField::Prenoms, p.trim()).err())
            });
        return match hint {
            // INSi compares normalised upper-case text (INSI-PROTOCOL.md §6.1).
            Some(e) => r.push(format!(
                " — the traits are not as INSi requires: {}",
                e.message()
            )),
            None => r,
        };
    }
    let dated: Vec<&Identity> = same_nom
        .iter()
        .filter(|c| c.date_naissance == query.date_naissance)
        .collect();
    if dated.is_empty() {
        let mut dates: Vec<&str> = same_nom.iter().map(|c| c.date_naissance.as_str()).collect();
        dates.sort_unstable();
        dates.dedup();
        return Reason::text("CR 01: ")
            .append(nom())
            .push(" is not born ")
            .personal(Personal::DateNaissance, &query.date_naissance)
            .push(" (born ")
            .personal_list(Personal::DateNaissance, dates, ", ", 3)
            .push(")");
    }
    let sexed: Vec<&Identity> = dated
        .iter()
        .copied()
        .filter(|c| c.sexe == query.sexe)
        .collect();
    if sexed.is_empty() {
        return Reason::text("CR 01: ")
            .append(nom())
            .push(" born ")
            .personal(Personal::DateNaissance, &query.date_naissance)
            .push(" has sexe ")
            .personal(Personal::Sexe, &dated[0].sexe)
            .push(", the request says ")
            .personal(Personal::Sexe, &query.sexe);
    }
    let named: Vec<&Identity> = sexed
        .iter()
        .copied()
        .filter(|c| prenoms_match(prenoms, c))
        .collect();
    if named.is_empty() {
        let mut firsts: Vec<&str> = sexed
            .iter()
            .filter_map(|c| c.prenom_tokens().next())
            .collect();
        firsts.dedup();
        let plural = if firsts.len() > 1 { "s" } else { "" };
        let mut r = Reason::text("CR 01: ")
            .append(nom())
            .push(format!(" answers 00 only for the first name{plural} "))
            .personal_list(Personal::Prenom, firsts.iter().copied(), " or ", 4)
            .push(" (ListePrenom ")
            .personal_list(
                Personal::Prenom,
                sexed.iter().map(|c| c.prenoms.as_str()),
                " / ",
                4,
            )
            .push("): the first names sent must be its first ones, in order");
        if let Some(q) = prenoms.first()
            && firsts.iter().any(|f| f.contains('-') && f.starts_with(q))
        {
            r = r.push("; a hyphenated first name is one name");
        }
        return r;
    }
    if let Some(cog) = &query.lieu_naissance {
        let born: Vec<&str> = named
            .iter()
            .filter_map(|c| c.lieu_naissance.as_deref())
            .collect();
        return Reason::text("CR 01: ")
            .append(nom())
            .push(" was born in ")
            .personal_list(Personal::Lieu, born, ", ", 3)
            .push(", not ")
            .personal(Personal::Lieu, cog)
            .push(" (LieuNaissance, when sent, must match)");
    }
    Reason::text("CR 01: no identity matches the five traits")
}

/// Why a Vitale search gave `outcome`. `by_matricule` is the outcome of the same search with only
/// its matricule (`MatriculeIndividu`, else `MatriculeOD`), when the caller ran it: it tells a
/// wrong matricule from a filter (birth date, name, rang) that left nobody.
pub fn explain_vitale(
    query: &VitaleQuery,
    outcome: &Outcome,
    by_matricule: Option<&Outcome>,
) -> Reason {
    let key = || match (&query.matricule_individu, &query.matricule_od) {
        (Some(m), _) => Reason::text("MatriculeIndividu ").personal(Personal::Matricule, m),
        (None, Some(od)) => {
            Reason::text("ouvrant droit (MatriculeOD) ").personal(Personal::Matricule, od)
        }
        (None, None) => Reason::text("no matricule"),
    };
    match outcome {
        Outcome::Found(id) => Reason::text("CR 00: ")
            .append(key())
            .push(" gives ")
            .personal(Personal::Nom, &id.nom_naissance)
            .push(" ")
            .personal(Personal::Prenom, &id.prenoms),
        Outcome::Several(n) => Reason::text(format!("CR 02: {n} beneficiaries of the "))
            .append(key())
            .push(match (&query.date_naissance, &query.rang_naissance) {
                (_, Some(_)) => " match even with RangNaissance",
                (None, None) => {
                    " match; send DateNaissance (and RangNaissance for twins) to pick one"
                }
                (Some(_), None) => " match (twins share the birth date); send RangNaissance",
            }),
        Outcome::NotFound => {
            if query.matricule_individu.is_none() && query.matricule_od.is_none() {
                return Reason::text(
                    "CR 01: the request has neither MatriculeIndividu nor MatriculeOD",
                );
            }
            match by_matricule {
                Some(Outcome::NotFound) => {
                    Reason::text("CR 01: no identity has the ").append(key())
                }
                Some(_) => Reason::text("CR 01: the ").append(key()).push(
                    " is known, but not with the DateNaissance / NomNaissance / RangNaissance sent",
                ),
                None => Reason::text("CR 01: no identity matches the ").append(key()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Ins;

    fn person(nom: &str, prenoms: &str, cog: &str, matricule: &str) -> Identity {
        Identity {
            nom_naissance: nom.into(),
            prenoms: prenoms.into(),
            sexe: "M".into(),
            date_naissance: "2014-02-01".into(),
            lieu_naissance: Some(cog.into()),
            ins: Ins {
                matricule: matricule.into(),
                cle: "00".into(),
                oid: ins::Oid::INS_NIR.into(),
                date_deb: None,
                date_fin: None,
            },
            histo: vec![],
            matricule_od: Some("1800175056123".into()),
            rang_naissance: Some("1".into()),
        }
    }

    fn query(prenoms: &[&str], cog: Option<&str>) -> TraitQuery {
        TraitQuery {
            nom_naissance: "DE VINCI".into(),
            prenoms: prenoms.iter().map(|s| s.to_string()).collect(),
            sexe: "M".into(),
            date_naissance: "2014-02-01".into(),
            lieu_naissance: cog.map(Into::into),
        }
    }

    #[test]
    fn first_name_rule_is_a_whole_token_prefix() {
        let p = person("X", "CATARINA BELLA", "63220", "1");
        let m = |q: &[&str]| prenoms_match(q, &p);
        assert!(m(&["CATARINA"]));
        assert!(m(&["CATARINA", "BELLA"]));
        assert!(!m(&["OLA"]));
        assert!(!m(&["BELLA"]));
        assert!(!m(&["OLA", "CATARINA", "BELLA"]));
        assert!(!m(&["CATARINA", "BELLA", "ROSE"]));
        assert!(!m(&[]));
        let composed = person("X", "PIERRE-ALAIN MURIEL", "63220", "1");
        assert!(!prenoms_match(&["PIERRE"], &composed));
        assert!(prenoms_match(&["PIERRE-ALAIN"], &composed));
        // Several Prenom elements, or one holding several names: the same tokens.
        assert_eq!(
            query_prenoms(&["CATARINA BELLA".into()]),
            query_prenoms(&["CATARINA".into(), " BELLA".into()])
        );
    }

    #[test]
    fn homonyms_give_02_until_the_cog_separates_them() {
        let two = || {
            vec![
                person("DE VINCI", "LEONARDO", "63220", "1"),
                person("DE VINCI", "LEONARDO PIERO", "75056", "2"),
            ]
        };
        assert_eq!(
            decide_traits(&query(&["LEONARDO"], None), two()).code(),
            "02"
        );
        let found = decide_traits(&query(&["LEONARDO"], Some("63220")), two());
        match found {
            Outcome::Found(id) => assert_eq!(id.ins.matricule, "1"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            decide_traits(&query(&["LEONARDO"], Some("13055")), two()).code(),
            "01"
        );
        let mut q = query(&["LEONARDO"], None);
        q.sexe = "F".into();
        assert_eq!(decide_traits(&q, two()).code(), "01");
    }

    #[test]
    fn vitale_twins_need_the_rang() {
        let mut a = person("MARTIN", "LEA", "63220", "2140263220001");
        let mut b = person("MARTIN", "EMMA", "63220", "2140263220002");
        a.rang_naissance = Some("1".into());
        b.rang_naissance = Some("2".into());
        let cands = || vec![a.clone(), b.clone()];
        let mut q = VitaleQuery {
            matricule_od: Some("1800175056123".into()),
            date_naissance: Some("2014-02-01".into()),
            ..VitaleQuery::default()
        };
        assert_eq!(decide_vitale(&q, cands()).code(), "02");
        q.rang_naissance = Some("2".into());
        match decide_vitale(&q, cands()) {
            Outcome::Found(id) => assert_eq!(id.prenoms, "EMMA"),
            other => panic!("{other:?}"),
        }
        let by_individu = VitaleQuery {
            matricule_individu: Some("2140263220001".into()),
            ..VitaleQuery::default()
        };
        assert_eq!(decide_vitale(&by_individu, cands()).code(), "00");
        assert_eq!(decide_vitale(&VitaleQuery::default(), cands()).code(), "01");
    }
}
