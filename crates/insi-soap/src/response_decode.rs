//! Decoding responses: `RESULTAT` or a SOAP 1.2 Fault, tolerant of every variation seen on the
//! wire (INSI-PROTOCOL.md §3.3, §4.1; list in `docs/codec.md`).

use ins::{CodeCr, Oid};

use crate::envelope::{Handled, children, walk};
use crate::error::{DecodeError, DecodeErrorKind, Limits, Warning};
use crate::fault::Fault;
use crate::ns::Ns;
use crate::request::MatriculeXml;
use crate::resultat::{Individu, InsNumber, Resultat, Tiq};
use crate::scan::{Scanner, describe};

/// What the service answered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Response {
    Resultat(Resultat),
    Fault(Fault),
}

/// A response as received, with what decoding tolerated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedResponse {
    pub response: Response,
    pub warnings: Vec<Warning>,
}

/// Decodes a response body (HTTP 200 RESULTAT or HTTP 500 Fault) with the default [`Limits`].
pub fn decode_response(input: &[u8]) -> Result<DecodedResponse, DecodeError> {
    decode_response_with(input, Limits::DEFAULT)
}

const EXPECTED: &str =
    "an INSi response ({http://www.cnamts.fr/INSiResultat}RESULTAT or a SOAP 1.2 Fault)";

/// Decodes a response body.
pub fn decode_response_with(input: &[u8], limits: Limits) -> Result<DecodedResponse, DecodeError> {
    let mut sc = Scanner::new(input, limits)?;
    let mut response = None;
    walk(
        &mut sc,
        // Responses carry no header (§1.2); one is tolerated and ignored.
        |_sc, _ns, _local, _start, _at| Ok(Handled::Unknown),
        |sc, ns, local, start, at| {
            match (ns, local) {
                (Ns::Resultat, "RESULTAT") => {
                    response = Some(Response::Resultat(resultat(sc, at)?))
                }
                (Ns::Soap12, "Fault") => {
                    response = Some(Response::Fault(crate::fault_decode::fault(sc, at)?))
                }
                _ => {
                    // A RESULTAT in another namespace is not a result (§3.3: parse by URI).
                    return Err(sc.error(
                        at,
                        DecodeErrorKind::UnexpectedPayload {
                            found: format!("<{}> in namespace {}", describe(start), ns_name(ns)),
                            expected: EXPECTED,
                        },
                    ));
                }
            }
            Ok(Handled::Yes)
        },
    )?;
    let Some(response) = response else {
        return Err(sc.error(
            sc.input().len(),
            DecodeErrorKind::EmptyBody { expected: EXPECTED },
        ));
    };
    Ok(DecodedResponse {
        response,
        warnings: std::mem::take(&mut sc.warnings),
    })
}

fn ns_name(ns: Ns) -> &'static str {
    match ns {
        Ns::None => "(none)",
        Ns::Other => "(not an INSi one)",
        Ns::RecSans => crate::ns::RECSANS,
        Ns::RecVit => crate::ns::RECVIT,
        Ns::Soap11 => crate::ns::SOAP11,
        _ => "(an unexpected one)",
    }
}

