//! Which request is sent `k`-th, sans-IO: a pure function of the draw seed and `k`.
//!
//! Request `k` draws its shape from the [`Mix`] and its person from the [`Population`] with a
//! generator seeded by `(seed, k)` alone, so a run is reproducible whatever the concurrency, and
//! N processes given the slices `0/N … N-1/N` (indices `k ≡ i mod N`) together send exactly the
//! requests one process would (`deploy/`).

use ins::Traits;
use insi_client::{Strategy, VitaleSearch};
use insi_sim::identity::Identity;
use insi_sim::rng::Rng;

use crate::mix::{Mix, Shape};
use crate::oracle::{Expectation, Population};

/// Strategy of every trait search: the CNDA first-name loop with the COG re-query on `02`, what
/// a certified client does (INSI-PROTOCOL.md §3.1).
pub const STRATEGY: Strategy = Strategy::Cnda;

/// One planned request: what to send and what must come back.
#[derive(Clone, Debug)]
pub struct Planned {
    pub index: u64,
    pub shape: Shape,
    pub request: PlannedRequest,
    pub expected: Expectation,
}

/// What goes to the client.
#[derive(Clone, Debug)]
pub enum PlannedRequest {
    Traits(Traits),
    Vitale(VitaleSearch),
}

/// A slice of the request sequence: this process sends indices `k` with `k mod count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Slice {
    pub index: u32,
    pub count: u32,
}

impl Default for Slice {
    fn default() -> Self {
        Slice { index: 0, count: 1 }
    }
}

impl std::str::FromStr for Slice {
    type Err = String;
    fn from_str(text: &str) -> Result<Slice, String> {
        let bad = || format!("slice '{text}' is not I/N with 0 ≤ I < N (e.g. 0/3)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Slice { index, count })
    }
}

impl std::fmt::Display for Slice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Slice {
    /// The global request index of this slice's `n`-th request.
    pub fn global(&self, n: u64) -> u64 {
        n.saturating_mul(u64::from(self.count))
            .saturating_add(u64::from(self.index))
    }
}

/// Why a workload cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    #[error("the population is empty: give --population N (N ≥ 1)")]
    EmptyPopulation,
    #[error(
        "the mix asks for '{0}' requests but this population has no homonyms: use a larger \
         --population (0.3 % of identities have one) or drop {0} from --mix"
    )]
    NoHomonyms(Shape),
}

/// The request generator of a run.
#[derive(Debug)]
pub struct Workload {
    population: Population,
    mix: Mix,
    seed: u64,
}

impl Workload {
    pub fn new(population: Population, mix: Mix, seed: u64) -> Result<Workload, WorkloadError> {
        if population.is_empty() {
            return Err(WorkloadError::EmptyPopulation);
        }
        for shape in [Shape::Homonym, Shape::Cog] {
            if mix.weight(shape) > 0.0 && population.homonyms().is_empty() {
                return Err(WorkloadError::NoHomonyms(shape));
            }
        }
        Ok(Workload {
            population,
            mix,
            seed,
        })
    }

    pub fn population(&self) -> &Population {
        &self.population
    }

    pub fn mix(&self) -> &Mix {
        &self.mix
    }

