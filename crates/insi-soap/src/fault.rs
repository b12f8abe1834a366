//! SOAP 1.2 faults with their `siram:Erreur` detail (INSI-PROTOCOL.md §4): types, the observed
//! catalogue, and encoding in the two styles seen live.

use crate::ns;
use crate::write;

/// A SOAP 1.2 Fault as INSi sends it (HTTP 500).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Fault {
    /// `Code/Value`, local part (`Sender`, `Receiver`).
    pub code: String,
    /// `Code/Subcode/Value`, local part whatever the prefix (`siram_100`, `siram_40`).
    pub subcode: Option<String>,
    /// `Reason/Text`.
    pub reason: String,
    /// `Reason/Text/@xml:lang` (`fr`; `en` with French text is seen too).
    pub reason_lang: Option<String>,
    /// `Detail/siram:Erreur`.
    pub erreur: Option<SiramErreur>,
}

/// `siram:Erreur`: the detail code (`desir_NNN` gateway, `insi_NNN` business), its severity and
/// the echoed message ID.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SiramErreur {
    pub code: String,
    /// As received: `information|avertissement|erreur|fatale`, and the non-standard `fatal`.
    pub severite: String,
    pub message_id: Option<String>,
    /// The element's text.
    pub text: String,
}

/// `@severite` read leniently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Severite {
    Information,
    Avertissement,
    Erreur,
    /// `fatale`, or `fatal` as the live service also writes it (§4.1).
    Fatale,
    Other(String),
}

impl SiramErreur {
    pub fn severite_kind(&self) -> Severite {
        match self.severite.as_str() {
            "information" => Severite::Information,
            "avertissement" => Severite::Avertissement,
            "erreur" => Severite::Erreur,
            "fatale" | "fatal" => Severite::Fatale,
            other => Severite::Other(other.to_owned()),
        }
    }
}

/// How a fault is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FaultStyle {
    /// `soap:` Envelope, `env:` Body, `soap:`-prefixed Fault and QName values (§4.1).
    #[default]
    Live,
    /// `S:` everywhere plus an unused SOAP 1.1 `ns4` declaration (the `siram_40` captures).
    S,
}

const REASON_INDISPONIBLE: &str = "Le service est temporairement inaccessible. Veuillez renouveler \
                                   votre demande ultérieurement. Si le problème persiste, contactez \
                                   votre responsable informatique.";

impl Fault {
    fn new(code: &str, subcode: &str, reason: &str, lang: &str, erreur: SiramErreur) -> Fault {
        Fault {
            code: code.into(),
            subcode: Some(subcode.into()),
            reason: reason.into(),
            reason_lang: Some(lang.into()),
            erreur: Some(erreur),
        }
    }

    fn erreur(code: &str, severite: &str, message_id: Option<&str>, text: &str) -> SiramErreur {
        SiramErreur {
            code: code.into(),
            severite: severite.into(),
            message_id: message_id.map(str::to_owned),
            text: text.into(),
        }
    }

    /// `siram_100` / `desir_550`: unknown IDAM (authorisation number). (confirmed, §4.2)
    pub fn idam_inconnu(message_id: Option<&str>) -> Fault {
        Fault::new(
            "Sender",
            "siram_100",
            "L'accès par ce progiciel au service n'est pas autorisé. Contactez l'éditeur du \
             progiciel ou votre responsable informatique.",
            "fr",
            Self::erreur(
                "desir_550",
                "erreur",
                message_id,
                "Numéro d'autorisation du logiciel inconnu.",
            ),
        )
    }

    /// `siram_40` / `desir_1020`: service temporarily unavailable (codes confirmed, §4.2; the end
    /// of the Reason text is truncated in the public capture and completed by us).
    pub fn service_indisponible(message_id: Option<&str>) -> Fault {
        Fault::new(
            "Sender",
            "siram_40",
            REASON_INDISPONIBLE,
            "fr",
            Self::erreur(
                "desir_1020",
                "fatale",
                message_id,
                "Le service appelé est temporairement indisponible",
            ),
        )
    }

