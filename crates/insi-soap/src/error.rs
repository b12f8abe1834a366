//! Decoding errors, warnings and the limits put on untrusted input.

use std::fmt;

/// Bounds applied before and while decoding untrusted bytes.
///
/// The defaults are generous for INSi messages (a live `RESULTAT` is about 1 KB, a request with a
/// signed PS assertion about 5 KB) and small enough that a hostile peer cannot make us allocate
/// much. See `docs/codec.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted message, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted element nesting (the Envelope is depth 1).
    pub max_depth: usize,
    /// Most `wsse:Security` assertions, `Prenom` or `INSHISTO` elements kept (and warnings).
    pub max_repeats: usize,
    /// Most attributes on one element (namespace declarations included).
    pub max_attributes: usize,
    /// Longest text of one element, or value of one attribute, in bytes (decoded). The longest
    /// real ones are an assertion's base64 certificate (a few KiB); a name is at most 100
    /// characters.
    pub max_value_bytes: usize,
}

impl Limits {
    /// 256 KiB, depth 32, 64 repetitions, 64 attributes per element, 16 KiB per text or value.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 256 * 1024,
        max_depth: 32,
        max_repeats: 64,
        max_attributes: 64,
        max_value_bytes: 16 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Where in the input something was found: 1-based line and 0-based byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Position {
    pub line: usize,
    pub byte: usize,
}

impl Position {
    pub(crate) fn of(input: &[u8], byte: usize) -> Position {
        let byte = byte.min(input.len());
        let line = 1 + input[..byte].iter().filter(|&&b| b == b'\n').count();
        Position { line, byte }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, byte {}", self.line, self.byte)
    }
}

/// A message could not be decoded. Says where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{position}: {kind}")]
pub struct DecodeError {
    pub position: Position,
    pub kind: DecodeErrorKind,
}

/// Why a message was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    #[error("message is {size} bytes, more than the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("elements nest deeper than the limit of {limit}")]
    TooDeep { limit: usize },
    #[error("an element carries more than {limit} attributes")]
    TooManyAttributes { limit: usize },
    #[error("{what} longer than the {limit}-byte limit")]
    TooLong { what: &'static str, limit: usize },
    #[error("more than {limit} <{element}> elements")]
    TooMany { element: &'static str, limit: usize },
    #[error("input is not UTF-8 ({0}); INSi messages are UTF-8")]
    NotUtf8(String),
    #[error("XML declaration announces encoding '{0}'; only UTF-8 is accepted")]
    Encoding(String),
    #[error("a DOCTYPE (DTD or entity declaration) is refused: INSi messages never carry one")]
    Dtd,
    #[error(
        "unknown entity '&{0};': only the five XML entities and character references are allowed"
    )]
    UnknownEntity(String),
    #[error("malformed XML: {0}")]
    Syntax(String),
    #[error("prefix '{0}' is used but never declared")]
    UndeclaredPrefix(String),
    #[error("the document is empty")]
    Empty,
    #[error(
        "root element is {found}, not a SOAP 1.2 Envelope \
         ({{http://www.w3.org/2003/05/soap-envelope}}Envelope)"
    )]
    NotSoap12 { found: String },
    #[error("the SOAP Envelope has no Body")]
    NoBody,
    #[error("the SOAP Body is empty: expected {expected}")]
    EmptyBody { expected: &'static str },
    #[error("the SOAP Body holds {found}, which is not {expected}")]
    UnexpectedPayload {
        found: String,
        expected: &'static str,
    },
    #[error("<{parent}> has no <{element}>, which is required")]
    Missing {
        parent: &'static str,
        element: &'static str,
    },
    #[error("<{element}> has no '{attribute}' attribute, which is required")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
    #[error("content after the end of the root element")]
    TrailingContent,
}

impl DecodeError {
    pub(crate) fn at(input: &[u8], byte: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            position: Position::of(input, byte),
            kind,
        }
    }
}

/// Something decoding tolerated but that a careful reader wants to know (an unknown element, a
/// matricule whose key does not check, a second payload).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Warning {
    pub position: Position,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.message)
    }
}