fn resultat(sc: &mut Scanner<'_>, at: usize) -> Result<Resultat, DecodeError> {
    let mut cr: Option<(CodeCr, Option<String>)> = None;
    let mut individu = None;
    let mut individu_at = 0;
    let end = children(sc, "RESULTAT", |sc, ns, local, _start, at| {
        if ns != Ns::Resultat {
            return Ok(Handled::Unknown);
        }
        match local {
            "CR" => {
                let mut code = None;
                let mut libelle = None;
                children(sc, "CR", |sc, ns, local, _start, _at| {
                    match (ns, local) {
                        (Ns::Resultat, "CodeCR") => code = Some(sc.leaf_code(local, CodeCr::new)?),
                        (Ns::Resultat, "LibelleCR") => libelle = Some(sc.leaf(local)?),
                        _ => return Ok(Handled::Unknown),
                    }
                    Ok(Handled::Yes)
                })?;
                let Some(code) = code else {
                    return Err(sc.missing(at, "CR", "CodeCR"));
                };
                cr = Some((code, libelle));
            }
            "INDIVIDU" => {
                individu_at = at;
                individu = Some(read_individu(sc, at)?);
            }
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    let Some((cr, libelle)) = cr else {
        return Err(sc.missing(at, "RESULTAT", "CR"));
    };
    if libelle.is_none() {
        sc.warn(end, "CR has no LibelleCR".into());
    }
    if individu.is_some() && cr != CodeCr::Ok {
        sc.warn(
            individu_at,
            format!(
                "INDIVIDU present with CR {}; kept, but only 00 carries an identity",
                cr.code()
            ),
        );
    }
    if individu.is_none() && cr == CodeCr::Ok {
        sc.warn(end, "CR 00 without INDIVIDU".into());
    }
    Ok(Resultat {
        cr,
        libelle: libelle.unwrap_or_default(),
        individu,
    })
}

fn read_individu(sc: &mut Scanner<'_>, at: usize) -> Result<Individu, DecodeError> {
    let mut actif = None;
    let mut histo = Vec::new();
    let mut tiq = None;
    let limit = sc.limits().max_repeats;
    children(sc, "INDIVIDU", |sc, ns, local, _start, at| {
        if ns != Ns::Resultat {
            return Ok(Handled::Unknown);
        }
        match local {
            "INSACTIF" => actif = Some(ins_number(sc, "INSACTIF", at)?),
            "INSHISTO" => {
                if histo.len() >= limit {
                    return Err(sc.error(
                        at,
                        DecodeErrorKind::TooMany {
                            element: "INSHISTO",
                            limit,
                        },
                    ));
                }
                histo.push(ins_number(sc, "INSHISTO", at)?);
            }
            "TIQ" => tiq = Some(read_tiq(sc)?),
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    let Some(ins_actif) = actif else {
        return Err(sc.missing(at, "INDIVIDU", "INSACTIF"));
    };
    let Some(tiq) = tiq else {
        return Err(sc.missing(at, "INDIVIDU", "TIQ"));
    };
    Ok(Individu {
        ins_actif,
        ins_histo: histo,
        tiq,
    })
}

fn ins_number(
    sc: &mut Scanner<'_>,
    name: &'static str,
    at: usize,
) -> Result<InsNumber, DecodeError> {
    let mut id = None;
    let mut oid = None;
    let mut date_deb = None;
    let mut date_fin = None;
    // Any order: CNDA-derived files put DateDeb/DateFin first (§3.3).
    children(sc, name, |sc, ns, local, _start, at| {
        if ns != Ns::Resultat {
            return Ok(Handled::Unknown);
        }
        match local {
            "IdIndividu" => {
                let mut m = MatriculeXml::default();
                let mut has_num = false;
                children(sc, "IdIndividu", |sc, ns, local, _start, _at| {
                    if ns != Ns::Resultat {
                        return Ok(Handled::Unknown);
                    }
                    match local {
                        "NumIdentifiant" => {
                            has_num = true;
                            m.num_identifiant = sc.leaf_coded(local)?;
                        }
                        "Cle" => m.cle = Some(sc.leaf_coded(local)?),
                        "TypeMatricule" => m.type_matricule = Some(sc.leaf_coded(local)?),
                        _ => return Ok(Handled::Unknown),
                    }
                    Ok(Handled::Yes)
                })?;
                if !has_num {
                    return Err(sc.missing(at, "IdIndividu", "NumIdentifiant"));
                }
                id = Some((m, at));
            }
            "OID" => oid = Some(sc.leaf_code(local, Oid::new)?),
            "DateDeb" => date_deb = Some(sc.leaf_coded(local)?),
            "DateFin" => date_fin = Some(sc.leaf_coded(local)?),
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    let Some((id_individu, id_at)) = id else {
        return Err(sc.missing(at, name, "IdIndividu"));
    };
    let Some(oid) = oid else {
        return Err(sc.missing(at, name, "OID"));
    };
    let number = InsNumber {
        id_individu,
        oid,
        date_deb,
        date_fin,
    };
    if let Err(why) = number.matricule() {
        sc.warn(id_at, format!("{name}: {why}"));
    }
    Ok(number)
}

fn read_tiq(sc: &mut Scanner<'_>) -> Result<Tiq, DecodeError> {
    let mut t = Tiq::default();
    children(sc, "TIQ", |sc, ns, local, _start, _at| {
        if ns != Ns::Resultat {
            return Ok(Handled::Unknown);
        }
        // Traits are kept exactly as sent (stored "à l'identique", §3.6); codes are trimmed.
        match local {
            "NomNaissance" => t.nom_naissance = Some(sc.leaf(local)?),
            "Prenom" => t.prenom = Some(sc.leaf(local)?),
            "ListePrenom" => t.liste_prenom = Some(sc.leaf(local)?),
            "Sexe" => t.sexe = Some(sc.leaf_coded(local)?),
            "DateNaissance" => t.date_naissance = Some(sc.leaf_coded(local)?),
            "LieuNaissance" => t.lieu_naissance = Some(sc.leaf_coded(local)?),
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    Ok(t)
}
