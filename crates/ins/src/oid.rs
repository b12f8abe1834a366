//! Assigning-authority OIDs of an INS (INSI-PROTOCOL.md §3.5).

use std::fmt;
use std::str::FromStr;

/// The OID that says what kind of number a matricule is.
///
/// The four OIDs known publicly are variants; anything else is kept as received, so that a
/// response using a new OID is still decoded and stored exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Oid {
    /// `1.2.250.1.213.1.4.8`: INS-NIR. The qualification service also returns it for its test
    /// identities.
    InsNir,
    /// `1.2.250.1.213.1.4.9`: INS-NIA, a provisional number. The OID, not the first digit, tells
    /// a NIA from a NIR.
    InsNia,
    /// `1.2.250.1.213.1.4.10`: INS-NIR de test.
    InsNirTest,
    /// `1.2.250.1.213.1.4.11`: INS-NIR de démonstration.
    InsNirDemo,
    /// Any other OID, as received.
    Other(String),
}

impl Oid {
    pub const INS_NIR: &'static str = "1.2.250.1.213.1.4.8";
    pub const INS_NIA: &'static str = "1.2.250.1.213.1.4.9";
    pub const INS_NIR_TEST: &'static str = "1.2.250.1.213.1.4.10";
    pub const INS_NIR_DEMO: &'static str = "1.2.250.1.213.1.4.11";

    /// Reads an OID; known values become their variant, others are kept as text.
    pub fn new(text: &str) -> Oid {
        match text {
            Self::INS_NIR => Oid::InsNir,
            Self::INS_NIA => Oid::InsNia,
            Self::INS_NIR_TEST => Oid::InsNirTest,
            Self::INS_NIR_DEMO => Oid::InsNirDemo,
            other => Oid::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Oid::InsNir => Self::INS_NIR,
            Oid::InsNia => Self::INS_NIA,
            Oid::InsNirTest => Self::INS_NIR_TEST,
            Oid::InsNirDemo => Self::INS_NIR_DEMO,
            Oid::Other(text) => text,
        }
    }

    /// A short French label, `None` for an unknown OID.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            Oid::InsNir => Some("INS-NIR"),
            Oid::InsNia => Some("INS-NIA"),
            Oid::InsNirTest => Some("INS-NIR de test"),
            Oid::InsNirDemo => Some("INS-NIR de démonstration"),
            Oid::Other(_) => None,
        }
    }

    /// True for the test and demonstration OIDs, which must never reach production.
    pub fn is_test(&self) -> bool {
        matches!(self, Oid::InsNirTest | Oid::InsNirDemo)
    }

    /// True when the number is a provisional NIA.
    pub fn is_nia(&self) -> bool {
        matches!(self, Oid::InsNia)
    }

    /// True for one of the four publicly known INS OIDs.
    pub fn is_known(&self) -> bool {
        !matches!(self, Oid::Other(_))
    }
}

impl FromStr for Oid {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Oid::new(s))
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Oid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Oid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Oid::new(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_round_trip() {
        for (text, test, nia) in [
            ("1.2.250.1.213.1.4.8", false, false),
            ("1.2.250.1.213.1.4.9", false, true),
            ("1.2.250.1.213.1.4.10", true, false),
            ("1.2.250.1.213.1.4.11", true, false),
            ("1.2.250.1.213.1.4.12", false, false),
        ] {
            let oid = Oid::new(text);
            assert_eq!(oid.as_str(), text);
            assert_eq!(oid.is_test(), test, "{text}");
            assert_eq!(oid.is_nia(), nia, "{text}");
        }
        assert_eq!(
            Oid::new("1.2.250.1.213.1.4.12"),
            Oid::Other("1.2.250.1.213.1.4.12".into())
        );
        assert_eq!(
            Oid::new("1.2.250.1.213.1.4.11").label(),
            Some("INS-NIR de démonstration")
        );
    }
}
