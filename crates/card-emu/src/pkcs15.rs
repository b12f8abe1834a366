//! DER builders for the PKCS#15 (ISO 7816-15) files of the CPS3-like profile.
//!
//! The structures follow PKCS#15 v1.1; the CPS3 values (AID, key references 0x81/0x82, key IDs,
//! auth ID 01) are facts from CARDS.md §2.2–2.4. Labels, FIDs and PIN attributes are our choices,
//! listed in `docs/cards.md`.

use apdu::tlv::{Tag, encode, encode_constructed};

fn seq(children: &[Vec<u8>]) -> Vec<u8> {
    encode_constructed(Tag(0x30), children)
}
fn octets(v: &[u8]) -> Vec<u8> {
    encode(Tag(0x04), v)
}
fn utf8(s: &str) -> Vec<u8> {
    encode(Tag(0x0C), s.as_bytes())
}
fn int(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let mut skip = b.iter().take(3).take_while(|x| **x == 0).count();
    if b[skip] & 0x80 != 0 {
        skip -= 1; // keep the value positive
    }
    encode(Tag(0x02), &b[skip..])
}
/// A BIT STRING from its content bytes (first byte = unused bits).
fn bits(content: &[u8]) -> Vec<u8> {
    encode(Tag(0x03), content)
}
/// `Path ::= SEQUENCE { path OCTET STRING }`.
pub fn path(p: &[u8]) -> Vec<u8> {
    seq(&[octets(p)])
}

/// One private key and its certificate, as described in PrKDF and CDF.
#[derive(Debug, Clone)]
pub struct KeyEntry<'a> {
    pub label: &'a str,
    pub cert_label: &'a str,
    pub id: &'a [u8],
    /// KeyUsageFlags bit string content.
    pub usage: &'a [u8],
    pub key_ref: u8,
    pub modulus_bits: u32,
    pub cert_path: &'a [u8],
}

/// EF.ODF: where PrKDF (`A0`), CDF (`A4`) and AODF (`A8`) are.
pub fn odf(prkdf: &[u8], cdf: &[u8], aodf: &[u8]) -> Vec<u8> {
    [
        encode(Tag(0xA0), &path(prkdf)),
        encode(Tag(0xA4), &path(cdf)),
        encode(Tag(0xA8), &path(aodf)),
    ]
    .concat()
}

/// EF.TokenInfo: version, serial number, manufacturer, label.
pub fn token_info(serial: &str, label: &str) -> Vec<u8> {
    seq(&[
        int(0),
        octets(serial.as_bytes()),
        utf8("insi-bench card-emu (TEST, NOT FOR PRODUCTION)"),
        encode(Tag(0x80), label.as_bytes()),
        bits(&[0x06, 0x40]), // tokenflags: readonly clear, loginRequired
    ])
}

/// EF.AODF: the cardholder PIN, auth ID 01, reference 0x81, ASCII digits padded with FF to 8.
pub fn aodf() -> Vec<u8> {
    seq(&[
        seq(&[utf8("Code porteur"), bits(&[0x06, 0xC0])]),
        seq(&[octets(&[0x01])]),
        encode(
            Tag(0xA1),
            &seq(&[
                bits(&[0x04, 0x30]),        // pinFlags: local, initialized
                encode(Tag(0x0A), &[0x01]), // pinType: ascii-numeric
                int(4),                     // minLength
                int(8),                     // storedLength
                int(8),                     // maxLength
                encode(Tag(0x80), &[0x81]), // pinReference
                encode(Tag(0x04), &[0xFF]), // padChar
                path(&[0x3F, 0x00]),
            ]),
        ),
    ])
}

/// EF.PrKDF: one `privateRSAKey` per key, with its reference and size.
pub fn prkdf(keys: &[KeyEntry<'_>]) -> Vec<u8> {
    keys.iter()
        .map(|k| {
            seq(&[
                seq(&[utf8(k.label), bits(&[0x07, 0x80]), octets(&[0x01])]),
                seq(&[octets(k.id), bits(k.usage), int(u32::from(k.key_ref))]),
                encode(Tag(0xA1), &seq(&[path(&[0x3F, 0x00]), int(k.modulus_bits)])),
            ])
        })
        .collect::<Vec<_>>()
        .concat()
}

/// EF.CDF: one `x509Certificate` per key, same ID as the key, indirect value (a path).
pub fn cdf(keys: &[KeyEntry<'_>]) -> Vec<u8> {
    keys.iter()
        .map(|k| {
            seq(&[
                seq(&[utf8(k.cert_label)]),
                seq(&[octets(k.id)]),
                encode(Tag(0xA1), &seq(&[path(k.cert_path)])),
            ])
        })
        .collect::<Vec<_>>()
        .concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use apdu::tlv::parse_all;

    #[test]
    fn cdf_entries_parse_back() {
        let k = KeyEntry {
            label: "k",
            cert_label: "c",
            id: &[1, 2],
            usage: &[0x06, 0x40],
            key_ref: 0x81,
            modulus_bits: 2048,
            cert_path: &[0x3F, 0, 0x50, 0x15, 0xC0, 0x02],
        };
        let der = cdf(&[k.clone(), k]);
        let objs = parse_all(&der).unwrap();
        assert_eq!(objs.len(), 2);
        let p = objs[0]
            .find_path(&[Tag(0xA1), Tag(0x30), Tag(0x30), Tag(0x04)])
            .unwrap()
            .unwrap();
        assert_eq!(p.value, [0x3F, 0, 0x50, 0x15, 0xC0, 0x02]);
        assert_eq!(int(2048), [2, 2, 8, 0]);
        assert_eq!(int(0x81), [2, 2, 0, 0x81]);
    }
}
