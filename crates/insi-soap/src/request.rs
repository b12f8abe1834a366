//! Requests: the two bodies, the envelope around them, and its encoding (INSI-PROTOCOL.md §2.6,
//! §3.1–3.2). Decoding lives in `request_decode`.

use ins::Traits;

use crate::header::{CallIds, Caller, ContexteBam, ContexteLps, Couverture};
use crate::ns::Operation;
use crate::request_write::{BamHeader, Envelope, LpsHeader, LpsIdentity, write_envelope};
use crate::write;

/// `RECSANSVITALE`: a search by traits. Fields are text as they go on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RecSansVitale {
    pub nom_naissance: Option<String>,
    /// `Prenom` is 0..n in the XSD; clients send one, possibly holding several space-separated
    /// first names (the first-name strategy, §3.1).
    pub prenoms: Vec<String>,
    pub sexe: Option<String>,
    pub date_naissance: Option<String>,
    pub lieu_naissance: Option<String>,
}

impl RecSansVitale {
    /// A search with every first name of `traits` in one `Prenom` (the "all names" call).
    pub fn from_traits(traits: &Traits) -> RecSansVitale {
        Self::with_prenom(traits, &traits.prenoms.liste())
    }

    /// A search with one chosen `Prenom` (one call of the first-name loop). `prenom` should be
    /// one of `traits.prenoms` or their joined list.
    pub fn with_prenom(traits: &Traits, prenom: &str) -> RecSansVitale {
        RecSansVitale {
            nom_naissance: Some(traits.nom_naissance.as_str().to_owned()),
            prenoms: vec![prenom.to_owned()],
            sexe: Some(traits.sexe.as_str().to_owned()),
            date_naissance: Some(date_text(traits.date_naissance)),
            lieu_naissance: traits.lieu_naissance.map(|c| c.as_str().to_owned()),
        }
    }
}

/// `YYYY-MM-DD` without the formatting machinery (envelope building is a hot path).
fn date_text(d: ins::DateNaissance) -> String {
    let mut out = String::with_capacity(10);
    crate::header::push_digits(&mut out, i64::from(d.year()), 4);
    out.push('-');
    crate::header::push_digits(&mut out, i64::from(d.month()), 2);
    out.push('-');
    crate::header::push_digits(&mut out, i64::from(d.day()), 2);
    out
}

/// A matricule as the INSi schemas write it (`NumIdentifiant`, `Cle`, `TypeMatricule`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MatriculeXml {
    pub num_identifiant: String,
    pub cle: Option<String>,
    pub type_matricule: Option<String>,
}

impl MatriculeXml {
    pub fn new(num_identifiant: &str, cle: Option<&str>) -> MatriculeXml {
        MatriculeXml {
            num_identifiant: num_identifiant.to_owned(),
            cle: cle.map(str::to_owned),
            type_matricule: None,
        }
    }
}

/// `RECVITALE`: a search from Vitale card data (§3.2).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RecVitale {
    /// The beneficiary's own NIR, when the card has it.
    pub matricule_individu: Option<MatriculeXml>,
    /// The NIR of the ouvrant droit (assuré).
    pub matricule_od: Option<MatriculeXml>,
    pub nom_naissance: Option<String>,
    pub date_naissance: Option<String>,
    /// Rang gémellaire.
    pub rang_naissance: Option<String>,
}

/// The body of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum RequestBody {
    RecSansVitale(RecSansVitale),
    RecVitale(RecVitale),
}

impl RequestBody {
    /// The operation this body belongs to.
    pub fn operation(&self) -> Operation {
        match self {
            RequestBody::RecSansVitale(_) => Operation::RechercherInsAvecTraitsIdentite,
            RequestBody::RecVitale(_) => Operation::RechercherInsAvecCarteVitale,
        }
    }
}

