//! Requests: the two bodies, the envelope around them, and its encoding (INSI-PROTOCOL.md §2.6,
//! §3.1–3.2). Decoding lives in `request_decode`.

use ins::Traits;

use crate::header::{CallIds, Caller, ContexteBam, ContexteLps, Couverture};
use crate::ns::{self, Operation};
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
        out.push_str("<soap:Envelope xmlns:soap=\"");
        out.push_str(ns::SOAP12);
        out.push_str("\"><soap:Header>");
        if let Some(bam) = &self.contexte_bam {
            encode_bam(out, bam);
        }
        if let Some(lps) = &self.contexte_lps {
            encode_lps(out, lps);
        }
        if let Some(action) = &self.action {
            out.push_str("<wsa:Action xmlns:wsa=\"");
            out.push_str(ns::WSA);
            out.push_str("\">");
            write::text(out, action);
            out.push_str("</wsa:Action>");
        }
        if let Some(id) = &self.message_id {
            out.push_str("<wsa:MessageID xmlns:wsa=\"");
            out.push_str(ns::WSA);
            out.push_str("\">");
            write::text(out, id);
            out.push_str("</wsa:MessageID>");
        }
        if !self.assertions.is_empty() {
            out.push_str("<wsse:Security xmlns:wsse=\"");
            out.push_str(ns::WSSE);
            out.push_str("\">");
            for a in &self.assertions {
                out.push_str(&a.xml);
            }
            out.push_str("</wsse:Security>");
        }
        out.push_str("</soap:Header><soap:Body>");
        match &self.body {
            RequestBody::RecSansVitale(b) => encode_recsans(out, b),
            RequestBody::RecVitale(b) => encode_recvit(out, b),
        }
        out.push_str("</soap:Body></soap:Envelope>");
    }
}

fn open_with_attrs(
    out: &mut String,
    tag: &str,
    xmlns: &str,
    uri: &str,
    attrs: &[(&str, Option<&str>)],
) {
    out.push('<');
    out.push_str(tag);
    out.push_str(" xmlns:");
    out.push_str(xmlns);
    out.push_str("=\"");
    out.push_str(uri);
    out.push('"');
    for (name, value) in attrs {
        if let Some(v) = value {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            write::attr(out, v);
            out.push('"');
        }
    }
    out.push('>');
}

fn encode_lps(out: &mut String, c: &ContexteLps) {
    open_with_attrs(
        out,
        "ctxlps:ContexteLPS",
        "ctxlps",
        ns::CTXLPS,
        &[
            ("Nature", c.nature.as_deref()),
            ("Version", Some(&c.version)),
        ],
    );
    write::leaf(out, "ctxlps:Id", &c.id);
    write::leaf(out, "ctxlps:Temps", &c.temps);
    write::opt_leaf(out, "ctxlps:Emetteur", c.emetteur.as_deref());
    if let Some(lps) = &c.lps {
        write::open(out, "ctxlps:LPS");
        if let Some(idam) = &lps.idam {
            out.push_str("<ctxlps:IDAM");
            if let Some(r) = &lps.idam_r {
                out.push_str(" R=\"");
                write::attr(out, r);
                out.push('"');
            }
            out.push('>');
            write::text(out, idam);
            write::close(out, "ctxlps:IDAM");
        }
        write::opt_leaf(out, "ctxlps:Version", lps.version.as_deref());
        write::opt_leaf(out, "ctxlps:Instance", lps.instance.as_deref());
        write::opt_leaf(out, "ctxlps:Nom", lps.nom.as_deref());
        write::close(out, "ctxlps:LPS");
    }
    write::close(out, "ctxlps:ContexteLPS");
}

