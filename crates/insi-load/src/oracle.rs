//! The expected-answer oracle, sans-IO: what the simulator must answer to each request, from
//! the same population and the same rules it answers with.
//!
//! [`Population`] regenerates the seeded synthetic population (`insi_sim::population::generate`,
//! the generator the simulator filled its store with) and adds the stored personas, then indexes
//! them by (birth name, birth date) and by matricule / ouvrant droit — the candidate narrowing
//! the store does in SQL, done here with sorted hash tables. The decision is *not* rewritten: the
//! oracle calls `insi_sim::search::decide_traits` / `decide_vitale` on the candidates, and drives
//! the client's own sans-IO strategy (`insi_client::SearchPlan`) with those answers, so the
//! expected final answer *and* the expected number of calls come from the code that defines them.
//! What this checks on a real run is everything in between: the store's SQL, the codecs on both
//! sides, TLS, HTTP and the client's plumbing.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use ins::{CodeCr, Traits};
use insi_client::{Answer, SearchPlan, Step, Strategy, VitaleSearch};
use insi_sim::identity::Identity;
use insi_sim::personas::{FaultPersona, Personas};
use insi_sim::search::{self, Outcome, TraitQuery, VitaleQuery};
use insi_soap::RecSansVitale;

/// The simulator answers at most this many candidates per search (`insi_sim::store`).
const MAX_CANDIDATES: usize = insi_sim::store::MAX_CANDIDATES;

/// The identities a simulator serves, indexed the way its store narrows candidates.
#[derive(Debug)]
pub struct Population {
    /// The synthetic population in generation order, then the stored personas.
    all: Vec<Identity>,
    /// How many of `all` are the synthetic population.
    generated: usize,
    faults: Vec<FaultPersona>,
    /// Sorted `(key hash, index)`: a hash collision only adds a candidate that the decision
    /// functions filter out (they compare every trait), so 12 bytes per identity suffice.
    by_nom_date: Vec<(u64, u32)>,
    by_matricule: Vec<(u64, u32)>,
    by_od: Vec<(u64, u32)>,
    /// Population members who share name, first first name, sexe and date with another.
    homonyms: Vec<u32>,
}

fn key(parts: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

fn range(index: &[(u64, u32)], k: u64) -> impl Iterator<Item = usize> + '_ {
    let start = index.partition_point(|(h, _)| *h < k);
    index[start..]
        .iter()
        .take_while(move |(h, _)| *h == k)
        .map(|(_, i)| *i as usize)
}

