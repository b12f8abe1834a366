//! Writing request envelopes. [`write_envelope`] works on borrowed views so that both
//! `Request::encode` and the allocation-free `Request::write_trait_search` share one writer.

use crate::header::Couverture;
use crate::ns;
use crate::request::{MatriculeXml, RawAssertion, RecSansVitale, RecVitale, RequestBody};
use crate::write;

pub(crate) struct LpsHeader<'a> {
    pub nature: Option<&'a str>,
    pub version: &'a str,
    pub id: &'a str,
    pub temps: &'a str,
    pub emetteur: Option<&'a str>,
    pub lps: Option<LpsIdentity<'a>>,
}

pub(crate) struct LpsIdentity<'a> {
    pub idam: Option<&'a str>,
    pub idam_r: Option<&'a str>,
    pub version: Option<&'a str>,
    pub instance: Option<&'a str>,
    pub nom: Option<&'a str>,
}

pub(crate) struct BamHeader<'a> {
    pub nature: Option<&'a str>,
    pub version: &'a str,
    pub id: &'a str,
    pub temps: &'a str,
    pub emetteur: Option<&'a str>,
    pub date_ref: Option<&'a str>,
    pub couverture: &'a Couverture,
}

pub(crate) struct Envelope<'a> {
    pub bam: Option<BamHeader<'a>>,
    pub lps: Option<LpsHeader<'a>>,
    pub action: Option<&'a str>,
    pub message_id: Option<&'a str>,
    pub assertions: &'a [RawAssertion],
    pub body: &'a RequestBody,
}

/// The SOAP 1.2 envelope. Header order is the working clients' (BAM, LPS, Action, MessageID,
/// Security — order is not significant, §1.2).
pub(crate) fn write_envelope(out: &mut String, e: &Envelope<'_>) {
    out.push_str("<soap:Envelope xmlns:soap=\"");
    out.push_str(ns::SOAP12);
    out.push_str("\"><soap:Header>");
    if let Some(bam) = &e.bam {
        encode_bam(out, bam);
    }
    if let Some(lps) = &e.lps {
        encode_lps(out, lps);
    }
    if let Some(action) = e.action {
        out.push_str("<wsa:Action xmlns:wsa=\"");
        out.push_str(ns::WSA);
        out.push_str("\">");
        write::text(out, action);
        out.push_str("</wsa:Action>");
    }
    if let Some(id) = e.message_id {
        out.push_str("<wsa:MessageID xmlns:wsa=\"");
        out.push_str(ns::WSA);
        out.push_str("\">");
        write::text(out, id);
        out.push_str("</wsa:MessageID>");
    }
    if !e.assertions.is_empty() {
        out.push_str("<wsse:Security xmlns:wsse=\"");
        out.push_str(ns::WSSE);
        out.push_str("\">");
        for a in e.assertions {
            out.push_str(&a.xml);
        }
        out.push_str("</wsse:Security>");
    }
    out.push_str("</soap:Header><soap:Body>");
    match e.body {
        RequestBody::RecSansVitale(b) => encode_recsans(out, b),
        RequestBody::RecVitale(b) => encode_recvit(out, b),
    }
    out.push_str("</soap:Body></soap:Envelope>");
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

fn encode_lps(out: &mut String, c: &LpsHeader<'_>) {
    open_with_attrs(
        out,
        "ctxlps:ContexteLPS",
        "ctxlps",
        ns::CTXLPS,
        &[("Nature", c.nature), ("Version", Some(c.version))],
    );
    write::leaf(out, "ctxlps:Id", c.id);
    write::leaf(out, "ctxlps:Temps", c.temps);
    write::opt_leaf(out, "ctxlps:Emetteur", c.emetteur);
    if let Some(lps) = &c.lps {
        write::open(out, "ctxlps:LPS");
        if let Some(idam) = lps.idam {
            out.push_str("<ctxlps:IDAM");
            if let Some(r) = lps.idam_r {
                out.push_str(" R=\"");
                write::attr(out, r);
                out.push('"');
            }
            out.push('>');
            write::text(out, idam);
            write::close(out, "ctxlps:IDAM");
        }
        write::opt_leaf(out, "ctxlps:Version", lps.version);
        write::opt_leaf(out, "ctxlps:Instance", lps.instance);
        write::opt_leaf(out, "ctxlps:Nom", lps.nom);
        write::close(out, "ctxlps:LPS");
    }
    write::close(out, "ctxlps:ContexteLPS");
}

fn encode_bam(out: &mut String, c: &BamHeader<'_>) {
    open_with_attrs(
        out,
        "ctxbam:ContexteBAM",
        "ctxbam",
        ns::CTXBAM,
        &[("Nature", c.nature), ("Version", Some(c.version))],
    );
    write::leaf(out, "ctxbam:Id", c.id);
    write::leaf(out, "ctxbam:Temps", c.temps);
    write::opt_leaf(out, "ctxbam:Emetteur", c.emetteur);
    write::opt_leaf(out, "ctxbam:DateRef", c.date_ref);
    let cv = c.couverture;
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
