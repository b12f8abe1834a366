//! Helpers shared by the behaviour tests: TLS clients built from the embedded simulator's PKI,
//! requests in several shapes, and response decoding.

#![allow(dead_code)]

use insi_sim::pki::Credential;
use insi_soap::{CallIds, Caller, RecSansVitale, Request, Response};

pub const ACTION_TRAITS: &str =
    "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite";
pub const ACTION_VITALE: &str = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale";

/// A client trusting only `ca_pem`, presenting `identity` if given.
pub fn client(ca_pem: &str, identity: Option<&Credential>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .timeout(std::time::Duration::from_secs(10));
    if let Some(id) = identity {
        b = b.identity(reqwest::Identity::from_pem(id.identity_pem().as_bytes()).unwrap());
    }
    b.build().unwrap()
}

/// POSTs a SOAP body; `Err` carries the transport error text.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: impl Into<String>,
    extra: &[(&str, &str)],
) -> Result<(u16, String), String> {
    let mut req = client
        .post(url)
        .header("content-type", "application/soap+xml; charset=utf-8")
        .body(body.into());
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.map_err(|e| format!("{e:?}"))?;
    let status = resp.status().as_u16();
    Ok((status, resp.text().await.map_err(|e| format!("{e:?}"))?))
}

pub fn caller(idam: &str) -> Caller {
    Caller {
        idam: idam.into(),
        lps_version: "1.0".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:insi-bench-tests:1.0".into(),
        emetteur: "TESTBENCH01".into(),
    }
}

/// Shape 1: the codec's own writer (P-like header order, ContexteBAM without Nature).
pub fn traits_request(
    nom: &str,
    prenom: &str,
    sexe: &str,
    date: &str,
    cog: Option<&str>,
) -> String {
    traits_request_idam("INSIBENCH001", nom, prenom, sexe, date, cog)
}

pub fn traits_request_idam(
    idam: &str,
    nom: &str,
    prenom: &str,
    sexe: &str,
    date: &str,
    cog: Option<&str>,
) -> String {
    let body = RecSansVitale {
        nom_naissance: Some(nom.into()),
        prenoms: vec![prenom.into()],
        sexe: Some(sexe.into()),
        date_naissance: Some(date.into()),
        lieu_naissance: cog.map(Into::into),
    };
    Request::rechercher_par_traits(&caller(idam), &CallIds::fresh(), body).encode()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('\'', "&apos;")
}

/// Shape 2: hand-written like the Pyxvital templates — MessageID, Action first, then BAM with
/// `Nature="CTXBAM"`, then LPS; `soapenv` prefix, namespaces declared on the Envelope.
pub fn traits_request_shape2(
    nom: &str,
    prenom: &str,
    sexe: &str,
    date: &str,
    cog: Option<&str>,
) -> String {
    let lieu = cog
        .map(|c| format!("<rs:LieuNaissance>{c}</rs:LieuNaissance>"))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:b="urn:siram:bam:ctxbam" xmlns:l="urn:siram:lps:ctxlps" xmlns:rs="http://www.cnamts.fr/INSiRecSans">
  <soapenv:Header>
    <a:MessageID>uuid:0b0e7c52-1111-4a8e-9b8e-2d5c0c8e0001</a:MessageID>
    <a:Action>{ACTION_TRAITS}</a:Action>
    <b:ContexteBAM Nature="CTXBAM" Version="01_02"><b:Id>1</b:Id><b:Temps>2026-11-26T10:00:00.000Z</b:Temps><b:Emetteur>TESTBENCH01</b:Emetteur><b:COUVERTURE/></b:ContexteBAM>
    <l:ContexteLPS Nature="CTXLPS" Version="01_00"><l:Id>2</l:Id><l:Temps>2026-11-26T10:00:00.000Z</l:Temps><l:Emetteur>TESTBENCH01</l:Emetteur>
      <l:LPS><l:IDAM R="4">INSIBENCH001</l:IDAM><l:Version>2</l:Version><l:Instance>x</l:Instance><l:Nom>urn:lps:shape2:2</l:Nom></l:LPS>
    </l:ContexteLPS>
  </soapenv:Header>
  <soapenv:Body>
    <rs:RECSANSVITALE><rs:NomNaissance>{}</rs:NomNaissance><rs:Prenom>{}</rs:Prenom><rs:Sexe>{sexe}</rs:Sexe><rs:DateNaissance>{date}</rs:DateNaissance>{lieu}</rs:RECSANSVITALE>
  </soapenv:Body>
</soapenv:Envelope>"#,
        escape(nom),
        escape(prenom)
    )
}