/// A `saml:Assertion` carried in `wsse:Security`, as bytes.
///
/// When decoded, `xml` is the exact text of the element in the request and `inherited` lists
/// the namespace bindings in scope from its ancestors (a signature is checked over the
/// canonical form, which needs them): [`RawAssertion::standalone`] gives a self-contained
/// document for `xmldsig`. When encoding, `xml` is inserted verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RawAssertion {
    pub xml: String,
    /// `(prefix, uri)`, prefix `""` for the default namespace.
    pub inherited: Vec<(String, String)>,
}

impl RawAssertion {
    /// An assertion to send (already signed), with no inherited bindings.
    pub fn new(xml: impl Into<String>) -> RawAssertion {
        RawAssertion {
            xml: xml.into(),
            inherited: Vec::new(),
        }
    }

    /// The assertion as a document of its own: the bindings it inherited and does not redeclare
    /// are added to its start tag. Exclusive c14n renders only visibly used namespaces, so this
    /// does not change the canonical form a signature was computed over.
    pub fn standalone(&self) -> String {
        let Some(end_of_name) = self
            .xml
            .char_indices()
            .skip(1)
            .find(|(_, c)| c.is_whitespace() || *c == '>' || *c == '/')
            .map(|(i, _)| i)
        else {
            return self.xml.clone();
        };
        let head_end = self.xml.find('>').unwrap_or(self.xml.len());
        let head = &self.xml[..head_end];
        let mut extra = String::new();
        for (prefix, uri) in &self.inherited {
            let decl = if prefix.is_empty() {
                "xmlns".to_owned()
            } else {
                format!("xmlns:{prefix}")
            };
            let declared = head
                .match_indices(&decl)
                .any(|(i, _)| head[i + decl.len()..].trim_start().starts_with('='));
            if !declared {
                extra.push(' ');
                extra.push_str(&decl);
                extra.push_str("=\"");
                write::attr(&mut extra, uri);
                extra.push('"');
            }
        }
        let mut out = String::with_capacity(self.xml.len() + extra.len());
        out.push_str(&self.xml[..end_of_name]);
        out.push_str(&extra);
        out.push_str(&self.xml[end_of_name..]);
        out
    }
}

/// A whole request: headers and body. Headers are optional so that a decoded request can say
/// what a client left out; [`Request::rechercher_par_traits`] and
/// [`Request::rechercher_par_vitale`] fill them all.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Request {
    /// `wsa:Action`.
    pub action: Option<String>,
    /// `wsa:MessageID` (`uuid:…`).
    pub message_id: Option<String>,
    pub contexte_lps: Option<ContexteLps>,
    pub contexte_bam: Option<ContexteBam>,
    /// `wsse:Security` assertions, in order; `wsse:Security` is written only when non-empty.
    pub assertions: Vec<RawAssertion>,
    pub body: RequestBody,
}

impl Request {
    /// `rechercherInsAvecTraitsIdentite` with every header, an empty COUVERTURE and no
    /// `wsse:Security` (mTLS mode; add assertions for CPx mode).
    pub fn rechercher_par_traits(caller: &Caller, ids: &CallIds, body: RecSansVitale) -> Request {
        Self::build(
            caller,
            ids,
            Couverture::default(),
            RequestBody::RecSansVitale(body),
        )
    }

    /// `rechercherInsAvecCarteVitale`, with the COUVERTURE filled from the card (§2.4).
    pub fn rechercher_par_vitale(
        caller: &Caller,
        ids: &CallIds,
        body: RecVitale,
        couverture: Couverture,
    ) -> Request {
        Self::build(caller, ids, couverture, RequestBody::RecVitale(body))
    }

    fn build(caller: &Caller, ids: &CallIds, couverture: Couverture, body: RequestBody) -> Request {
        let temps = crate::header::format_temps(ids.temps);
        Request {
            action: Some(body.operation().action().to_owned()),
            message_id: Some(ids.message_id_text()),
            contexte_lps: Some(ContexteLps::with_temps(caller, ids, temps.clone())),
            contexte_bam: Some(ContexteBam::with_temps(caller, ids, couverture, temps)),
            assertions: Vec::new(),
            body,
        }
    }

