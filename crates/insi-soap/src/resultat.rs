//! `RESULTAT` (INSI-PROTOCOL.md §3.3–3.4): types and encoding in the styles seen on the wire.

use ins::{CodeCr, Matricule, Oid};

use crate::ns;
use crate::request::MatriculeXml;
use crate::write;

/// A search result: the CR and, for `00`, the identity.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Resultat {
    /// `CR/CodeCR` (unknown codes kept as received).
    pub cr: CodeCr,
    /// `CR/LibelleCR`, as received.
    pub libelle: String,
    /// `INDIVIDU`, present only with CR `00` on the live service.
    pub individu: Option<Individu>,
}

/// `INDIVIDU`: the active INS, its history, and the reference traits.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Individu {
    pub ins_actif: InsNumber,
    /// `INSHISTO`: absent, single or repeated (§3.3).
    pub ins_histo: Vec<InsNumber>,
    pub tiq: Tiq,
}

/// `IdentifiantNationalSante` (INSACTIF or INSHISTO): matricule, key, OID and validity dates.
/// Text as received; [`InsNumber::matricule`] checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct InsNumber {
    pub id_individu: MatriculeXml,
    pub oid: Oid,
    pub date_deb: Option<String>,
    pub date_fin: Option<String>,
}

/// `TIQ`: the reference traits, stored exactly as received (Guide INS EXI REC 07, §3.6).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tiq {
    pub nom_naissance: Option<String>,
    /// `Prenom`: the live service never sends it (only `ListePrenom`); CNDA files sometimes do.
    pub prenom: Option<String>,
    pub liste_prenom: Option<String>,
    pub sexe: Option<String>,
    pub date_naissance: Option<String>,
    pub lieu_naissance: Option<String>,
}

impl InsNumber {
    /// An INS with its key computed from the matricule.
    pub fn new(matricule: &Matricule, oid: Oid) -> InsNumber {
        InsNumber {
            id_individu: MatriculeXml::new(matricule.as_str(), Some(&matricule.cle().to_string())),
            oid,
            date_deb: None,
            date_fin: None,
        }
    }

    /// Parses the matricule and checks its key, if one was sent. CNDA files carry invalid keys
    /// on purpose (TEST_2.08 cas 2), so decoding never does this by itself; it warns.
    pub fn matricule(&self) -> Result<Matricule, String> {
        let m = Matricule::parse(&self.id_individu.num_identifiant).map_err(|e| e.to_string())?;
        if let Some(cle) = &self.id_individu.cle {
            let cle = cle
                .parse()
                .map_err(|e: ins::MatriculeError| e.to_string())?;
            m.check(cle).map_err(|e| e.to_string())?;
        }
        Ok(m)
    }
}

impl Tiq {
    /// The first first name: `Prenom` if sent, else the first space-separated token of
    /// `ListePrenom` (composed names keep their hyphen, §3.3).
    pub fn premier_prenom(&self) -> Option<&str> {
        self.prenom.as_deref().or_else(|| {
            self.liste_prenom
                .as_deref()?
                .split(' ')
                .find(|s| !s.is_empty())
        })
    }
}

impl Resultat {
    /// A `00` result.
    pub fn ok(individu: Individu) -> Resultat {
        Resultat {
            cr: CodeCr::Ok,
            libelle: "OK".into(),
            individu: Some(individu),
        }
    }

    /// A result without identity (`01`, `02`, …) with the service's libellé for known codes.
    pub fn without_identity(cr: CodeCr) -> Resultat {
        let libelle = cr.libelle().unwrap_or_default().to_owned();
        Resultat {
            cr,
            libelle,
            individu: None,
        }
    }

    /// The SOAP response envelope in the given style.
    pub fn encode(&self, style: ResultatStyle) -> String {
        let mut out = String::with_capacity(1200);
        self.encode_into(style, &mut out);
        out
    }

