//! Decoding requests (the simulator's side): headers, bodies, and each assertion's exact bytes.

use crate::envelope::{Handled, children, walk};
use crate::error::{DecodeError, DecodeErrorKind, Limits, Warning};
use crate::header::{Beneficiaire, ContexteBam, ContexteLps, Couverture, Lps, Nir};
use crate::ns::Ns;
use crate::request::{MatriculeXml, RawAssertion, RecSansVitale, RecVitale, Request, RequestBody};
use crate::scan::{Scanner, attr};

/// A request as received, with what decoding tolerated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedRequest {
    pub request: Request,
    pub warnings: Vec<Warning>,
}

/// Decodes a SOAP 1.2 INSi request with the default [`Limits`].
pub fn decode_request(input: &[u8]) -> Result<DecodedRequest, DecodeError> {
    decode_request_with(input, Limits::DEFAULT)
}

/// Decodes a SOAP 1.2 INSi request.
pub fn decode_request_with(input: &[u8], limits: Limits) -> Result<DecodedRequest, DecodeError> {
    let mut sc = Scanner::new(input, limits)?;
    let mut action = None;
    let mut message_id = None;
    let mut lps = None;
    let mut bam = None;
    let mut assertions = Vec::new();
    let mut body = None;
    walk(
        &mut sc,
        |sc, ns, local, start, at| {
            match (ns, local) {
                (Ns::Wsa, "Action") => action = Some(sc.leaf_coded("Action")?),
                (Ns::Wsa, "MessageID") => message_id = Some(sc.leaf_coded("MessageID")?),
                (Ns::CtxLps, "ContexteLPS") => {
                    lps = Some(contexte_lps(
                        sc,
                        attr(start, "Nature"),
                        attr(start, "Version"),
                    )?)
                }
                (Ns::CtxBam, "ContexteBAM") => {
                    bam = Some(contexte_bam(
                        sc,
                        attr(start, "Nature"),
                        attr(start, "Version"),
                    )?)
                }
                (Ns::Wsse, "Security") => security(sc, &mut assertions, at)?,
                _ => return Ok(Handled::Unknown),
            }
            Ok(Handled::Yes)
        },
        |sc, ns, local, _start, at| {
            match (ns, local) {
                (Ns::RecSans, "RECSANSVITALE") => {
                    body = Some(RequestBody::RecSansVitale(recsans(sc)?))
                }
                (Ns::RecVit, "RECVITALE") => body = Some(RequestBody::RecVitale(recvit(sc)?)),
                _ => {
                    let found = crate::scan::describe(_start);
                    return Err(sc.error(
                        at,
                        DecodeErrorKind::UnexpectedPayload {
                            found: format!("<{found}>"),
                            expected: "an INSi request ({http://www.cnamts.fr/INSiRecSans}RECSANSVITALE \
                                       or {http://www.cnamts.fr/INSiRecVit}RECVITALE)",
                        },
                    ));
                }
            }
            Ok(Handled::Yes)
        },
    )?;
    let Some(body) = body else {
        return Err(sc.error(
            sc.input().len(),
            DecodeErrorKind::EmptyBody {
                expected: "RECSANSVITALE or RECVITALE",
            },
        ));
    };
    Ok(DecodedRequest {
        request: Request {
            action,
            message_id,
            contexte_lps: lps,
            contexte_bam: bam,
            assertions,
            body,
        },
        warnings: std::mem::take(&mut sc.warnings),
    })
}

