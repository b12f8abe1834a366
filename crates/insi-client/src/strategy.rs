//! Search strategies as a sans-IO state machine: it says which query to send next and is told
//! what each query ended with. No network, no clock: the client drives it, and property tests
//! drive it with made-up answers.
//!
//! The CNDA strategy (INSI-PROTOCOL.md §3.1, CNDA tests 2.06/2.07):
//! 1. one query per first name, in order, stopping at the first `00` or fault;
//! 2. if none gave `00` and there were several first names, one query with all of them joined;
//! 3. a query answered `02` (several identities) is sent again at once with the birthplace COG,
//!    when the caller has it. Queries go without the COG first (the guidance of §3.1 step 3: the
//!    COG narrows an ambiguous answer; sending a wrong stored COG up front would turn a `00`
//!    into `01`).
//!
//! The conclusion is the `00` when one came; a fault or an unknown CR code ends the search with
//! itself; otherwise the last `02` if any (the identity exists but needs more traits), else the
//! last answer. `docs/client.md` records these choices.

use std::collections::VecDeque;

use ins::{CodeCr, Prenoms, Traits};

/// Which queries a search makes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// One query with the traits as given (all first names joined, COG if given).
    Single,
    /// The CNDA first-name loop (the default).
    #[default]
    Cnda,
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "single" => Ok(Strategy::Single),
            "cnda" => Ok(Strategy::Cnda),
            other => Err(format!("unknown strategy '{other}': use single or cnda")),
        }
    }
}

/// Why a query is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryKind {
    /// The traits as given (strategy `single`).
    AsGiven,
    /// One first name of the loop.
    OnePrenom,
    /// All first names joined, after the loop found nothing.
    AllPrenoms,
    /// The previous query again, with the COG, after a `02`.
    WithCog,
    /// A Vitale search (`RECVITALE`): one call, no strategy.
    Vitale,
}

/// One query to send: the traits to put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub traits: Traits,
    pub kind: QueryKind,
}

impl Query {
    /// The `Prenom` text sent.
    pub fn prenom(&self) -> String {
        self.traits.prenoms.liste()
    }
}

/// What one query ended with, after the client's retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Cr(CodeCr),
    /// A SOAP fault, or a transport failure that retries did not cure.
    Failed,
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Send(Query),
    /// The search is over; `decisive` indexes the answer that is the result (in the order
    /// answers were given).
    Done {
        decisive: usize,
    },
}

/// The state of one search.
#[derive(Debug)]
pub struct SearchPlan {
    base: Traits,
    pending: VecDeque<Query>,
    in_flight: Option<Query>,
    answers: Vec<(QueryKind, Answer)>,
    done: Option<usize>,
}

impl SearchPlan {
    pub fn new(traits: &Traits, strategy: Strategy) -> SearchPlan {
        let mut pending = VecDeque::new();
        match strategy {
            Strategy::Single => pending.push_back(Query {
                traits: traits.clone(),
                kind: QueryKind::AsGiven,
            }),
            Strategy::Cnda => {
                let without_cog = |prenoms: Prenoms, kind| Query {
                    traits: Traits {
                        prenoms,
                        lieu_naissance: None,
                        ..traits.clone()
                    },
                    kind,
                };
                for prenom in traits.prenoms.iter() {
                    // A first name taken from a valid `Prenoms` is valid on its own.
                    if let Ok(one) = Prenoms::new(prenom) {
                        pending.push_back(without_cog(one, QueryKind::OnePrenom));
                    }
                }
                if traits.prenoms.len() > 1 {
                    pending.push_back(without_cog(traits.prenoms.clone(), QueryKind::AllPrenoms));
                }
            }
        }
        SearchPlan {
            base: traits.clone(),
            pending,
            in_flight: None,
            answers: Vec::new(),
            done: None,
        }
    }

    /// The next step. After `Send`, call [`SearchPlan::answer`] before asking again (asking
    /// again without answering returns the same query).
    pub fn next_step(&mut self) -> Step {
        if let Some(decisive) = self.done {
            return Step::Done { decisive };
        }
        if let Some(query) = &self.in_flight {
            return Step::Send(query.clone());
        }
        match self.pending.pop_front() {
            Some(query) => {
                self.in_flight = Some(query.clone());
                Step::Send(query)
            }
            None => {
                let decisive = self.conclude();
                self.done = Some(decisive);
                Step::Done { decisive }
            }
        }
    }

