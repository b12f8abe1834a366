//! The PS assertion of CPx mode (SAML 2.0, INSI-PROTOCOL.md §2.5.2): built from the card's
//! signature certificate and the practice attributes, signed through [`xmldsig::Signer`]
//! (the card, or a software key), and read back by the simulator.

use jiff::Timestamp;
use uuid::Uuid;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use xmldsig::{Placement, SignError, Signer, sign_enveloped};

use crate::envelope::{Handled, children};
use crate::error::{DecodeError, DecodeErrorKind, Limits};
use crate::header::format_temps;
use crate::ns::{self, Ns};
use crate::request::RawAssertion;
use crate::scan::{Item, Scanner, attr, describe};

/// `Issuer/@Format`.
pub const FORMAT_X509_SUBJECT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName";
/// The GIP-CPS card-type extension (last byte 0 CPS, 1 CPF, 2 CDE-CPE, 3 CPA).
pub const OID_GIP_CARD_TYPE: &str = "1.2.250.1.71.1.2.2";

/// The practice attributes a PS assertion carries (names are case-sensitive on the wire).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PsAttributes {
    /// `identifiantFacturation`: FINESS/SIRET for an establishment, the AM billing number of a
    /// liberal PS.
    pub identifiant_facturation: String,
    /// `codeSpecialiteAMO`: mandatory for physicians only; written only when given.
    pub code_specialite_amo: Option<String>,
    /// `secteurActivite` (e.g. `SA05` centre de santé, `SA07` cabinet).
    pub secteur_activite: String,
}

/// A PS assertion's content. Text as it goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PsAssertion {
    /// `@ID`, `_` + UUID.
    pub id: String,
    /// `@IssueInstant`, UTC with milliseconds.
    pub issue_instant: String,
    /// `Issuer`: the signature certificate's subject DN (RFC 4514 order).
    pub issuer: String,
    /// `Subject/NameID`: the PS identifier (certificate CN).
    pub name_id: String,
    /// `NameID/@NameQualifier`: `CPS`, `CPF`, `CDE-CPE`, `CPA` (or `CPX` when unknown).
    pub name_qualifier: String,
    pub attributes: PsAttributes,
}

/// The signature certificate could not give what the assertion needs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("signature certificate does not parse: {0}")]
    Certificate(String),
    #[error("signature certificate subject has no CN (the PS identifier)")]
    NoCommonName,
    #[error("identifiantFacturation and secteurActivite are required")]
    MissingAttribute,
}

impl PsAssertion {
    /// The assertion for the holder of `cert_der` (the CPx *signature* certificate): Issuer is
    /// its subject DN, NameID its CN, NameQualifier from the card-type extension.
    pub fn from_certificate(
        cert_der: &[u8],
        attributes: PsAttributes,
        id: Uuid,
        issue_instant: Timestamp,
    ) -> Result<PsAssertion, AssertionError> {
        if attributes.identifiant_facturation.is_empty() || attributes.secteur_activite.is_empty() {
            return Err(AssertionError::MissingAttribute);
        }
        let (_, cert) = X509Certificate::from_der(cert_der)
            .map_err(|e| AssertionError::Certificate(e.to_string()))?;
        let name_id = cert
            .subject()
            .iter_common_name()
            .find_map(|cn| cn.as_str().ok())
            .ok_or(AssertionError::NoCommonName)?
            .to_owned();
        Ok(PsAssertion {
            id: format!("_{id}"),
            issue_instant: format_temps(issue_instant),
            issuer: subject_dn(&cert),
            name_id,
            name_qualifier: card_type(&cert).to_owned(),
            attributes,
        })
    }

