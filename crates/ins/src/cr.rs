//! The `CodeCR` of a RESULTAT (INSI-PROTOCOL.md §3.4).

use std::fmt;

/// The outcome of a search, as the service reports it in `CR/CodeCR`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CodeCr {
    /// `00` — exactly one identity; `INDIVIDU` is present.
    Ok,
    /// `01` — no identity found.
    AucuneIdentite,
    /// `02` — several identities found (trait search): add traits such as the COG and ask again.
    PlusieursIdentites,
    /// Any other code, kept as received.
    Other(String),
}

impl CodeCr {
    pub fn new(code: &str) -> CodeCr {
        match code {
            "00" => CodeCr::Ok,
            "01" => CodeCr::AucuneIdentite,
            "02" => CodeCr::PlusieursIdentites,
            other => CodeCr::Other(other.to_owned()),
        }
    }

    /// The code as on the wire (`00`, `01`, `02`, …).
    pub fn code(&self) -> &str {
        match self {
            CodeCr::Ok => "00",
            CodeCr::AucuneIdentite => "01",
            CodeCr::PlusieursIdentites => "02",
            CodeCr::Other(code) => code,
        }
    }

    /// The `LibelleCR` the service sends with a known code (exact text, no accents).
    pub fn libelle(&self) -> Option<&'static str> {
        match self {
            CodeCr::Ok => Some("OK"),
            CodeCr::AucuneIdentite => Some("Aucune identite trouvee"),
            CodeCr::PlusieursIdentites => Some("Plusieurs identites trouvees"),
            CodeCr::Other(_) => None,
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, CodeCr::Other(_))
    }
}

impl fmt::Display for CodeCr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CodeCr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for CodeCr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(CodeCr::new(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels() {
        assert_eq!(CodeCr::new("00").libelle(), Some("OK"));
        assert_eq!(CodeCr::new("01").libelle(), Some("Aucune identite trouvee"));
        assert_eq!(
            CodeCr::new("02").libelle(),
            Some("Plusieurs identites trouvees")
        );
        let other = CodeCr::new("07");
        assert_eq!(other, CodeCr::Other("07".into()));
        assert_eq!(other.code(), "07");
        assert_eq!(other.libelle(), None);
    }
}
