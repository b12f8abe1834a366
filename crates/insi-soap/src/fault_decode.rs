//! Decoding a SOAP 1.2 Fault and its `siram:Erreur` detail (INSI-PROTOCOL.md §4.1): QName
//! values under any prefix, `xml:lang`, severities outside the enum kept as received.

use crate::envelope::{Handled, children};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::fault::{Fault, SiramErreur};
use crate::ns::Ns;
use crate::scan::{Scanner, attr, trim};

/// The local part of a QName value (`soap:siram_100`, `S:Sender`, `siram_40`).
fn qname_local(value: &str) -> String {
    let v = trim(value);
    v.rsplit_once(':').map_or(v, |(_, local)| local).to_owned()
}

pub(crate) fn fault(sc: &mut Scanner<'_>, at: usize) -> Result<Fault, DecodeError> {
    let mut code = None;
    let mut subcode = None;
    let mut reason: Option<(String, Option<String>)> = None;
    let mut erreur = None;
    children(sc, "Fault", |sc, ns, local, _start, _at| {
        if ns != Ns::Soap12 {
            return Ok(Handled::Unknown);
        }
        match local {
            "Code" => {
                children(sc, "Code", |sc, ns, local, _start, _at| {
                    match (ns, local) {
                        (Ns::Soap12, "Value") => code = Some(qname_local(&sc.leaf(local)?)),
                        (Ns::Soap12, "Subcode") => {
                            // Only the first Subcode level is meaningful for INSi (siram_NN);
                            // deeper levels are skipped with a warning.
                            children(sc, "Subcode", |sc, ns, local, _start, _at| {
                                if (ns, local) == (Ns::Soap12, "Value") {
                                    subcode = Some(qname_local(&sc.leaf(local)?));
                                    Ok(Handled::Yes)
                                } else {
                                    Ok(Handled::Unknown)
                                }
                            })?;
                        }
                        _ => return Ok(Handled::Unknown),
                    }
                    Ok(Handled::Yes)
                })?;
            }
            "Reason" => {
                children(sc, "Reason", |sc, ns, local, start, _at| {
                    if (ns, local) != (Ns::Soap12, "Text") {
                        return Ok(Handled::Unknown);
                    }
                    let lang = attr(start, "xml:lang");
                    let text = sc.leaf(local)?;
                    // Several Text elements may exist (one per language): keep the first.
                    if reason.is_none() {
                        reason = Some((text, lang));
                    }
                    Ok(Handled::Yes)
                })?;
            }
            "Detail" => {
                children(sc, "Detail", |sc, ns, local, start, at| {
                    if (ns, local) != (Ns::Siram, "Erreur") || erreur.is_some() {
                        return Ok(Handled::Unknown);
                    }
                    let Some(code) = attr(start, "code") else {
                        return Err(sc.error(
                            at,
                            DecodeErrorKind::MissingAttribute {
                                element: "siram:Erreur",
                                attribute: "code",
                            },
                        ));
                    };
                    let severite = attr(start, "severite");
                    let message_id = attr(start, "messageID");
                    let text = sc.leaf(local)?;
                    if severite.is_none() {
                        sc.warn(at, "siram:Erreur has no severite".into());
                    }
                    erreur = Some(SiramErreur {
                        code,
                        severite: severite.unwrap_or_default(),
                        message_id,
                        text,
                    });
                    Ok(Handled::Yes)
                })?;
            }
            "Role" | "Node" => {
                sc.skip()?;
            }
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    let Some(code) = code else {
        return Err(sc.missing(at, "Fault", "Code/Value"));
    };
    let (reason, reason_lang) = reason.unwrap_or_default();
    Ok(Fault {
        code,
        subcode,
        reason,
        reason_lang,
        erreur,
    })
}