impl Population {
    /// Regenerates `count` identities from `seed` and adds the personas (the stored ones are
    /// search candidates; the fault ones end trait searches with their fault).
    pub fn new(count: u64, seed: u64, personas: &Personas) -> Population {
        let mut all = Vec::with_capacity(count.min(1 << 24) as usize + personas.identities.len());
        insi_sim::population::generate(count, seed, |identity| all.push(identity));
        let generated = all.len();
        all.extend(personas.identities.iter().cloned());
        let mut by_nom_date = Vec::with_capacity(all.len());
        let mut by_matricule = Vec::with_capacity(all.len());
        let mut by_od = Vec::with_capacity(all.len());
        let mut groups: HashMap<u64, u32> = HashMap::new();
        for (i, id) in all.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            by_nom_date.push((key(&[&id.nom_naissance, &id.date_naissance]), i));
            by_matricule.push((key(&[&id.ins.matricule]), i));
            if let Some(od) = &id.matricule_od {
                by_od.push((key(&[od]), i));
            }
            if (i as usize) < generated {
                let premier = id.prenom_tokens().next().unwrap_or_default();
                let k = key(&[&id.nom_naissance, premier, &id.sexe, &id.date_naissance]);
                *groups.entry(k).or_insert(0) += 1;
            }
        }
        let homonyms = all[..generated]
            .iter()
            .enumerate()
            .filter(|(_, id)| {
                let premier = id.prenom_tokens().next().unwrap_or_default();
                let k = key(&[&id.nom_naissance, premier, &id.sexe, &id.date_naissance]);
                groups.get(&k).is_some_and(|n| *n > 1)
            })
            .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        by_nom_date.sort_unstable();
        by_matricule.sort_unstable();
        by_od.sort_unstable();
        Population {
            all,
            generated,
            faults: personas.faults.clone(),
            by_nom_date,
            by_matricule,
            by_od,
            homonyms,
        }
    }

    /// Size of the synthetic population.
    pub fn len(&self) -> usize {
        self.generated
    }

    pub fn is_empty(&self) -> bool {
        self.generated == 0
    }

    /// The `i`-th generated identity.
    pub fn get(&self, i: usize) -> Option<&Identity> {
        self.all[..self.generated].get(i)
    }

    /// Generated identities that have a homonym (same name, first first name, sexe, date).
    pub fn homonyms(&self) -> &[u32] {
        &self.homonyms
    }

    fn candidates(&self, index: &[(u64, u32)], k: u64) -> Vec<Identity> {
        range(index, k)
            .take(MAX_CANDIDATES)
            .filter_map(|i| self.all.get(i).cloned())
            .collect()
    }

    /// What the simulator answers to one `RECSANSVITALE` call: a fault persona's fault, or the
    /// decision over the candidates sharing birth name and date.
    pub fn answer_traits(&self, body: &RecSansVitale) -> Expected {
        // The mapping the simulator applies to a decoded body (insi_sim::app::judge).
        let query = TraitQuery {
            nom_naissance: body.nom_naissance.clone().unwrap_or_default(),
            prenoms: body.prenoms.clone(),
            sexe: body.sexe.clone().unwrap_or_default(),
            date_naissance: body.date_naissance.clone().unwrap_or_default(),
            lieu_naissance: body.lieu_naissance.clone(),
        };
        // Fault personas match on birth name + first first name (insi_sim::store::fault_for).
        let premier = search::query_prenoms(&query.prenoms).first().copied();
        if let Some(f) = self.faults.iter().find(|f| {
            f.nom_naissance == query.nom_naissance && Some(f.premier_prenom.as_str()) == premier
        }) {
            return Expected::Fault(f.fault.detail_code().to_owned());
        }
        let k = key(&[&query.nom_naissance, &query.date_naissance]);
        let candidates = self.candidates(&self.by_nom_date, k);
        Expected::from_outcome(search::decide_traits(&query, candidates))
    }

    /// What the simulator answers to a `RECVITALE` call.
    pub fn answer_vitale(&self, search: &VitaleSearch) -> Expected {
        let body = search.body();
        let query = VitaleQuery {
            matricule_individu: body
                .matricule_individu
                .as_ref()
                .map(|m| m.num_identifiant.clone()),
            matricule_od: body
                .matricule_od
                .as_ref()
                .map(|m| m.num_identifiant.clone()),
            nom_naissance: body.nom_naissance.clone(),
            date_naissance: body.date_naissance.clone(),
            rang_naissance: body.rang_naissance.clone(),
        };
        let candidates = match (&query.matricule_individu, &query.matricule_od) {
            (Some(m), _) => self.candidates(&self.by_matricule, key(&[m])),
            (None, Some(od)) => self.candidates(&self.by_od, key(&[od])),
            (None, None) => Vec::new(),
        };
        Expected::from_outcome(search::decide_vitale(&query, candidates))
    }

    /// The whole trait search under `strategy`: the client's plan driven with the simulator's
    /// answers gives the final answer and the number of calls.
    pub fn expect_search(&self, traits: &Traits, strategy: Strategy) -> Expectation {
        let mut plan = SearchPlan::new(traits, strategy);
        let mut answers = Vec::new();
        loop {
            match plan.next_step() {
                Step::Send(query) => {
                    let body = RecSansVitale::with_prenom(&query.traits, &query.prenom());
                    let answer = self.answer_traits(&body);
                    plan.answer(match &answer {
                        Expected::Resultat { cr, .. } => Answer::Cr(CodeCr::new(cr)),
                        Expected::Fault(_) => Answer::Failed,
                    });
                    answers.push(answer);
                }
                Step::Done { decisive } => {
                    let calls = answers.len();
                    let answer = if decisive < answers.len() {
                        answers.swap_remove(decisive)
                    } else {
                        Expected::Resultat {
                            cr: "01",
                            identity: None,
                        }
                    };
                    return Expectation { answer, calls };
                }
            }
        }
    }

    /// A Vitale search: one call.
    pub fn expect_vitale(&self, search: &VitaleSearch) -> Expectation {
        Expectation {
            answer: self.answer_vitale(search),
            calls: 1,
        }
    }
}