    /// The unsigned assertion, written directly in exclusive-canonical form (no declaration, no
    /// whitespace, sorted attributes, start/end pairs), default namespace as the real CPx
    /// middleware writes it.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(900);
        out.push_str("<Assertion xmlns=\"");
        out.push_str(ns::SAML);
        out.push_str("\" ID=\"");
        c14n_attr(&mut out, &self.id);
        out.push_str("\" IssueInstant=\"");
        c14n_attr(&mut out, &self.issue_instant);
        out.push_str("\" Version=\"2.0\"><Issuer Format=\"");
        out.push_str(FORMAT_X509_SUBJECT);
        out.push_str("\">");
        c14n_text(&mut out, &self.issuer);
        out.push_str("</Issuer><Subject><NameID NameQualifier=\"");
        c14n_attr(&mut out, &self.name_qualifier);
        out.push_str("\">");
        c14n_text(&mut out, &self.name_id);
        out.push_str("</NameID></Subject><AttributeStatement>");
        let a = &self.attributes;
        attribute(
            &mut out,
            "identifiantFacturation",
            &a.identifiant_facturation,
        );
        if let Some(code) = &a.code_specialite_amo {
            attribute(&mut out, "codeSpecialiteAMO", code);
        }
        attribute(&mut out, "secteurActivite", &a.secteur_activite);
        out.push_str("</AttributeStatement></Assertion>");
        out
    }

    /// Signs the assertion (enveloped, exc-c14n, RSA-SHA256, Signature right after Issuer) and
    /// returns it ready for `wsse:Security`.
    pub fn sign(&self, signer: &dyn Signer) -> Result<RawAssertion, SignError> {
        sign_enveloped(
            &self.to_xml(),
            "ID",
            Placement::AfterChild("Issuer"),
            signer,
        )
        .map(RawAssertion::new)
    }

    /// Reads an assertion (signed or not; the signature is checked by `xmldsig::Verifier`).
    pub fn decode(xml: &[u8]) -> Result<PsAssertion, DecodeError> {
        let mut sc = Scanner::new(xml, Limits::DEFAULT)?;
        let (start, at) = match sc.next()? {
            Item::Open {
                ns: Ns::Saml,
                start,
                at,
            } if start.local_name() == "Assertion" => (start, at),
            Item::Open { start, at, .. } => {
                return Err(sc.error(
                    at,
                    DecodeErrorKind::UnexpectedPayload {
                        found: format!("<{}>", describe(&start)),
                        expected: "a SAML 2.0 Assertion",
                    },
                ));
            }
            _ => return Err(sc.error(0, DecodeErrorKind::Empty)),
        };
        let mut a = PsAssertion {
            id: attr(&start, "ID").ok_or_else(|| {
                sc.error(
                    at,
                    DecodeErrorKind::MissingAttribute {
                        element: "Assertion",
                        attribute: "ID",
                    },
                )
            })?,
            issue_instant: attr(&start, "IssueInstant").unwrap_or_default(),
            issuer: String::new(),
            name_id: String::new(),
            name_qualifier: String::new(),
            attributes: PsAttributes::default(),
        };
        children(&mut sc, "Assertion", |sc, ns, local, start, _at| {
            match (ns, local) {
                (Ns::Saml, "Issuer") => a.issuer = sc.leaf(local)?,
                (Ns::Ds, "Signature") => {
                    sc.skip()?;
                }
                (Ns::Saml, "Subject") => {
                    children(sc, "Subject", |sc, ns, local, start, _at| {
                        if (ns, local) != (Ns::Saml, "NameID") {
                            return Ok(Handled::Unknown);
                        }
                        a.name_qualifier = attr(start, "NameQualifier").unwrap_or_default();
                        a.name_id = sc.leaf_coded(local)?;
                        Ok(Handled::Yes)
                    })?;
                }
                (Ns::Saml, "AttributeStatement") => {
                    children(sc, "AttributeStatement", |sc, ns, local, start, _at| {
                        if (ns, local) != (Ns::Saml, "Attribute") {
                            return Ok(Handled::Unknown);
                        }
                        let name = attr(start, "Name").unwrap_or_default();
                        let mut value = None;
                        children(sc, "Attribute", |sc, ns, local, _start, _at| {
                            if (ns, local) != (Ns::Saml, "AttributeValue") {
                                return Ok(Handled::Unknown);
                            }
                            let v = sc.leaf_coded(local)?;
                            value.get_or_insert(v);
                            Ok(Handled::Yes)
                        })?;
                        let value = value.unwrap_or_default();
                        match name.as_str() {
                            "identifiantFacturation" => {
                                a.attributes.identifiant_facturation = value
                            }
                            "codeSpecialiteAMO" => a.attributes.code_specialite_amo = Some(value),
                            "secteurActivite" => a.attributes.secteur_activite = value,
                            _ => {}
                        }
                        Ok(Handled::Yes)
                    })?;
                }
                _ => {
                    let _ = start;
                    return Ok(Handled::Unknown);
                }
            }
            Ok(Handled::Yes)
        })?;
        sc.finish()?;
        Ok(a)
    }
}

fn attribute(out: &mut String, name: &str, value: &str) {
    out.push_str("<Attribute Name=\"");
    c14n_attr(out, name);
    out.push_str("\"><AttributeValue>");
    c14n_text(out, value);
    out.push_str("</AttributeValue></Attribute>");
}

fn c14n_text(out: &mut String, s: &str) {
    let mut buf = Vec::with_capacity(s.len());
    xmldsig::escape_text(&mut buf, s);
    out.push_str(&String::from_utf8_lossy(&buf));
}

fn c14n_attr(out: &mut String, s: &str) {
    let mut buf = Vec::with_capacity(s.len());
    xmldsig::escape_attr(&mut buf, s);
    out.push_str(&String::from_utf8_lossy(&buf));
}

/// `NameQualifier` from the GIP card-type extension; `CPX` when absent or unknown (§2.5.2).
fn card_type(cert: &X509Certificate<'_>) -> &'static str {
    let ext = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == OID_GIP_CARD_TYPE);
    match ext.and_then(|e| e.value.last()) {
        Some(0) => "CPS",
        Some(1) => "CPF",
        Some(2) => "CDE-CPE",
        Some(3) => "CPA",
        _ => "CPX",
    }
}

/// The subject DN in RFC 4514 order (last RDN first), multi-valued RDNs joined by `+`, short
/// names for CN/SN/T/C/O/OU/L/ST and dotted OIDs otherwise — the shape of the captured
/// assertion (`2.5.4.42=OLIVIER+CN=00B6087510+SN=…,T=Infirmier,C=FR`).
pub(crate) fn subject_dn(cert: &X509Certificate<'_>) -> String {
    let mut rdns = Vec::new();
    for rdn in cert.subject().iter_rdn() {
        let parts: Vec<String> = rdn
            .iter()
            .map(|atv| {
                let oid = atv.attr_type().to_id_string();
                let name = match oid.as_str() {
                    "2.5.4.3" => "CN".to_owned(),
                    "2.5.4.4" => "SN".to_owned(),
                    "2.5.4.12" => "T".to_owned(),
                    "2.5.4.6" => "C".to_owned(),
                    "2.5.4.10" => "O".to_owned(),
                    "2.5.4.11" => "OU".to_owned(),
                    "2.5.4.7" => "L".to_owned(),
                    "2.5.4.8" => "ST".to_owned(),
                    _ => oid,
                };
                let value = atv
                    .as_str()
                    .map(escape_dn_value)
                    .unwrap_or_else(|_| format!("#{}", hex(atv.attr_value().data)));
                format!("{name}={value}")
            })
            .collect();
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    rdns.join(",")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn escape_dn_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
