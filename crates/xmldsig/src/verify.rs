//! Verification of an enveloped signature: structure (anti-wrapping), digest, signature, and
//! the certificate chain up to configured trust anchors.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::time::ASN1Time;

use crate::c14n::{canonicalize, prefix_name};
use crate::dom::{Dom, Element};
use crate::error::VerifyError;
use crate::{ALG_ENVELOPED, ALG_EXC_C14N, ALG_RSA_SHA256, ALG_SHA256, NS_DS};

const NS_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Longest chain walked from the signer to an anchor.
const MAX_CHAIN: usize = 6;
/// Most certificates accepted in KeyInfo.
const MAX_KEYINFO_CERTS: usize = 8;

/// Checks enveloped signatures against a set of trust anchors (DER certificates).
#[derive(Clone, Debug)]
pub struct Verifier {
    anchors: Vec<Vec<u8>>,
    intermediates: Vec<Vec<u8>>,
    id_attr: String,
    at_unix: Option<i64>,
}

/// What a good signature proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The signer's certificate (DER), chained to an anchor.
    pub signer_certificate: Vec<u8>,
    /// The root element's ID the signature covers.
    pub signed_id: String,
    /// Unix time (seconds) of the earliest `notAfter` of the chain that was checked (signer,
    /// intermediates, anchor): from then on the same document no longer verifies, so a caller
    /// keeping the result (a cache of verified assertions) must drop it.
    pub chain_not_after: i64,
}

impl Verifier {
    /// A verifier trusting `anchors` (DER X.509 certificates; each must parse). Signatures are
    /// checked on the root's `ID` attribute (SAML 2.0) at the current time unless told otherwise.
    pub fn new<I, C>(anchors: I) -> Result<Verifier, VerifyError>
    where
        I: IntoIterator<Item = C>,
        C: Into<Vec<u8>>,
    {
        let anchors: Vec<Vec<u8>> = anchors.into_iter().map(Into::into).collect();
        for (i, a) in anchors.iter().enumerate() {
            X509Certificate::from_der(a).map_err(|e| {
                VerifyError::Certificate(format!("trust anchor #{i} is not a DER certificate: {e}"))
            })?;
        }
        Ok(Verifier {
            anchors,
            intermediates: Vec::new(),
            id_attr: "ID".into(),
            at_unix: None,
        })
    }

    /// Intermediate CA certificates (DER) that may complete a chain from a signer to an anchor
    /// when the document's KeyInfo carries only the signer's certificate. They are not trusted by
    /// themselves: a chain must still end at an anchor.
    pub fn with_intermediates<I, C>(mut self, certs: I) -> Verifier
    where
        I: IntoIterator<Item = C>,
        C: Into<Vec<u8>>,
    {
        self.intermediates.extend(certs.into_iter().map(Into::into));
        self
    }

    /// Checks validity periods at this Unix time instead of now (tests, replays).
    pub fn at_time(mut self, unix_seconds: i64) -> Verifier {
        self.at_unix = Some(unix_seconds);
        self
    }

    /// Names the ID attribute of the root (`ID` by default).
    pub fn id_attribute(mut self, name: &str) -> Verifier {
        name.clone_into(&mut self.id_attr);
        self
    }

    /// Verifies a standalone signed document (for an assertion taken from a request, use
    /// `insi_soap::RawAssertion::standalone`).
    pub fn verify(&self, xml: &[u8]) -> Result<Verified, VerifyError> {
        let text = std::str::from_utf8(xml).map_err(|e| {
            VerifyError::Xml(crate::error::XmlError::at(
                e.valid_up_to(),
                "not UTF-8".into(),
            ))
        })?;
        let dom = crate::dom::parse(text)?;
        let parts = SignatureParts::find(&dom, &self.id_attr)?;

        // Digest of the root without the Signature (enveloped + exc-c14n transforms).
        let mut canonical = Vec::with_capacity(xml.len());
        canonicalize(
            &dom,
            dom.root,
            Some(parts.signature),
            &parts.reference_prefixes,
            &mut canonical,
        );
        let expected = decode_b64(&parts.digest_value, "DigestValue")?;
        if digest(&SHA256, &canonical).as_ref() != expected.as_slice() {
            return Err(VerifyError::DigestMismatch);
        }

        let mut signed_info = Vec::with_capacity(1024);
        canonicalize(
            &dom,
            parts.signed_info,
            None,
            &parts.signed_info_prefixes,
            &mut signed_info,
        );
        let signature = decode_b64(&parts.signature_value, "SignatureValue")?;
        let leaf_der = parts
            .certificates
            .first()
            .ok_or_else(|| VerifyError::Malformed("no KeyInfo/X509Data/X509Certificate".into()))?;
        let (_, leaf) = X509Certificate::from_der(leaf_der).map_err(|e| {
            VerifyError::Certificate(format!("KeyInfo certificate does not parse: {e}"))
        })?;
        let key = UnparsedPublicKey::new(
            &RSA_PKCS1_2048_8192_SHA256,
            leaf.public_key().subject_public_key.data.as_ref(),
        );
        key.verify(&signed_info, &signature)
            .map_err(|_| VerifyError::BadSignature)?;

        let chain_not_after = self.check_chain(&leaf, leaf_der, &parts.certificates[1..])?;
        Ok(Verified {
            signer_certificate: leaf_der.clone(),
            signed_id: parts.root_id,
            chain_not_after,
        })
    }

