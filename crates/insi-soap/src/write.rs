//! Output helpers: escaping for text and attribute values.
//!
//! We write envelopes by hand into one `String`: it is the fastest way to build them (the issue
//! asks ≤ 2 µs per envelope) and the element order is fixed by the code. Apostrophes and quotes
//! in text are left as they are (`D'ARTAGNAN`), as the live service writes them.

/// Appends `s` escaped for element content (`&`, `<`, `>`; `\r` as a character reference so it
/// survives end-of-line normalisation).
pub(crate) fn text(out: &mut String, s: &str) {
    if !s.bytes().any(|b| matches!(b, b'&' | b'<' | b'>' | b'\r')) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Appends `s` escaped for a double-quoted attribute value (whitespace controls as character
/// references so that attribute-value normalisation does not turn them into spaces).
pub(crate) fn attr(out: &mut String, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'"' | b'\t' | b'\n' | b'\r'))
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// `<tag>text</tag>` with `tag` already prefixed.
pub(crate) fn leaf(out: &mut String, tag: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    text(out, value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// `leaf` when the value is present.
pub(crate) fn opt_leaf(out: &mut String, tag: &str, value: Option<&str>) {
    if let Some(v) = value {
        leaf(out, tag, v);
    }
}

pub(crate) fn open(out: &mut String, tag: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
}

pub(crate) fn close(out: &mut String, tag: &str) {
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// Element names under one prefix (`""` or `"ns2:"`), written straight into the output: no
/// `format!` of the prefixed name per element (that was most of a RESULTAT's encoding cost).
#[derive(Clone, Copy)]
pub(crate) struct Prefixed<'p>(pub &'p str);

impl Prefixed<'_> {
    fn name(self, out: &mut String, name: &str) {
        out.push_str(self.0);
        out.push_str(name);
    }

    pub(crate) fn open(self, out: &mut String, name: &str) {
        out.push('<');
        self.name(out, name);
        out.push('>');
    }

    pub(crate) fn close(self, out: &mut String, name: &str) {
        out.push_str("</");
        self.name(out, name);
        out.push('>');
    }

    pub(crate) fn leaf(self, out: &mut String, name: &str, value: &str) {
        self.open(out, name);
        text(out, value);
        self.close(out, name);
    }

    pub(crate) fn opt_leaf(self, out: &mut String, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.leaf(out, name, v);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_only_what_xml_needs() {
        let mut out = String::new();
        super::text(&mut out, "D'ARTAGNAN & FILS <x>\r");
        assert_eq!(out, "D'ARTAGNAN &amp; FILS &lt;x&gt;&#xD;");
        out.clear();
        super::attr(&mut out, "a\"b\tc\nd<&");
        assert_eq!(out, "a&quot;b&#x9;c&#xA;d&lt;&amp;");
    }

    #[test]
    fn prefixed_names_are_written_whole() {
        let mut out = String::new();
        let ns2 = super::Prefixed("ns2:");
        ns2.open(&mut out, "TIQ");
        ns2.leaf(&mut out, "Sexe", "F&");
        ns2.opt_leaf(&mut out, "Prenom", None);
        ns2.close(&mut out, "TIQ");
        assert_eq!(out, "<ns2:TIQ><ns2:Sexe>F&amp;</ns2:Sexe></ns2:TIQ>");
        out.clear();
        super::Prefixed("").leaf(&mut out, "CodeCR", "00");
        assert_eq!(out, "<CodeCR>00</CodeCR>");
    }
}