    /// `siram_40` / `insi_102` (Receiver, `fatal`, `xml:lang="en"`): technical error of the
    /// trait search (D'AEION / COEUR in qualification). Write it with [`FaultStyle::S`] (confirmed, §4.2).
    pub fn erreur_technique_traits(message_id: Option<&str>) -> Fault {
        Fault::new(
            "Receiver",
            "siram_40",
            REASON_INDISPONIBLE,
            "en",
            Self::erreur(
                "insi_102",
                "fatal",
                message_id,
                "L'appel au service de recherche avec les traits d'identité renvoie une erreur technique.",
            ),
        )
    }

    /// `DESIR_560`: the software certificate CN is not INSI-AUTO / INSI-MANU. Only the detail
    /// code and texts are public (second-hand, §4.2); `Sender`/`siram_100`/`erreur` are our guess (codec.md).
    pub fn niveau_acces_insuffisant(message_id: Option<&str>) -> Fault {
        Fault::new(
            "Sender",
            "siram_100",
            "Niveau d'accès insuffisant",
            "fr",
            Self::erreur(
                "DESIR_560",
                "erreur",
                message_id,
                "Vous ne disposez pas des droits suffisants pour accéder à ce service",
            ),
        )
    }

    /// The SOAP response envelope.
    pub fn encode(&self, style: FaultStyle) -> String {
        let mut out = String::with_capacity(900);
        self.encode_into(style, &mut out);
        out
    }

    pub fn encode_into(&self, style: FaultStyle, out: &mut String) {
        let p = match style {
            FaultStyle::Live => {
                out.push_str("<soap:Envelope xmlns:soap=\"");
                out.push_str(ns::SOAP12);
                out.push_str("\"><env:Body xmlns:env=\"");
                out.push_str(ns::SOAP12);
                out.push_str("\"><soap:Fault>");
                "soap"
            }
            FaultStyle::S => {
                out.push_str("<S:Envelope xmlns:S=\"");
                out.push_str(ns::SOAP12);
                out.push_str("\"><S:Body><S:Fault xmlns:ns4=\"");
                out.push_str(ns::SOAP11);
                out.push_str("\">");
                "S"
            }
        };
        let t = |name: &str| format!("{p}:{name}");
        write::open(out, &t("Code"));
        write::leaf(out, &t("Value"), &format!("{p}:{}", self.code));
        if let Some(sub) = &self.subcode {
            write::open(out, &t("Subcode"));
            write::leaf(out, &t("Value"), &format!("{p}:{sub}"));
            write::close(out, &t("Subcode"));
        }
        write::close(out, &t("Code"));
        write::open(out, &t("Reason"));
        out.push('<');
        out.push_str(&t("Text"));
        if let Some(lang) = &self.reason_lang {
            out.push_str(" xml:lang=\"");
            write::attr(out, lang);
            out.push('"');
        }
        out.push('>');
        write::text(out, &self.reason);
        write::close(out, &t("Text"));
        write::close(out, &t("Reason"));
        if let Some(e) = &self.erreur {
            write::open(out, &t("Detail"));
            out.push_str("<siram:Erreur xmlns:siram=\"");
            out.push_str(ns::SIRAM);
            out.push_str("\" code=\"");
            write::attr(out, &e.code);
            out.push('"');
            if let Some(id) = &e.message_id {
                out.push_str(" messageID=\"");
                write::attr(out, id);
                out.push('"');
            }
            out.push_str(" severite=\"");
            write::attr(out, &e.severite);
            out.push_str("\">");
            write::text(out, &e.text);
            out.push_str("</siram:Erreur>");
            write::close(out, &t("Detail"));
        }
        match style {
            FaultStyle::Live => out.push_str("</soap:Fault></env:Body></soap:Envelope>"),
            FaultStyle::S => out.push_str("</S:Fault></S:Body></S:Envelope>"),
        }
    }
}