    fn now(&self) -> Result<ASN1Time, VerifyError> {
        let secs = match self.at_unix {
            Some(s) => s,
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0),
        };
        ASN1Time::from_timestamp(secs)
            .map_err(|e| VerifyError::Certificate(format!("verification time: {e}")))
    }

    /// Walks from the leaf to an anchor, each certificate valid now; returns the earliest
    /// `notAfter` on the way.
    fn check_chain(
        &self,
        leaf: &X509Certificate<'_>,
        leaf_der: &[u8],
        extra: &[Vec<u8>],
    ) -> Result<i64, VerifyError> {
        let now = self.now()?;
        let anchors: Vec<X509Certificate<'_>> = self
            .anchors
            .iter()
            .filter_map(|a| X509Certificate::from_der(a).ok().map(|(_, c)| c))
            .collect();
        let intermediates: Vec<X509Certificate<'_>> = extra
            .iter()
            .chain(&self.intermediates)
            .filter_map(|a| X509Certificate::from_der(a).ok().map(|(_, c)| c))
            .collect();
        // A leaf configured as an anchor is trusted directly.
        if self.anchors.iter().any(|a| a.as_slice() == leaf_der) {
            return check_time(leaf, now);
        }
        let mut current = leaf.clone();
        let mut not_after = i64::MAX;
        for _ in 0..MAX_CHAIN {
            not_after = not_after.min(check_time(&current, now)?);
            for anchor in &anchors {
                if anchor.subject().as_raw() == current.issuer().as_raw()
                    && current.verify_signature(Some(anchor.public_key())).is_ok()
                {
                    return Ok(not_after.min(check_time(anchor, now)?));
                }
            }
            let next = intermediates.iter().find(|c| {
                c.subject().as_raw() == current.issuer().as_raw()
                    && c.is_ca()
                    && current.verify_signature(Some(c.public_key())).is_ok()
            });
            match next {
                Some(c) => current = c.clone(),
                None => break,
            }
        }
        Err(VerifyError::Untrusted {
            subject: leaf.subject().to_string(),
            issuer: current.issuer().to_string(),
        })
    }
}

/// The certificate is valid at `now`; returns its `notAfter` (Unix seconds).
fn check_time(cert: &X509Certificate<'_>, now: ASN1Time) -> Result<i64, VerifyError> {
    if cert.validity().is_valid_at(now) {
        Ok(cert.validity().not_after.timestamp())
    } else {
        Err(VerifyError::Expired {
            subject: cert.subject().to_string(),
            not_before: cert.validity().not_before.to_string(),
            not_after: cert.validity().not_after.to_string(),
        })
    }
}

fn decode_b64(text: &str, what: &str) -> Result<Vec<u8>, VerifyError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    B64.decode(compact.as_bytes())
        .map_err(|e| VerifyError::Malformed(format!("{what} is not base64: {e}")))
}

struct SignatureParts {
    root_id: String,
    signature: usize,
    signed_info: usize,
    signed_info_prefixes: Vec<String>,
    reference_prefixes: Vec<String>,
    digest_value: String,
    signature_value: String,
    certificates: Vec<Vec<u8>>,
}

fn ds_child<'a>(dom: &'a Dom, parent: usize, local: &str) -> Option<(usize, &'a Element)> {
    dom.child_elements(parent)
        .find(|(_, e)| e.uri == NS_DS && e.local == local)
}

fn required<'a>(
    dom: &'a Dom,
    parent: usize,
    local: &str,
) -> Result<(usize, &'a Element), VerifyError> {
    ds_child(dom, parent, local).ok_or_else(|| VerifyError::Malformed(format!("no ds:{local}")))
}

fn algorithm<'a>(dom: &'a Dom, e: &'a Element, what: &str) -> Result<&'a str, VerifyError> {
    dom.attr(e, "Algorithm")
        .ok_or_else(|| VerifyError::Malformed(format!("ds:{what} has no Algorithm")))
}

fn inclusive_prefixes(dom: &Dom, id: usize) -> Vec<String> {
    dom.child_elements(id)
        .find(|(_, e)| e.uri == NS_EXC_C14N && e.local == "InclusiveNamespaces")
        .and_then(|(_, e)| dom.attr(e, "PrefixList"))
        .map(|list| list.split_ascii_whitespace().map(prefix_name).collect())
        .unwrap_or_default()
}

