//! Indents XML for reading in reports. Evidence must stay faithful: text and attribute values
//! are written back exactly (only whitespace between elements changes), and anything that does
//! not parse is shown as received.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::Event;

/// Bodies larger than this are shown raw: indenting them brings nothing.
const MAX_PRETTY: usize = 512 * 1024;

pub fn pretty(xml: &str) -> String {
    if xml.len() > MAX_PRETTY {
        return xml.to_owned();
    }
    indent(xml).unwrap_or_else(|| xml.to_owned())
}

fn indent(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    loop {
        let event = reader.read_event().ok()?;
        match event {
            Event::Eof => break,
            // Whitespace between elements is layout, not content.
            Event::Text(ref t) if t.as_ref().trim().is_empty() => {}
            e => writer.write_event(e).ok()?,
        }
    }
    String::from_utf8(writer.into_inner()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_and_keeps_content() {
        let xml = "<a><b x=\"1\">D&apos;AEION &amp; CO</b>\n  <c/></a>";
        let out = pretty(xml);
        assert_eq!(
            out,
            "<a>\n  <b x=\"1\">D&apos;AEION &amp; CO</b>\n  <c/>\n</a>"
        );
    }

    #[test]
    fn broken_xml_is_shown_as_received() {
        assert_eq!(pretty("<a><b></a>"), "<a><b></a>");
        assert_eq!(pretty("not xml at all <"), "not xml at all <");
    }
}