    pub fn encode_into(&self, style: ResultatStyle, out: &mut String) {
        // Element prefix of the RESULTAT vocabulary in each style.
        let p = match style {
            ResultatStyle::Live | ResultatStyle::PrenomEtListePrenom => "",
            ResultatStyle::Cnda => "ns2:",
        };
        match style {
            ResultatStyle::Live | ResultatStyle::PrenomEtListePrenom => {
                // Live capture (§3.3): Envelope `soap:`, Body `env:` also declaring `S:`,
                // RESULTAT in a default namespace with unused ns0/ns1 declarations.
                out.push_str("<soap:Envelope xmlns:soap=\"");
                out.push_str(ns::SOAP12);
                out.push_str("\"><env:Body xmlns:S=\"");
                out.push_str(ns::SOAP12);
                out.push_str("\" xmlns:env=\"");
                out.push_str(ns::SOAP12);
                out.push_str("\"><RESULTAT xmlns=\"");
                out.push_str(ns::RESULTAT);
                out.push_str("\" xmlns:ns0=\"");
                out.push_str(ns::RECVIT);
                out.push_str("\" xmlns:ns1=\"");
                out.push_str(ns::RECSANS);
                out.push_str("\">");
            }
            ResultatStyle::Cnda => {
                // CNDA files (§3.3): `ns2:` prefixes, default namespace INSiRecSans. The JAX-WS
                // `S:` envelope and the XML declaration are our guess of the rest (codec.md).
                out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<S:Envelope xmlns:S=\"");
                out.push_str(ns::SOAP12);
                out.push_str("\">\n  <S:Body>\n    <ns2:RESULTAT xmlns=\"");
                out.push_str(ns::RECSANS);
                out.push_str("\" xmlns:ns2=\"");
                out.push_str(ns::RESULTAT);
                out.push_str("\">");
            }
        }
        let e = write::Prefixed(p);
        e.open(out, "CR");
        e.leaf(out, "CodeCR", self.cr.code());
        e.leaf(out, "LibelleCR", &self.libelle);
        e.close(out, "CR");
        if let Some(ind) = &self.individu {
            e.open(out, "INDIVIDU");
            encode_ins(out, e, "INSACTIF", &ind.ins_actif);
            for h in &ind.ins_histo {
                encode_ins(out, e, "INSHISTO", h);
            }
            let t = &ind.tiq;
            e.open(out, "TIQ");
            e.opt_leaf(out, "NomNaissance", t.nom_naissance.as_deref());
            let prenom = match style {
                // The live service sends ListePrenom only.
                ResultatStyle::Live => None,
                ResultatStyle::Cnda => t.prenom.as_deref(),
                ResultatStyle::PrenomEtListePrenom => t.premier_prenom(),
            };
            e.opt_leaf(out, "Prenom", prenom);
            e.opt_leaf(out, "ListePrenom", t.liste_prenom.as_deref());
            e.opt_leaf(out, "Sexe", t.sexe.as_deref());
            e.opt_leaf(out, "DateNaissance", t.date_naissance.as_deref());
            e.opt_leaf(out, "LieuNaissance", t.lieu_naissance.as_deref());
            e.close(out, "TIQ");
            e.close(out, "INDIVIDU");
        }
        match style {
            ResultatStyle::Live | ResultatStyle::PrenomEtListePrenom => {
                out.push_str("</RESULTAT></env:Body></soap:Envelope>");
            }
            ResultatStyle::Cnda => out.push_str("</ns2:RESULTAT>\n  </S:Body>\n</S:Envelope>\n"),
        }
    }
}

fn encode_ins(out: &mut String, e: write::Prefixed<'_>, name: &str, ins: &InsNumber) {
    e.open(out, name);
    e.open(out, "IdIndividu");
    e.leaf(out, "NumIdentifiant", &ins.id_individu.num_identifiant);
    e.opt_leaf(out, "Cle", ins.id_individu.cle.as_deref());
    e.opt_leaf(
        out,
        "TypeMatricule",
        ins.id_individu.type_matricule.as_deref(),
    );
    e.close(out, "IdIndividu");
    e.leaf(out, "OID", ins.oid.as_str());
    e.opt_leaf(out, "DateDeb", ins.date_deb.as_deref());
    e.opt_leaf(out, "DateFin", ins.date_fin.as_deref());
    e.close(out, name);
}

/// How a `RESULTAT` is written. All decode to the same [`Resultat`] (except `Prenom`, which
/// `Live` never writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ResultatStyle {
    /// The live qualification capture (§3.3): `soap:` Envelope, `env:` Body also declaring
    /// `S:`, default-namespace RESULTAT with unused `ns0`/`ns1`, `ListePrenom` only, no
    /// whitespace.
    #[default]
    Live,
    /// CNDA response files: `ns2:` prefixes, default namespace INSiRecSans, indented envelope,
    /// `Prenom` written when the [`Tiq`] has one.
    Cnda,
    /// Live syntax with both `Prenom` (given, or the first of `ListePrenom`) and `ListePrenom`.
    PrenomEtListePrenom,
}