impl SignatureParts {
    fn find(dom: &Dom, id_attr: &str) -> Result<SignatureParts, VerifyError> {
        let root = dom.element(dom.root).ok_or(VerifyError::NotSigned)?;
        let root_id = dom
            .attr(root, id_attr)
            .ok_or_else(|| {
                VerifyError::Malformed(format!("the root element has no {id_attr} attribute"))
            })?
            .to_owned();
        // Signature wrapping defences: one signature, child of the root, covering the root,
        // whose ID is unique in the document.
        let id_count = dom
            .elements()
            .filter(|(_, e)| {
                e.attrs.iter().any(|a| {
                    a.prefix.is_none()
                        && a.local.eq_ignore_ascii_case(id_attr)
                        && a.value == root_id
                })
            })
            .count();
        if id_count > 1 {
            return Err(VerifyError::DuplicateId(root_id));
        }
        let signatures: Vec<usize> = dom
            .elements()
            .filter(|(_, e)| e.uri == NS_DS && e.local == "Signature")
            .map(|(i, _)| i)
            .collect();
        let signature = match signatures.as_slice() {
            [] => return Err(VerifyError::NotSigned),
            [one] => *one,
            many => return Err(VerifyError::SeveralSignatures(many.len())),
        };
        if dom.element(signature).and_then(|e| e.parent) != Some(dom.root) {
            return Err(VerifyError::Malformed(
                "ds:Signature is not a child of the signed root".into(),
            ));
        }
        let (signed_info, _) = required(dom, signature, "SignedInfo")?;
        let (c14n_id, c14n) = required(dom, signed_info, "CanonicalizationMethod")?;
        let c14n_alg = algorithm(dom, c14n, "CanonicalizationMethod")?;
        if c14n_alg != ALG_EXC_C14N {
            return Err(VerifyError::Unsupported {
                what: "canonicalization",
                uri: c14n_alg.to_owned(),
            });
        }
        let (_, sig_method) = required(dom, signed_info, "SignatureMethod")?;
        let sig_alg = algorithm(dom, sig_method, "SignatureMethod")?;
        if sig_alg != ALG_RSA_SHA256 {
            return Err(VerifyError::Unsupported {
                what: "signature method",
                uri: sig_alg.to_owned(),
            });
        }
        let references: Vec<(usize, &Element)> = dom
            .child_elements(signed_info)
            .filter(|(_, e)| e.uri == NS_DS && e.local == "Reference")
            .collect();
        let [(reference, reference_el)] = references.as_slice() else {
            return Err(VerifyError::Malformed(format!(
                "{} ds:Reference elements; exactly one is accepted",
                references.len()
            )));
        };
        let uri = dom.attr(reference_el, "URI").unwrap_or_default();
        if uri.strip_prefix('#') != Some(root_id.as_str()) {
            return Err(VerifyError::WrongReference {
                uri: uri.to_owned(),
                root_id,
            });
        }
        let (transforms, _) = required(dom, *reference, "Transforms")?;
        let mut algs = Vec::new();
        let mut reference_prefixes = Vec::new();
        for (t, te) in dom.child_elements(transforms) {
            if te.uri == NS_DS && te.local == "Transform" {
                let alg = algorithm(dom, te, "Transform")?;
                if alg == ALG_EXC_C14N {
                    reference_prefixes = inclusive_prefixes(dom, t);
                }
                algs.push(alg);
            }
        }
        if algs != [ALG_ENVELOPED, ALG_EXC_C14N] {
            let uri = algs
                .iter()
                .find(|a| **a != ALG_ENVELOPED && **a != ALG_EXC_C14N)
                .map_or_else(
                    || {
                        format!(
                            "transform list {algs:?} (expected enveloped-signature then exc-c14n)"
                        )
                    },
                    |a| (*a).to_owned(),
                );
            return Err(VerifyError::Unsupported {
                what: "transform",
                uri,
            });
        }
        let (_, digest_method) = required(dom, *reference, "DigestMethod")?;
        let digest_alg = algorithm(dom, digest_method, "DigestMethod")?;
        if digest_alg != ALG_SHA256 {
            return Err(VerifyError::Unsupported {
                what: "digest method",
                uri: digest_alg.to_owned(),
            });
        }
        let (digest_value, _) = required(dom, *reference, "DigestValue")?;
        let (signature_value, _) = required(dom, signature, "SignatureValue")?;
        let mut certificates = Vec::new();
        if let Some((key_info, _)) = ds_child(dom, signature, "KeyInfo") {
            for (x509_data, _) in dom
                .child_elements(key_info)
                .filter(|(_, e)| e.uri == NS_DS && e.local == "X509Data")
            {
                for (cert, _) in dom
                    .child_elements(x509_data)
                    .filter(|(_, e)| e.uri == NS_DS && e.local == "X509Certificate")
                {
                    if certificates.len() >= MAX_KEYINFO_CERTS {
                        return Err(VerifyError::Malformed(format!(
                            "more than {MAX_KEYINFO_CERTS} certificates in KeyInfo"
                        )));
                    }
                    certificates.push(decode_b64(&dom.text(cert), "X509Certificate")?);
                }
            }
        }
        Ok(SignatureParts {
            root_id,
            signature,
            signed_info,
            signed_info_prefixes: inclusive_prefixes(dom, c14n_id),
            reference_prefixes,
            digest_value: dom.text(digest_value),
            signature_value: dom.text(signature_value),
            certificates,
        })
    }
}
