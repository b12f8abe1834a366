//! The production guard: test traffic must not reach the real service by accident.
//!
//! The production service answers `01` for the public test identities (INSI-PROTOCOL.md §3.4) and
//! every call is traced by the Assurance Maladie (§3.8): a test OID, a public test persona, or a
//! CNDA package replayed by the runner has nothing to do there. Such a call is refused unless
//! the user says `--i-know-this-is-production`.

use ins::{Oid, Traits};

/// Who is calling: a person at the command line, or the package runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Origin {
    #[default]
    Interactive,
    /// The CNDA package runner: packages are test material by definition.
    Runner,
}

/// The public qualification personas (INSI-PROTOCOL.md §5.2–5.3), by birth name and birth date:
/// the pair, not the name alone, so that a real patient called NESSI is not refused.
const PUBLIC_TEST_IDENTITIES: &[(&str, &str)] = &[
    ("ADRUN", "1975-12-31"),
    ("ADRDEUX", "1981-01-01"),
    ("ADRTROIS", "1960-01-01"),
    ("ADRTROIS", "1997-02-26"),
    ("ECETINSI", "2009-07-14"),
    ("TCHITCHI", "1936-06-21"),
    ("NESSI", "2010-08-07"),
    ("NESSI", "1977-07-14"),
    ("CORSE", "1980-03-02"),
    ("HERMANN", "1981-03-24"),
    ("HERMAN", "1981-03-24"),
    ("DE VINCI", "2014-02-01"),
    ("HOUILLES", "1993-01-27"),
    ("PROVISOIRE", "2009-07-01"),
    ("PATB-QUATRE", "1907-05-25"),
    ("VANDERMONDE", "1995-06-17"),
    ("D'AEION", "1987-01-01"),
    ("D'AEION", "1987-01-25"),
    ("D'ARTAGNAN DE L'HERAULT", "2001-06-17"),
];

/// True for a public test persona of the qualification service.
pub fn is_public_test_identity(traits: &Traits) -> bool {
    let nom = traits.nom_naissance.as_str();
    let date = traits.date_naissance.to_string();
    PUBLIC_TEST_IDENTITIES
        .iter()
        .any(|(n, d)| *n == nom && *d == date)
}

/// Why a production call was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GuardRefusal {
    #[error(
        "refusing to call production with the test OID {0}: test and demonstration INS never \
         exist in production"
    )]
    TestOid(String),
    #[error(
        "refusing to call production with the public test identity {nom} born {date}: \
         production answers 01 for test personas and the call is traced"
    )]
    TestIdentity { nom: String, date: String },
    #[error(
        "refusing to replay a test package against production: packages are test material; \
         target qualification or the simulator"
    )]
    Runner,
}

impl GuardRefusal {
    pub fn advice(&self) -> &'static str {
        "if this really is intended, add --i-know-this-is-production"
    }
}

/// What the guard looks at for one call.
#[derive(Clone, Copy, Debug, Default)]
pub struct Guard {
    /// The target is the production service.
    pub production: bool,
    /// `--i-know-this-is-production` was given.
    pub acknowledged: bool,
    pub origin: Origin,
}

impl Guard {
    /// Checks a call about to be made with these traits and, for a verification, this OID.
    pub fn check(&self, traits: &Traits, oid: Option<&Oid>) -> Result<(), GuardRefusal> {
        if !self.production || self.acknowledged {
            return Ok(());
        }
        if self.origin == Origin::Runner {
            return Err(GuardRefusal::Runner);
        }
        if let Some(oid) = oid.filter(|oid| oid.is_test()) {
            return Err(GuardRefusal::TestOid(oid.to_string()));
        }
        if is_public_test_identity(traits) {
            return Err(GuardRefusal::TestIdentity {
                nom: traits.nom_naissance.to_string(),
                date: traits.date_naissance.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traits(nom: &str, date: &str) -> Traits {
        Traits::parse(nom, "ZOE", "F", date, None).unwrap()
    }

    #[test]
    fn refuses_test_material_in_production_only() {
        let prod = Guard {
            production: true,
            ..Guard::default()
        };
        let adrun = traits("ADRUN", "1975-12-31");
        let patient = traits("NESSI", "1950-01-01");
        assert!(matches!(
            prod.check(&adrun, None),
            Err(GuardRefusal::TestIdentity { .. })
        ));
        assert!(prod.check(&patient, None).is_ok());
        assert!(matches!(
            prod.check(&patient, Some(&Oid::InsNirTest)),
            Err(GuardRefusal::TestOid(_))
        ));
        assert!(prod.check(&patient, Some(&Oid::InsNir)).is_ok());
        let runner = Guard {
            origin: Origin::Runner,
            ..prod
        };
        assert_eq!(runner.check(&patient, None), Err(GuardRefusal::Runner));

        let acknowledged = Guard {
            acknowledged: true,
            ..runner
        };
        assert!(acknowledged.check(&adrun, Some(&Oid::InsNirDemo)).is_ok());
        let qualif = Guard {
            origin: Origin::Runner,
            ..Guard::default()
        };
        assert!(qualif.check(&adrun, Some(&Oid::InsNirTest)).is_ok());
    }

    #[test]
    fn normalised_input_is_recognised() {
        assert!(is_public_test_identity(&traits("de vinci", "2014-02-01")));
        assert!(is_public_test_identity(&traits("D’ÆION", "1987-01-01")));
    }
}