/// What one call must end with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// A RESULTAT with this CR; for `00`, this identity.
    Resultat {
        cr: &'static str,
        identity: Option<Box<Identity>>,
    },
    /// A SOAP fault with this detail code.
    Fault(String),
}

impl Expected {
    fn from_outcome(outcome: Outcome) -> Expected {
        let cr = outcome.code();
        match outcome {
            Outcome::Found(id) => Expected::Resultat {
                cr,
                identity: Some(id),
            },
            Outcome::NotFound | Outcome::Several(_) => Expected::Resultat { cr, identity: None },
        }
    }

    /// `00`, `01`, `02`, or the fault code.
    pub fn code(&self) -> &str {
        match self {
            Expected::Resultat { cr, .. } => cr,
            Expected::Fault(code) => code,
        }
    }
}

/// What a whole search must end with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub answer: Expected,
    /// HTTP calls the strategy makes (no retries: the load mode does not retry).
    pub calls: usize,
}

/// Why an answer is wrong (for the first few wrong answers shown at the end of a run; no
/// personal data, only codes and field names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch(pub String);

/// Compares a decoded RESULTAT with the expected answer, field by field, as text: the
/// simulator writes RESULTAT from the stored strings, so they must come back unchanged.
pub fn compare_resultat(
    expected: &Expectation,
    got: &insi_soap::Resultat,
    calls: usize,
) -> Result<(), Mismatch> {
    let (cr, identity) = match &expected.answer {
        Expected::Resultat { cr, identity } => (*cr, identity),
        Expected::Fault(code) => {
            return Err(Mismatch(format!(
                "expected fault {code}, got CR {}",
                got.cr.code()
            )));
        }
    };
    if got.cr.code() != cr {
        return Err(Mismatch(format!("expected CR {cr}, got {}", got.cr.code())));
    }
    if calls != expected.calls {
        return Err(Mismatch(format!(
            "expected {} calls, the client made {calls}",
            expected.calls
        )));
    }
    match (identity, &got.individu) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(Mismatch(format!("CR {cr} came with an INDIVIDU"))),
        (Some(_), None) => Err(Mismatch("CR 00 without INDIVIDU".into())),
        (Some(want), Some(have)) => compare_individu(want, have),
    }
}