fn encode_bam(out: &mut String, c: &ContexteBam) {
    open_with_attrs(
        out,
        "ctxbam:ContexteBAM",
        "ctxbam",
        ns::CTXBAM,
        &[
            ("Nature", c.nature.as_deref()),
            ("Version", Some(&c.version)),
        ],
    );
    write::leaf(out, "ctxbam:Id", &c.id);
    write::leaf(out, "ctxbam:Temps", &c.temps);
    write::opt_leaf(out, "ctxbam:Emetteur", c.emetteur.as_deref());
    write::opt_leaf(out, "ctxbam:DateRef", c.date_ref.as_deref());
    let cv = &c.couverture;
    if cv.is_empty() {
        // An empty COUVERTURE is required for a trait search (§2.4).
        out.push_str("<ctxbam:COUVERTURE/>");
    } else {
        write::open(out, "ctxbam:COUVERTURE");
        write::opt_leaf(out, "ctxbam:GrandRegime", cv.grand_regime.as_deref());
        write::opt_leaf(out, "ctxbam:Organisme", cv.organisme.as_deref());
        write::opt_leaf(out, "ctxbam:CodeCentre", cv.code_centre.as_deref());
        if let Some(assure) = &cv.assure {
            write::open(out, "ctxbam:ASSURE");
            write::open(out, "ctxbam:Id");
            write::leaf(out, "ctxbam:Num", &assure.num);
            write::opt_leaf(out, "ctxbam:Cle", assure.cle.as_deref());
            write::close(out, "ctxbam:Id");
            write::close(out, "ctxbam:ASSURE");
        }
        if let Some(b) = &cv.beneficiaire {
            write::open(out, "ctxbam:BENEFICIAIRE");
            if let Some(nir) = &b.nir {
                write::open(out, "ctxbam:Nir");
                write::leaf(out, "ctxbam:Num", &nir.num);
                write::opt_leaf(out, "ctxbam:Cle", nir.cle.as_deref());
                write::opt_leaf(
                    out,
                    "ctxbam:DateCertification",
                    b.date_certification.as_deref(),
                );
                write::close(out, "ctxbam:Nir");
            }
            write::opt_leaf(out, "ctxbam:DateNai", b.date_nai.as_deref());
            write::opt_leaf(out, "ctxbam:Rang", b.rang.as_deref());
            write::opt_leaf(out, "ctxbam:Porteur", b.porteur.as_deref());
            write::close(out, "ctxbam:BENEFICIAIRE");
        }
        write::close(out, "ctxbam:COUVERTURE");
    }
    write::close(out, "ctxbam:ContexteBAM");
}

fn encode_recsans(out: &mut String, b: &RecSansVitale) {
    out.push_str("<ins:RECSANSVITALE xmlns:ins=\"");
    out.push_str(ns::RECSANS);
    out.push_str("\">");
    write::opt_leaf(out, "ins:NomNaissance", b.nom_naissance.as_deref());
    for p in &b.prenoms {
        write::leaf(out, "ins:Prenom", p);
    }
    write::opt_leaf(out, "ins:Sexe", b.sexe.as_deref());
    write::opt_leaf(out, "ins:DateNaissance", b.date_naissance.as_deref());
    write::opt_leaf(out, "ins:LieuNaissance", b.lieu_naissance.as_deref());
    out.push_str("</ins:RECSANSVITALE>");
}

fn encode_matricule(out: &mut String, tag: &str, m: &MatriculeXml) {
    write::open(out, tag);
    write::leaf(out, "vit:NumIdentifiant", &m.num_identifiant);
    write::opt_leaf(out, "vit:Cle", m.cle.as_deref());
    write::opt_leaf(out, "vit:TypeMatricule", m.type_matricule.as_deref());
    write::close(out, tag);
}

fn encode_recvit(out: &mut String, b: &RecVitale) {
    out.push_str("<vit:RECVITALE xmlns:vit=\"");
    out.push_str(ns::RECVIT);
    out.push_str("\">");
    if let Some(m) = &b.matricule_individu {
        encode_matricule(out, "vit:MatriculeIndividu", m);
    }
    if let Some(m) = &b.matricule_od {
        encode_matricule(out, "vit:MatriculeOD", m);
    }
    write::opt_leaf(out, "vit:NomNaissance", b.nom_naissance.as_deref());
    write::opt_leaf(out, "vit:DateNaissance", b.date_naissance.as_deref());
    write::opt_leaf(out, "vit:RangNaissance", b.rang_naissance.as_deref());
    out.push_str("</vit:RECVITALE>");
}