fn security(
    sc: &mut Scanner<'_>,
    assertions: &mut Vec<RawAssertion>,
    _at: usize,
) -> Result<(), DecodeError> {
    let limit = sc.limits().max_repeats;
    children(sc, "Security", |sc, ns, local, start, at| {
        if (ns, local) != (Ns::Saml, "Assertion") {
            return Ok(Handled::Unknown);
        }
        if assertions.len() >= limit {
            return Err(sc.error(
                at,
                DecodeErrorKind::TooMany {
                    element: "saml:Assertion",
                    limit,
                },
            ));
        }
        // Bindings from the ancestors only: those the element declares itself are in its bytes.
        let own: Vec<String> = start
            .attributes()
            .filter_map(|a| match a.key.strip_prefix("xmlns") {
                Some("") => Some(String::new()),
                Some(rest) => rest.strip_prefix(':').map(str::to_owned),
                None => None,
            })
            .collect();
        let mut inherited = sc.bindings();
        inherited.retain(|(prefix, _)| !own.contains(prefix));
        let end = sc.skip()?;
        let xml = sc.source().get(at..end).unwrap_or_default().to_owned();
        assertions.push(RawAssertion { xml, inherited });
        Ok(Handled::Yes)
    })?;
    Ok(())
}

fn opt(sc: &mut Scanner<'_>, name: &str) -> Result<Option<String>, DecodeError> {
    Ok(Some(sc.leaf(name)?))
}

fn coded(sc: &mut Scanner<'_>, name: &str) -> Result<Option<String>, DecodeError> {
    Ok(Some(sc.leaf_coded(name)?))
}

