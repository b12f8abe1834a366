//! Errors of parsing, signing and verifying.

/// The XML could not be read (with the byte offset where it went wrong).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("XML at byte {byte}: {reason}")]
pub struct XmlError {
    pub byte: usize,
    pub reason: String,
}

impl XmlError {
    pub(crate) fn at(byte: usize, reason: String) -> XmlError {
        XmlError { byte, reason }
    }
}

/// A signature could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("the document root has no '{0}' attribute to reference")]
    NoId(&'static str),
    #[error("no <{0}> child of the root to place the signature after")]
    NoPlacement(String),
    #[error("the document already holds a ds:Signature")]
    AlreadySigned,
    /// The signer (software key or card) failed; its message says why.
    #[error("signer failed: {0}")]
    Signer(String),
    #[error("invalid key: {0}")]
    Key(String),
}

/// Why a signed document was not accepted. Each variant says what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("no ds:Signature child of the document root: the document is not signed")]
    NotSigned,
    #[error("{0} ds:Signature elements: exactly one, child of the root, is accepted")]
    SeveralSignatures(usize),
    #[error("ds:Signature is malformed: {0}")]
    Malformed(String),
    #[error("unsupported {what} '{uri}': only exclusive c14n, RSA-SHA256 and SHA-256 are accepted")]
    Unsupported { what: &'static str, uri: String },
    #[error(
        "the signature references '{uri}', not the document root (ID '{root_id}'): \
         a signature must cover the whole assertion"
    )]
    WrongReference { uri: String, root_id: String },
    #[error("ID '{0}' appears on several elements (signature wrapping attempt?)")]
    DuplicateId(String),
    #[error("digest mismatch: the signed content was modified after signing")]
    DigestMismatch,
    #[error("signature value does not verify with the certificate's key")]
    BadSignature,
    #[error("certificate: {0}")]
    Certificate(String),
    #[error(
        "certificate '{subject}' is not valid at the verification time ({not_before} .. {not_after})"
    )]
    Expired {
        subject: String,
        not_before: String,
        not_after: String,
    },
    #[error(
        "certificate '{subject}' does not chain to a configured trust anchor (issuer '{issuer}')"
    )]
    Untrusted { subject: String, issuer: String },
}