    /// Records what the query in flight ended with. Ignored when nothing is in flight.
    pub fn answer(&mut self, answer: Answer) {
        let Some(query) = self.in_flight.take() else {
            return;
        };
        let index = self.answers.len();
        let stop = match &answer {
            Answer::Cr(CodeCr::Ok) | Answer::Failed | Answer::Cr(CodeCr::Other(_)) => true,
            Answer::Cr(CodeCr::PlusieursIdentites) => {
                if query.traits.lieu_naissance.is_none() && self.base.lieu_naissance.is_some() {
                    self.pending.push_front(Query {
                        traits: Traits {
                            lieu_naissance: self.base.lieu_naissance,
                            ..query.traits
                        },
                        kind: QueryKind::WithCog,
                    });
                }
                false
            }
            Answer::Cr(CodeCr::AucuneIdentite) => false,
        };
        self.answers.push((query.kind, answer));
        if stop {
            self.pending.clear();
            self.done = Some(index);
        }
    }

    fn conclude(&self) -> usize {
        let last = self.answers.len().saturating_sub(1);
        self.answers
            .iter()
            .rposition(|(_, a)| *a == Answer::Cr(CodeCr::PlusieursIdentites))
            .unwrap_or(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traits(prenoms: &str, lieu: Option<&str>) -> Traits {
        Traits::parse("TCHITCHI", prenoms, "F", "1936-06-21", lieu).unwrap()
    }

    /// Runs a plan against a table of answers keyed by (prenom, with COG).
    fn run(plan: &mut SearchPlan, answer: impl Fn(&str, bool) -> Answer) -> (Vec<String>, usize) {
        let mut sent = Vec::new();
        loop {
            match plan.next_step() {
                Step::Send(q) => {
                    let cog = q.traits.lieu_naissance.is_some();
                    sent.push(format!("{}{}", q.prenom(), if cog { "+COG" } else { "" }));
                    plan.answer(answer(&q.prenom(), cog));
                }
                Step::Done { decisive } => return (sent, decisive),
            }
        }
    }

    #[test]
    fn tchitchi_loop_stops_at_00() {
        let mut plan = SearchPlan::new(&traits("OLA CATARINA BELLA", None), Strategy::Cnda);
        let (sent, decisive) = run(&mut plan, |p, _| match p {
            "CATARINA" => Answer::Cr(CodeCr::Ok),
            _ => Answer::Cr(CodeCr::AucuneIdentite),
        });
        assert_eq!(sent, ["OLA", "CATARINA"]);
        assert_eq!(decisive, 1);
    }

    #[test]
    fn houilles_tries_every_name_then_all() {
        let mut plan = SearchPlan::new(&traits("PIERRE PAUL JACQUES", None), Strategy::Cnda);
        let (sent, decisive) = run(&mut plan, |_, _| Answer::Cr(CodeCr::AucuneIdentite));
        assert_eq!(sent, ["PIERRE", "PAUL", "JACQUES", "PIERRE PAUL JACQUES"]);
        assert_eq!(decisive, 3);
    }

    #[test]
    fn de_vinci_02_requeries_with_cog() {
        let mut plan = SearchPlan::new(&traits("LEONARDO", Some("63220")), Strategy::Cnda);
        let (sent, decisive) = run(&mut plan, |_, cog| {
            Answer::Cr(if cog {
                CodeCr::Ok
            } else {
                CodeCr::PlusieursIdentites
            })
        });
        assert_eq!(sent, ["LEONARDO", "LEONARDO+COG"]);
        assert_eq!(decisive, 1);

        let mut no_cog = SearchPlan::new(&traits("LEONARDO", None), Strategy::Cnda);
        let (sent, decisive) = run(&mut no_cog, |_, _| Answer::Cr(CodeCr::PlusieursIdentites));
        assert_eq!(sent, ["LEONARDO"]);
        assert_eq!(decisive, 0);
    }

    #[test]
    fn fault_stops_and_single_sends_once() {
        let mut plan = SearchPlan::new(&traits("A B", None), Strategy::Cnda);
        let (sent, decisive) = run(&mut plan, |_, _| Answer::Failed);
        assert_eq!(sent, ["A"]);
        assert_eq!(decisive, 0);

        let mut single = SearchPlan::new(&traits("A B", Some("63220")), Strategy::Single);
        let (sent, _) = run(&mut single, |_, _| Answer::Cr(CodeCr::PlusieursIdentites));
        assert_eq!(sent, ["A B+COG"]);
    }

    #[test]
    fn asking_twice_without_answering_repeats_the_query() {
        let mut plan = SearchPlan::new(&traits("A B", None), Strategy::Cnda);
        assert_eq!(plan.next_step(), plan.next_step());
        plan.answer(Answer::Cr(CodeCr::Ok));
        assert_eq!(plan.next_step(), Step::Done { decisive: 0 });
        plan.answer(Answer::Failed); // nothing in flight: ignored
        assert_eq!(plan.next_step(), Step::Done { decisive: 0 });
    }
}