fn contexte_lps(
    sc: &mut Scanner<'_>,
    nature: Option<String>,
    version: Option<String>,
) -> Result<ContexteLps, DecodeError> {
    let mut c = ContexteLps {
        nature,
        version: version.unwrap_or_default(),
        id: String::new(),
        temps: String::new(),
        emetteur: None,
        lps: None,
    };
    children(sc, "ContexteLPS", |sc, ns, local, _start, _at| {
        if ns != Ns::CtxLps {
            return Ok(Handled::Unknown);
        }
        match local {
            "Id" => c.id = sc.leaf_coded(local)?,
            "Temps" => c.temps = sc.leaf_coded(local)?,
            "Emetteur" => c.emetteur = coded(sc, local)?,
            "LPS" => {
                let mut lps = Lps::default();
                children(sc, "LPS", |sc, ns, local, start, _at| {
                    if ns != Ns::CtxLps {
                        return Ok(Handled::Unknown);
                    }
                    match local {
                        "IDAM" => {
                            lps.idam_r = attr(start, "R");
                            lps.idam = coded(sc, local)?;
                        }
                        "Version" => lps.version = opt(sc, local)?,
                        "Instance" => lps.instance = coded(sc, local)?,
                        "Nom" => lps.nom = opt(sc, local)?,
                        _ => return Ok(Handled::Unknown),
                    }
                    Ok(Handled::Yes)
                })?;
                c.lps = Some(lps);
            }
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    Ok(c)
}

fn contexte_bam(
    sc: &mut Scanner<'_>,
    nature: Option<String>,
    version: Option<String>,
) -> Result<ContexteBam, DecodeError> {
    let mut c = ContexteBam {
        nature,
        version: version.unwrap_or_default(),
        id: String::new(),
        temps: String::new(),
        emetteur: None,
        date_ref: None,
        couverture: Couverture::default(),
    };
    children(sc, "ContexteBAM", |sc, ns, local, _start, _at| {
        if ns != Ns::CtxBam {
            return Ok(Handled::Unknown);
        }
        match local {
            "Id" => c.id = sc.leaf_coded(local)?,
            "Temps" => c.temps = sc.leaf_coded(local)?,
            "Emetteur" => c.emetteur = coded(sc, local)?,
            "DateRef" => c.date_ref = coded(sc, local)?,
            "COUVERTURE" => c.couverture = couverture(sc)?,
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    Ok(c)
}

fn nir(
    sc: &mut Scanner<'_>,
    parent: &str,
    date_certification: &mut Option<String>,
) -> Result<Nir, DecodeError> {
    let mut n = Nir::default();
    children(sc, parent, |sc, ns, local, _start, _at| {
        if ns != Ns::CtxBam {
            return Ok(Handled::Unknown);
        }
        match local {
            "Num" => n.num = sc.leaf_coded(local)?,
            "Cle" => n.cle = coded(sc, local)?,
            "DateCertification" => *date_certification = coded(sc, local)?,
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    Ok(n)
}

fn couverture(sc: &mut Scanner<'_>) -> Result<Couverture, DecodeError> {
    let mut c = Couverture::default();
    children(sc, "COUVERTURE", |sc, ns, local, _start, _at| {
        if ns != Ns::CtxBam {
            return Ok(Handled::Unknown);
        }
        match local {
            "GrandRegime" => c.grand_regime = coded(sc, local)?,
            "Organisme" => c.organisme = coded(sc, local)?,
            "CodeCentre" => c.code_centre = coded(sc, local)?,
            "ASSURE" => {
                let mut id = None;
                children(sc, "ASSURE", |sc, ns, local, _start, _at| {
                    if (ns, local) != (Ns::CtxBam, "Id") {
                        return Ok(Handled::Unknown);
                    }
                    let mut ignored = None;
                    id = Some(nir(sc, "Id", &mut ignored)?);
                    Ok(Handled::Yes)
                })?;
                c.assure = id;
            }
            "BENEFICIAIRE" => {
                let mut b = Beneficiaire::default();
                children(sc, "BENEFICIAIRE", |sc, ns, local, _start, _at| {
                    if ns != Ns::CtxBam {
                        return Ok(Handled::Unknown);
                    }
                    match local {
                        "Nir" => b.nir = Some(nir(sc, "Nir", &mut b.date_certification)?),
                        "DateNai" => b.date_nai = coded(sc, local)?,
                        "Rang" => b.rang = coded(sc, local)?,
                        "Porteur" => b.porteur = coded(sc, local)?,
                        _ => return Ok(Handled::Unknown),
                    }
                    Ok(Handled::Yes)
                })?;
                c.beneficiaire = Some(b);
            }
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    Ok(c)
}

fn recsans(sc: &mut Scanner<'_>) -> Result<RecSansVitale, DecodeError> {
    let mut b = RecSansVitale::default();
    let limit = sc.limits().max_repeats;
    children(sc, "RECSANSVITALE", |sc, ns, local, _start, at| {
        if ns != Ns::RecSans {
            return Ok(Handled::Unknown);
        }
        match local {
            "NomNaissance" => b.nom_naissance = opt(sc, local)?,
            "Prenom" => {
                if b.prenoms.len() >= limit {
                    return Err(sc.error(
                        at,
                        DecodeErrorKind::TooMany {
                            element: "Prenom",
                            limit,
                        },
                    ));
                }
                b.prenoms.push(sc.leaf(local)?);
            }
            "Sexe" => b.sexe = coded(sc, local)?,
            "DateNaissance" => b.date_naissance = coded(sc, local)?,
            "LieuNaissance" => b.lieu_naissance = coded(sc, local)?,
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    Ok(b)
}

fn matricule(sc: &mut Scanner<'_>, parent: &str) -> Result<MatriculeXml, DecodeError> {
    let mut m = MatriculeXml::default();
    children(sc, parent, |sc, ns, local, _start, _at| {
        if ns != Ns::RecVit {
            return Ok(Handled::Unknown);
        }
        match local {
            "NumIdentifiant" => m.num_identifiant = sc.leaf_coded(local)?,
            "Cle" => m.cle = coded(sc, local)?,
            "TypeMatricule" => m.type_matricule = coded(sc, local)?,
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    Ok(m)
}

fn recvit(sc: &mut Scanner<'_>) -> Result<RecVitale, DecodeError> {
    let mut b = RecVitale::default();
    children(sc, "RECVITALE", |sc, ns, local, _start, _at| {
        if ns != Ns::RecVit {
            return Ok(Handled::Unknown);
        }
        match local {
            "MatriculeIndividu" => b.matricule_individu = Some(matricule(sc, local)?),
            "MatriculeOD" => b.matricule_od = Some(matricule(sc, local)?),
            "NomNaissance" => b.nom_naissance = opt(sc, local)?,
            "DateNaissance" => b.date_naissance = coded(sc, local)?,
            "RangNaissance" => b.rang_naissance = coded(sc, local)?,
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    Ok(b)
}
