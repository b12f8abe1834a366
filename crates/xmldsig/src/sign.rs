//! Enveloped signing: digest of the canonical document, `SignedInfo`, signature, insertion.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::c14n::canonicalize;
use crate::error::SignError;
use crate::signer::Signer;
use crate::{ALG_ENVELOPED, ALG_EXC_C14N, ALG_RSA_SHA256, ALG_SHA256, NS_DS};

/// Where `ds:Signature` goes inside the signed (root) element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement<'a> {
    /// Right after the first child element of the root with this local name (`Issuer` for a
    /// SAML assertion: the schema puts Signature after Issuer, INSI-PROTOCOL.md §2.5.2).
    AfterChild(&'a str),
    /// As the first child of the root.
    FirstChild,
}

/// Signs the document's root element with an enveloped XML-DSig: exclusive c14n, RSA-SHA256,
/// SHA-256 digest, `Reference URI="#<id>"` where `<id>` is the root's `id_attr` attribute,
/// KeyInfo with the signer's certificate. Returns the document with `ds:Signature` inserted and
/// nothing else changed.
pub fn sign_enveloped(
    xml: &str,
    id_attr: &'static str,
    placement: Placement<'_>,
    signer: &dyn Signer,
) -> Result<String, SignError> {
    let dom = crate::dom::parse(xml)?;
    let root = dom.element(dom.root).ok_or(SignError::NoId(id_attr))?;
    let id = dom.attr(root, id_attr).ok_or(SignError::NoId(id_attr))?;
    if dom
        .child_elements(dom.root)
        .any(|(_, e)| e.uri == NS_DS && e.local == "Signature")
    {
        return Err(SignError::AlreadySigned);
    }
    let at = match placement {
        Placement::FirstChild => root.content_start,
        Placement::AfterChild(local) => dom
            .child_elements(dom.root)
            .find(|(_, e)| e.local == local)
            .map(|(_, e)| e.end)
            .ok_or_else(|| SignError::NoPlacement(local.to_owned()))?,
    };

    let mut canonical = Vec::with_capacity(xml.len());
    canonicalize(&dom, dom.root, None, &[], &mut canonical);
    let digest_b64 = B64.encode(digest(&SHA256, &canonical));

    let signed_info = signed_info(id, &digest_b64);
    let signature = signer.sign(signed_info.apex.as_bytes())?;

    let mut out = String::with_capacity(xml.len() + 2600);
    out.push_str(&xml[..at]);
    out.push_str("<ds:Signature xmlns:ds=\"");
    out.push_str(NS_DS);
    out.push_str("\">");
    out.push_str(&signed_info.embedded);
    out.push_str("<ds:SignatureValue>");
    out.push_str(&B64.encode(signature));
    out.push_str("</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>");
    out.push_str(&B64.encode(signer.certificate_der()));
    out.push_str("</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>");
    out.push_str(&xml[at..]);
    Ok(out)
}

struct SignedInfo {
    /// Canonical form as the apex of c14n (declares `ds`): the bytes that are signed.
    apex: String,
    /// The same element as placed inside `ds:Signature` (inherits `ds`).
    embedded: String,
}

fn signed_info(id: &str, digest_b64: &str) -> SignedInfo {
    let mut uri = Vec::with_capacity(id.len() + 1);
    uri.push(b'#');
    crate::c14n::escape_attr(&mut uri, id);
    let uri = String::from_utf8_lossy(&uri);
    let body = format!(
        "<ds:CanonicalizationMethod Algorithm=\"{ALG_EXC_C14N}\"></ds:CanonicalizationMethod>\
         <ds:SignatureMethod Algorithm=\"{ALG_RSA_SHA256}\"></ds:SignatureMethod>\
         <ds:Reference URI=\"{uri}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"{ALG_ENVELOPED}\"></ds:Transform>\
         <ds:Transform Algorithm=\"{ALG_EXC_C14N}\"></ds:Transform></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"{ALG_SHA256}\"></ds:DigestMethod>\
         <ds:DigestValue>{digest_b64}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    );
    SignedInfo {
        apex: format!("<ds:SignedInfo xmlns:ds=\"{NS_DS}\">{body}"),
        embedded: format!("<ds:SignedInfo>{body}"),
    }
}
