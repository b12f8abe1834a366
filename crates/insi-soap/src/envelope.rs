//! Walking a SOAP 1.2 envelope and element children, shared by the request and response
//! decoders. Elements are matched by namespace URI + local name (DESIGN.md §2); unknown ones
//! are skipped and listed as warnings.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::ns::Ns;
use crate::scan::{Item, Scanner, Start, describe};

/// What a child handler did with an element.
pub(crate) enum Handled {
    /// Consumed (read to its end).
    Yes,
    /// Not ours: the walker skips it and warns.
    Unknown,
}

/// Calls `f` for each child element of the element just opened, until its end tag; returns the
/// byte offset after that end tag.
pub(crate) fn children<'i, F>(
    sc: &mut Scanner<'i>,
    parent: &str,
    mut f: F,
) -> Result<usize, DecodeError>
where
    F: FnMut(&mut Scanner<'i>, Ns, &str, &Start<'i>, usize) -> Result<Handled, DecodeError>,
{
    loop {
        match sc.next()? {
            Item::Open { ns, start, at } => match f(sc, ns, start.local_name(), &start, at)? {
                Handled::Yes => {}
                Handled::Unknown => {
                    let what = describe(&start);
                    sc.warn(
                        at,
                        format!("unknown element <{what}> in <{parent}> ignored"),
                    );
                    sc.skip()?;
                }
            },
            Item::Close { end, .. } => return Ok(end),
            Item::Eof => {
                return Err(sc.error(
                    sc.position(),
                    DecodeErrorKind::Syntax("unexpected end of input".into()),
                ));
            }
        }
    }
}

/// Reads the root, checks it is a SOAP 1.2 Envelope, and hands each Header child to `header`
/// and the first Body child to `body` (a document/literal message has one; any other is
/// skipped with a warning). Fails if there is no Body; reads to the end of the document.
pub(crate) fn walk<'i, H, B>(
    sc: &mut Scanner<'i>,
    mut header: H,
    mut body: B,
) -> Result<(), DecodeError>
where
    H: FnMut(&mut Scanner<'i>, Ns, &str, &Start<'i>, usize) -> Result<Handled, DecodeError>,
    B: FnMut(&mut Scanner<'i>, Ns, &str, &Start<'i>, usize) -> Result<Handled, DecodeError>,
{
    let (ns, start, at) = match sc.next()? {
        Item::Open { ns, start, at } => (ns, start, at),
        Item::Close { end, .. } => return Err(sc.error(end, DecodeErrorKind::Empty)),
        Item::Eof => return Err(sc.error(sc.position(), DecodeErrorKind::Empty)),
    };
    if ns != Ns::Soap12 || start.local_name() != "Envelope" {
        let found = if ns == Ns::Soap11 && start.local_name() == "Envelope" {
            "a SOAP 1.1 Envelope".to_owned()
        } else {
            format!("<{}>", describe(&start))
        };
        return Err(sc.error(at, DecodeErrorKind::NotSoap12 { found }));
    }
    let mut seen_body = false;
    let end = children(sc, "Envelope", |sc, ns, local, _start, at| {
        match (ns, local) {
            (Ns::Soap12, "Header") => {
                children(sc, "Header", &mut header)?;
            }
            (Ns::Soap12, "Body") => {
                if seen_body {
                    sc.warn(at, "second SOAP Body ignored".into());
                    sc.skip()?;
                    return Ok(Handled::Yes);
                }
                seen_body = true;
                let mut first = true;
                children(sc, "Body", |sc, ns, local, start, at| {
                    if !std::mem::take(&mut first) {
                        sc.warn(
                            at,
                            "more than one element in the SOAP Body; only the first is read".into(),
                        );
                        sc.skip()?;
                        return Ok(Handled::Yes);
                    }
                    body(sc, ns, local, start, at)
                })?;
            }
            _ => return Ok(Handled::Unknown),
        }
        Ok(Handled::Yes)
    })?;
    if !seen_body {
        return Err(sc.error(end, DecodeErrorKind::NoBody));
    }
    sc.finish()
}