/// Shape 3: default namespaces everywhere, LPS before Action, BAM last and without Nature,
/// `\r\n` line ends, the action only in the content type's `action` parameter is *not* used
/// here (wsa:Action present).
pub fn traits_request_shape3(nom: &str, prenom: &str, sexe: &str, date: &str) -> String {
    format!(
        "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\">\r\n<Header>\r\n\
<ContexteLPS xmlns=\"urn:siram:lps:ctxlps\" Version=\"01_00\"><Id>3</Id><Temps>2026-11-26T10:00:00.000Z</Temps>\
<LPS><IDAM R=\"4\">INSIBENCH001</IDAM></LPS></ContexteLPS>\r\n\
<Action xmlns=\"http://www.w3.org/2005/08/addressing\">{ACTION_TRAITS}</Action>\r\n\
<MessageID xmlns=\"http://www.w3.org/2005/08/addressing\">uuid:0b0e7c52-3333-4a8e-9b8e-2d5c0c8e0003</MessageID>\r\n\
<ContexteBAM xmlns=\"urn:siram:bam:ctxbam\" Version=\"01_02\"><Id>4</Id><Temps>2026-11-26T10:00:00.000Z</Temps><COUVERTURE></COUVERTURE></ContexteBAM>\r\n\
</Header>\r\n<Body><RECSANSVITALE xmlns=\"http://www.cnamts.fr/INSiRecSans\"><NomNaissance>{}</NomNaissance>\
<Prenom>{}</Prenom><Sexe>{sexe}</Sexe><DateNaissance>{date}</DateNaissance></RECSANSVITALE></Body>\r\n</Envelope>",
        escape(nom),
        escape(prenom)
    )
}

/// A Vitale search, hand-written (X's template shape).
pub fn vitale_request(
    individu: Option<&str>,
    od: Option<&str>,
    date: Option<&str>,
    rang: Option<&str>,
) -> String {
    let m = |tag: &str, v: Option<&str>| {
        v.map(|v| format!("<v:{tag}><v:NumIdentifiant>{v}</v:NumIdentifiant></v:{tag}>"))
            .unwrap_or_default()
    };
    let leaf = |tag: &str, v: Option<&str>| {
        v.map(|v| format!("<v:{tag}>{v}</v:{tag}>"))
            .unwrap_or_default()
    };
    format!(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>
<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">{ACTION_VITALE}</wsa:Action>
<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00"><ctxlps:Id>5</ctxlps:Id><ctxlps:Temps>2026-11-26T10:00:00.000Z</ctxlps:Temps><ctxlps:LPS><ctxlps:IDAM R="4">INSIBENCH001</ctxlps:IDAM></ctxlps:LPS></ctxlps:ContexteLPS>
<ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Nature="CTXBAM" Version="01_02"><ctxbam:Id>6</ctxbam:Id><ctxbam:Temps>2026-11-26T10:00:00.000Z</ctxbam:Temps><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>
</soap:Header><soap:Body><v:RECVITALE xmlns:v="http://www.cnamts.fr/INSiRecVit">{}{}{}{}</v:RECVITALE></soap:Body></soap:Envelope>"#,
        m("MatriculeIndividu", individu),
        m("MatriculeOD", od),
        leaf("DateNaissance", date),
        leaf("RangNaissance", rang),
    )
}

/// What a response says, in short.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// CR code, active matricule (for 00), OID, number of INSHISTO.
    Cr {
        code: String,
        matricule: Option<String>,
        oid: Option<String>,
        histo: usize,
        liste_prenom: Option<String>,
    },
    /// Detail code of the fault.
    Fault(String),
}

pub fn answer(status: u16, body: &str) -> Answer {
    let decoded = insi_soap::decode_response(body.as_bytes())
        .unwrap_or_else(|e| panic!("undecodable response ({e}): {body}"));
    match decoded.response {
        Response::Resultat(r) => {
            assert_eq!(status, 200, "{body}");
            let ind = r.individu.as_ref();
            Answer::Cr {
                code: r.cr.code().to_owned(),
                matricule: ind.map(|i| i.ins_actif.id_individu.num_identifiant.clone()),
                oid: ind.map(|i| i.ins_actif.oid.as_str().to_owned()),
                histo: ind.map_or(0, |i| i.ins_histo.len()),
                liste_prenom: ind.and_then(|i| i.tiq.liste_prenom.clone()),
            }
        }
        Response::Fault(f) => {
            assert_eq!(status, 500, "{body}");
            Answer::Fault(f.erreur.map(|e| e.code).unwrap_or_default())
        }
    }
}

pub fn cr(a: &Answer) -> &str {
    match a {
        Answer::Cr { code, .. } => code,
        Answer::Fault(code) => code,
    }
}