    /// Request number `index` of the whole sequence.
    pub fn plan(&self, index: u64) -> Option<Planned> {
        // Each index gets its own generator: independent of which worker takes it, or when.
        let mut rng = Rng::new(self.seed ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        rng.next_u64();
        let shape = self.mix.pick(rng.unit());
        let pop = &self.population;
        let person = match shape {
            Shape::Homonym | Shape::Cog => {
                let pool = pop.homonyms();
                let i = *pool.get(rng.below(pool.len() as u64) as usize)?;
                pop.get(i as usize)?
            }
            _ => pop.get(rng.below(pop.len() as u64) as usize)?,
        };
        let (request, expected) = match shape {
            Shape::Traits | Shape::Homonym => {
                let t = traits(person, None, false)?;
                let e = pop.expect_search(&t, STRATEGY);
                (PlannedRequest::Traits(t), e)
            }
            Shape::Cog => {
                let t = traits(person, None, true)?;
                let e = pop.expect_search(&t, STRATEGY);
                (PlannedRequest::Traits(t), e)
            }
            Shape::Miss => {
                // Leap years before 1925 (the population's first year): a valid date that
                // nobody in the population has, whatever the month and day.
                let year = 1904 + 4 * (index % 5) as u16;
                let t = traits(person, Some(year), false)?;
                let e = pop.expect_search(&t, STRATEGY);
                (PlannedRequest::Traits(t), e)
            }
            Shape::Vitale => {
                let date = person.date_naissance.replace('-', "");
                let rang = person
                    .rang_naissance
                    .as_deref()
                    .and_then(|r| r.parse().ok());
                let s = VitaleSearch::from_card(
                    person.matricule_od.as_deref()?,
                    &person.nom_naissance,
                    &date,
                    rang,
                )
                .ok()?;
                let e = pop.expect_vitale(&s);
                (PlannedRequest::Vitale(s), e)
            }
        };
        Some(Planned {
            index,
            shape,
            request,
            expected,
        })
    }
}

fn traits(person: &Identity, year: Option<u16>, cog: bool) -> Option<Traits> {
    let date = match year {
        Some(y) => format!("{y:04}{}", person.date_naissance.get(4..)?),
        None => person.date_naissance.clone(),
    };
    Traits::parse(
        &person.nom_naissance,
        &person.prenoms,
        &person.sexe,
        &date,
        if cog {
            person.lieu_naissance.as_deref()
        } else {
            None
        },
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::Expected;
    use insi_sim::personas::Personas;

    fn workload(mix: Mix) -> Workload {
        let personas = Personas::parse(insi_sim::embedded::SHIPPED_PERSONAS).unwrap();
        Workload::new(Population::new(20_000, 1, &personas), mix, 9).unwrap()
    }

    #[test]
    fn plans_are_a_function_of_the_index() {
        let w = workload(Mix::default());
        for k in [0, 1, 17, 123_456] {
            let (a, b) = (w.plan(k).unwrap(), w.plan(k).unwrap());
            assert_eq!(a.shape, b.shape);
            assert_eq!(a.expected, b.expected);
        }
        let shapes: std::collections::BTreeSet<Shape> =
            (0..2_000).map(|k| w.plan(k).unwrap().shape).collect();
        assert_eq!(shapes.len(), 5, "{shapes:?}");
    }

    #[test]
    fn shapes_give_their_answers() {
        let count = |shape: Shape| {
            let w = workload(Mix::only(shape));
            let mut codes = std::collections::BTreeMap::new();
            for k in 0..300 {
                let p = w.plan(k).unwrap();
                *codes
                    .entry((p.expected.answer.code().to_owned(), p.expected.calls))
                    .or_insert(0) += 1;
            }
            codes
        };
        // Misses end with 01 after the whole first-name loop.
        let misses = count(Shape::Miss);
        assert!(misses.keys().all(|(cr, _)| cr == "01"), "{misses:?}");
        // Hits are mostly 00 in one call (first first name).
        let hits = count(Shape::Traits);
        assert!(hits[&("00".to_owned(), 1)] > 250, "{hits:?}");
        // With the COG: 02 first, then 00 (designed homonyms are born elsewhere).
        let cog = count(Shape::Cog);
        assert!(
            cog.get(&("00".to_owned(), 2)).copied().unwrap_or(0) > 200,
            "{cog:?}"
        );
        let homonym = count(Shape::Homonym);
        assert!(homonym.keys().all(|(cr, _)| cr == "02"), "{homonym:?}");
        let vitale = count(Shape::Vitale);
        assert!(vitale[&("00".to_owned(), 1)] > 250, "{vitale:?}");
    }

    #[test]
    fn slices_partition_the_sequence() {
        let three: Vec<u64> = (0..3)
            .flat_map(|i| {
                let s = Slice { index: i, count: 3 };
                (0..4).map(move |n| s.global(n))
            })
            .collect();
        let mut sorted = three.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..12).collect::<Vec<_>>());
        assert_eq!("2/3".parse::<Slice>(), Ok(Slice { index: 2, count: 3 }));
        for bad in ["3/3", "1", "a/b", "0/0"] {
            assert!(bad.parse::<Slice>().is_err());
        }
    }

    #[test]
    fn a_population_without_homonyms_refuses_homonym_shapes() {
        let personas = Personas::default();
        let err =
            Workload::new(Population::new(10, 1, &personas), Mix::only(Shape::Cog), 1).unwrap_err();
        assert_eq!(err, WorkloadError::NoHomonyms(Shape::Cog));
        let _ = Expected::Fault(String::new());
    }
}
