//! The request mix: which shapes of request a run sends, and in what proportions
//! (`--mix traits=0.8,miss=0.05,homonym=0.025,cog=0.025,vitale=0.1`).
//!
//! Shapes follow what a client meets on the real service (INSI-PROTOCOL.md §3.1–3.4): a trait
//! search of an existing person (mostly `00`), one of nobody (`01`), one of a person who has a
//! homonym (`02` without the birthplace), the same with the birthplace given (the CNDA strategy
//! re-queries with the COG after `02`: two calls, then `00`), and a Vitale search.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One shape of request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// Trait search of a population member (first names, sexe, birth date; no COG).
    Traits,
    /// Trait search of nobody: a population member's traits with a birth year before the
    /// population's first (1925), so the answer is `01` after the whole first-name loop.
    Miss,
    /// Trait search of a person with a homonym (same name, first names, sexe and date), no COG.
    Homonym,
    /// The same with the COG: `02`, then the re-query with the COG gives `00`.
    Cog,
    /// Vitale search (`RECVITALE`) with the card data of a population member.
    Vitale,
}

impl Shape {
    pub const ALL: [Shape; 5] = [
        Shape::Traits,
        Shape::Miss,
        Shape::Homonym,
        Shape::Cog,
        Shape::Vitale,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Traits => "traits",
            Shape::Miss => "miss",
            Shape::Homonym => "homonym",
            Shape::Cog => "cog",
            Shape::Vitale => "vitale",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a mix does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "mix '{0}' is not understood: write SHAPE=WEIGHT[,SHAPE=WEIGHT…] with SHAPE one of traits, \
     miss, homonym, cog, vitale and WEIGHT a number ≥ 0, not all zero (e.g. traits=0.9,vitale=0.1)"
)]
pub struct MixError(pub String);

/// Shapes with weights, normalised to sum to 1. Serialised as a map `{"traits": 0.9, …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mix(BTreeMap<Shape, f64>);

impl Default for Mix {
    /// Mostly hits, with every other shape present: `traits=0.8,miss=0.05,homonym=0.025,
    /// cog=0.025,vitale=0.1`.
    fn default() -> Self {
        Mix(BTreeMap::from([
            (Shape::Traits, 0.8),
            (Shape::Miss, 0.05),
            (Shape::Homonym, 0.025),
            (Shape::Cog, 0.025),
            (Shape::Vitale, 0.1),
        ]))
    }
}

impl Mix {
    /// A mix of one shape only.
    pub fn only(shape: Shape) -> Mix {
        Mix(BTreeMap::from([(shape, 1.0)]))
    }

    /// The shape for a uniform draw `u` in `[0, 1)`.
    pub fn pick(&self, u: f64) -> Shape {
        let mut acc = 0.0;
        let mut last = Shape::Traits;
        for (&shape, &w) in &self.0 {
            if w <= 0.0 {
                continue;
            }
            acc += w;
            last = shape;
            if u < acc {
                return shape;
            }
        }
        // Rounding left a sliver above the last boundary.
        last
    }

    /// The weight of a shape (0 when absent).
    pub fn weight(&self, shape: Shape) -> f64 {
        self.0.get(&shape).copied().unwrap_or(0.0)
    }

    /// Shapes with a weight above zero.
    pub fn shapes(&self) -> impl Iterator<Item = Shape> + '_ {
        self.0.iter().filter(|(_, w)| **w > 0.0).map(|(s, _)| *s)
    }
}

impl FromStr for Mix {
    type Err = MixError;
    fn from_str(text: &str) -> Result<Mix, MixError> {
        let bad = || MixError(text.to_owned());
        let mut weights = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').ok_or_else(bad)?;
            let shape = Shape::ALL
                .into_iter()
                .find(|s| s.name() == name.trim())
                .ok_or_else(bad)?;
            let weight: f64 = weight.trim().parse().map_err(|_| bad())?;
            if !weight.is_finite() || weight < 0.0 {
                return Err(bad());
            }
            *weights.entry(shape).or_insert(0.0) += weight;
        }
        let sum: f64 = weights.values().sum();
        if sum <= 0.0 {
            return Err(bad());
        }
        for w in weights.values_mut() {
            *w /= sum;
        }
        Ok(Mix(weights))
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(s, w)| format!("{s}={}", (w * 10_000.0).round() / 10_000.0))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_normalises() {
        let mix: Mix = "traits=9, vitale=1".parse().unwrap();
        assert_eq!(mix.weight(Shape::Traits), 0.9);
        assert_eq!(mix.weight(Shape::Vitale), 0.1);
        assert_eq!(mix.weight(Shape::Cog), 0.0);
        assert_eq!(mix.to_string(), "traits=0.9,vitale=0.1");
        assert_eq!(mix.pick(0.0), Shape::Traits);
        assert_eq!(mix.pick(0.95), Shape::Vitale);
        for bad in ["", "traits", "traits=-1", "other=1", "traits=0", "traits=x"] {
            assert!(bad.parse::<Mix>().is_err(), "{bad}");
        }
        let d = Mix::default();
        let sum: f64 = Shape::ALL.iter().map(|s| d.weight(*s)).sum();
        assert!((sum - 1.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn picks_only_weighted_shapes_in_proportion(
            weights in proptest::collection::vec(0u8..5, 5),
            u in 0.0f64..1.0,
        ) {
            let text: Vec<String> = Shape::ALL.iter().zip(&weights)
                .map(|(s, w)| format!("{s}={w}")).collect();
            let parsed = text.join(",").parse::<Mix>();
            if weights.iter().all(|w| *w == 0) {
                prop_assert!(parsed.is_err());
            } else {
                let mix = parsed.unwrap();
                prop_assert!(mix.weight(mix.pick(u)) > 0.0);
                // The draw lands in the shape whose cumulative interval holds u.
                let mut acc = 0.0;
                let mut expected = None;
                for s in mix.shapes() {
                    acc += mix.weight(s);
                    if u < acc { expected = Some(s); break; }
                }
                if let Some(s) = expected { prop_assert_eq!(mix.pick(u), s); }
            }
        }
    }
}
