//! Namespaces and operations of the INSi contract (INSI-PROTOCOL.md §1.1, §2.1).

/// SOAP 1.2 envelope.
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// SOAP 1.1 envelope: never ours, but declared (unused) in some live faults (§4.1).
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
pub const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const CTXLPS: &str = "urn:siram:lps:ctxlps";
pub const CTXBAM: &str = "urn:siram:bam:ctxbam";
pub const SIRAM: &str = "urn:siram";
pub const RECSANS: &str = "http://www.cnamts.fr/INSiRecSans";
pub const RECVIT: &str = "http://www.cnamts.fr/INSiRecVit";
pub const RESULTAT: &str = "http://www.cnamts.fr/INSiResultat";

/// The namespaces the decoder knows, resolved once per element so that matching is by URI and
/// local name, never by prefix (DESIGN.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ns {
    Soap12,
    Soap11,
    Wsa,
    Wsse,
    Saml,
    Ds,
    CtxLps,
    CtxBam,
    Siram,
    RecSans,
    RecVit,
    Resultat,
    /// Another namespace.
    Other,
    /// No namespace.
    None,
}

impl Ns {
    pub(crate) fn of(uri: &str) -> Ns {
        match uri {
            SOAP12 => Ns::Soap12,
            RESULTAT => Ns::Resultat,
            RECSANS => Ns::RecSans,
            RECVIT => Ns::RecVit,
            CTXLPS => Ns::CtxLps,
            CTXBAM => Ns::CtxBam,
            WSA => Ns::Wsa,
            WSSE => Ns::Wsse,
            SAML => Ns::Saml,
            DS => Ns::Ds,
            SIRAM => Ns::Siram,
            SOAP11 => Ns::Soap11,
            _ => Ns::Other,
        }
    }
}

/// The two INSi operations of the 1.5.0 WSDL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Operation {
    /// `rechercherInsAvecTraitsIdentite`, body `RECSANSVITALE`.
    RechercherInsAvecTraitsIdentite,
    /// `rechercherInsAvecCarteVitale`, body `RECVITALE`.
    RechercherInsAvecCarteVitale,
}

impl Operation {
    /// The WSDL operation name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::RechercherInsAvecTraitsIdentite => "rechercherInsAvecTraitsIdentite",
            Operation::RechercherInsAvecCarteVitale => "rechercherInsAvecCarteVitale",
        }
    }

    /// The `wsa:Action` URI.
    pub fn action(self) -> &'static str {
        match self {
            Operation::RechercherInsAvecTraitsIdentite => {
                "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite"
            }
            Operation::RechercherInsAvecCarteVitale => {
                "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale"
            }
        }
    }

    /// The operation an action URI names, if any.
    pub fn from_action(action: &str) -> Option<Operation> {
        [
            Operation::RechercherInsAvecTraitsIdentite,
            Operation::RechercherInsAvecCarteVitale,
        ]
        .into_iter()
        .find(|op| op.action() == action.trim())
    }

    /// The HTTP `Content-Type` of a request, with its `action` parameter (§1.4: SOAP 1.2 has no
    /// `SOAPAction` header; whether the server needs `action` is unknown, so we always send it).
    pub fn content_type(self) -> String {
        format!(
            "application/soap+xml; charset=utf-8; action=\"{}\"",
            self.action()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_content_type_carries_action() {
        for op in [
            Operation::RechercherInsAvecTraitsIdentite,
            Operation::RechercherInsAvecCarteVitale,
        ] {
            assert_eq!(Operation::from_action(op.action()), Some(op));
            assert!(op.action().ends_with(op.name()));
        }
        assert_eq!(
            Operation::RechercherInsAvecTraitsIdentite.content_type(),
            "application/soap+xml; charset=utf-8; \
             action=\"urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite\""
        );
        assert_eq!(Operation::from_action("urn:other"), None);
    }
}