fn compare_individu(want: &Identity, have: &insi_soap::Individu) -> Result<(), Mismatch> {
    let differ = |field: &str| Err(Mismatch(format!("INDIVIDU: {field} differs")));
    let actif = &have.ins_actif;
    if actif.id_individu.num_identifiant != want.ins.matricule {
        return differ("INSACTIF matricule");
    }
    if actif.id_individu.cle.as_deref() != Some(want.ins.cle.as_str()) {
        return differ("INSACTIF key");
    }
    if actif.oid.as_str() != want.ins.oid {
        return differ("INSACTIF OID");
    }
    if have.ins_histo.len() != want.histo.len()
        || have
            .ins_histo
            .iter()
            .zip(&want.histo)
            .any(|(h, w)| h.id_individu.num_identifiant != w.matricule)
    {
        return differ("INSHISTO");
    }
    let tiq = &have.tiq;
    let prenoms = tiq.liste_prenom.as_deref().or(tiq.prenom.as_deref());
    if tiq.nom_naissance.as_deref() != Some(want.nom_naissance.as_str()) {
        return differ("NomNaissance");
    }
    if prenoms != Some(want.prenoms.as_str()) {
        return differ("ListePrenom");
    }
    if tiq.sexe.as_deref() != Some(want.sexe.as_str()) {
        return differ("Sexe");
    }
    if tiq.date_naissance.as_deref() != Some(want.date_naissance.as_str()) {
        return differ("DateNaissance");
    }
    if tiq.lieu_naissance != want.lieu_naissance {
        return differ("LieuNaissance");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn personas() -> Personas {
        Personas::parse(insi_sim::embedded::SHIPPED_PERSONAS).unwrap()
    }

    fn traits(id: &Identity, cog: bool) -> Traits {
        Traits::parse(
            &id.nom_naissance,
            &id.prenoms,
            &id.sexe,
            &id.date_naissance,
            cog.then_some(id.lieu_naissance.as_deref()).flatten(),
        )
        .unwrap()
    }

    #[test]
    fn personas_behave_as_documented() {
        let pop = Population::new(0, 1, &personas());
        // TCHITCHI: OLA → 01, CATARINA → 00 (CNDA 2.07 cas 1).
        let t = Traits::parse("TCHITCHI", "OLA CATARINA BELLA", "F", "1936-06-21", None).unwrap();
        let e = pop.expect_search(&t, Strategy::Cnda);
        assert_eq!(e.answer.code(), "00");
        assert_eq!(e.calls, 2);
        // DE VINCI: 02 without COG, 00 with it after a re-query.
        let dv = |cog| Traits::parse("DE VINCI", "LEONARDO", "M", "2014-02-01", cog).unwrap();
        let no_cog = pop.expect_search(&dv(None), Strategy::Cnda);
        assert_eq!((no_cog.answer.code(), no_cog.calls), ("02", 1));
        let with_cog = pop.expect_search(&dv(Some("63220")), Strategy::Cnda);
        assert_eq!((with_cog.answer.code(), with_cog.calls), ("00", 2));
        // Fault persona: insi_102 at the first call.
        let f = Traits::parse("VANDERMONDE", "ARIANA", "F", "1980-01-01", None).unwrap();
        let fault = pop.expect_search(&f, Strategy::Cnda);
        assert_eq!(fault.answer, Expected::Fault("insi_102".into()));
    }

    #[test]
    fn population_members_are_found_and_homonyms_need_the_cog() {
        let pop = Population::new(20_000, 7, &personas());
        assert_eq!(pop.len(), 20_000);
        let mut found = 0;
        for i in (0..pop.len()).step_by(97) {
            let id = pop.get(i).unwrap();
            let e = pop.expect_search(&traits(id, false), Strategy::Cnda);
            if let Expected::Resultat {
                cr: "00",
                identity: Some(got),
            } = &e.answer
            {
                assert_eq!(got.ins.matricule, id.ins.matricule);
                found += 1;
            }
        }
        assert!(found > 190, "{found}");
        assert!(!pop.homonyms().is_empty());
        for &h in pop.homonyms() {
            let id = pop.get(h as usize).unwrap();
            let without = pop.expect_search(&traits(id, false), Strategy::Cnda);
            assert_ne!(without.answer.code(), "01");
            let first = pop.answer_traits(&RecSansVitale::with_prenom(
                &traits(id, false),
                id.prenom_tokens().next().unwrap(),
            ));
            assert_eq!(first.code(), "02");
        }
    }

    #[test]
    fn vitale_search_of_a_member() {
        let pop = Population::new(5_000, 3, &personas());
        let id = pop.get(10).unwrap();
        let date = id.date_naissance.replace('-', "");
        let rang = id.rang_naissance.as_deref().and_then(|r| r.parse().ok());
        let s = VitaleSearch::from_card(
            id.matricule_od.as_deref().unwrap(),
            &id.nom_naissance,
            &date,
            rang,
        )
        .unwrap();
        let e = pop.expect_vitale(&s);
        assert_eq!(e.answer.code(), "00");
    }
}