    /// Adds a signed assertion to `wsse:Security`.
    pub fn with_assertion(mut self, assertion: RawAssertion) -> Request {
        self.assertions.push(assertion);
        self
    }

    pub fn operation(&self) -> Operation {
        self.body.operation()
    }

    /// The HTTP `Content-Type` to send this request with.
    pub fn content_type(&self) -> String {
        self.operation().content_type()
    }

    /// The SOAP 1.2 envelope, UTF-8, no XML declaration. Header order is the working clients'
    /// (BAM, LPS, Action, MessageID, Security — order is not significant, §1.2).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(
            1600 + self.assertions.iter().map(|a| a.xml.len()).sum::<usize>(),
        );
        self.encode_into(&mut out);
        out
    }

    /// [`Request::encode`] into a reusable buffer.
    pub fn encode_into(&self, out: &mut String) {
        let lps = self.contexte_lps.as_ref().map(|c| LpsHeader {
            nature: c.nature.as_deref(),
            version: &c.version,
            id: &c.id,
            temps: &c.temps,
            emetteur: c.emetteur.as_deref(),
            lps: c.lps.as_ref().map(|l| LpsIdentity {
                idam: l.idam.as_deref(),
                idam_r: l.idam_r.as_deref(),
                version: l.version.as_deref(),
                instance: l.instance.as_deref(),
                nom: l.nom.as_deref(),
            }),
        });
        let bam = self.contexte_bam.as_ref().map(|c| BamHeader {
            nature: c.nature.as_deref(),
            version: &c.version,
            id: &c.id,
            temps: &c.temps,
            emetteur: c.emetteur.as_deref(),
            date_ref: c.date_ref.as_deref(),
            couverture: &c.couverture,
        });
        write_envelope(
            out,
            &Envelope {
                bam,
                lps,
                action: self.action.as_deref(),
                message_id: self.message_id.as_deref(),
                assertions: &self.assertions,
                body: &self.body,
            },
        );
    }

    /// Writes the envelope of [`Request::rechercher_par_traits`] straight into `out`, without
    /// building the intermediate [`Request`] (no per-field allocation): the same bytes as
    /// `Request::rechercher_par_traits(caller, ids, body.clone()).encode()`, for hot loops.
    pub fn write_trait_search(
        caller: &Caller,
        ids: &CallIds,
        body: RecSansVitale,
        out: &mut String,
    ) {
        let temps = crate::header::format_temps(ids.temps);
        let mut lps_id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let mut bam_id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let mut msg = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let msg = ids.message_id.hyphenated().encode_lower(&mut msg);
        let mut message_id = String::with_capacity(5 + msg.len());
        message_id.push_str("uuid:");
        message_id.push_str(msg);
        let couverture = Couverture::default();
        let body = RequestBody::RecSansVitale(body);
        write_envelope(
            out,
            &Envelope {
                bam: Some(BamHeader {
                    nature: None,
                    version: "01_02",
                    id: ids.bam_id.hyphenated().encode_lower(&mut bam_id),
                    temps: &temps,
                    emetteur: Some(&caller.emetteur),
                    date_ref: None,
                    couverture: &couverture,
                }),
                lps: Some(LpsHeader {
                    nature: Some("CTXLPS"),
                    version: "01_00",
                    id: ids.lps_id.hyphenated().encode_lower(&mut lps_id),
                    temps: &temps,
                    emetteur: Some(&caller.emetteur),
                    lps: Some(LpsIdentity {
                        idam: Some(&caller.idam),
                        idam_r: Some("4"),
                        version: Some(&caller.lps_version),
                        instance: Some(&caller.instance),
                        nom: Some(&caller.nom),
                    }),
                }),
                action: Some(Operation::RechercherInsAvecTraitsIdentite.action()),
                message_id: Some(&message_id),
                assertions: &[],
                body: &body,
            },
        );
    }
}
