//! The PKCS#15 walk (ISO 7816-15): ODF → CDF → certificate paths. Sans-IO: bytes in, paths out.

use apdu::tlv::{Tag, TlvIter};

use crate::CpxError;

/// Most certificate objects we accept in a CDF (a CPx has two).
const MAX_CERTS: usize = 16;

/// A certificate object of the CDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRef {
    pub label: String,
    /// The ID shared with the private key (CARDS.md §2.4: `…1001` signature, `…1002` authentication).
    pub id: Vec<u8>,
    /// Absolute path (from `3F00`) or relative to the application DF.
    pub path: Vec<u8>,
}

fn bad(why: &'static str) -> CpxError {
    CpxError::Malformed {
        what: "PKCS#15 structure",
        why,
    }
}

fn path_of(seq: apdu::tlv::Tlv<'_>) -> Result<Vec<u8>, CpxError> {
    let p = seq
        .child(Tag(0x04))?
        .ok_or(bad("Path without its OCTET STRING"))?;
    if p.value.len() < 2 || !p.value.len().is_multiple_of(2) || p.value.len() > 16 {
        return Err(bad("path is not a list of 2-byte FIDs"));
    }
    Ok(p.value.to_vec())
}

/// The CDF paths listed in the ODF (tag `A4`: certificates; `A5` trusted, `A6` useful ones).
pub fn cdf_paths(odf: &[u8]) -> Result<Vec<Vec<u8>>, CpxError> {
    let mut out = Vec::new();
    for o in TlvIter::new(odf) {
        let o = o?;
        if matches!(o.tag, Tag(0xA4..=0xA6)) {
            let seq = o.child(Tag(0x30))?.ok_or(bad("ODF entry without a Path"))?;
            out.push(path_of(seq)?);
        }
    }
    if out.is_empty() {
        return Err(bad("the ODF lists no certificate directory (CDF)"));
    }
    Ok(out)
}

/// The certificate objects of a CDF.
pub fn certificates(cdf: &[u8]) -> Result<Vec<CertRef>, CpxError> {
    let mut out = Vec::new();
    for o in TlvIter::new(cdf) {
        let o = o?;
        if o.tag != Tag(0x30) {
            continue; // other certificate types (A0 … A2) are not used by CPx
        }
        if out.len() == MAX_CERTS {
            return Err(bad("more certificate objects than any CPx holds"));
        }
        let mut parts = o.children();
        let common = parts
            .next()
            .transpose()?
            .ok_or(bad("certificate object is empty"))?;
        let label = match common.child(Tag(0x0C))? {
            Some(l) => String::from_utf8_lossy(l.value).into_owned(),
            None => String::new(),
        };
        let cert_attrs = parts
            .next()
            .transpose()?
            .ok_or(bad("no CommonCertificateAttributes"))?;
        let id = cert_attrs
            .child(Tag(0x04))?
            .ok_or(bad("certificate without iD"))?
            .value
            .to_vec();
        let typed = o
            .child(Tag(0xA1))?
            .ok_or(bad("certificate without X509CertificateAttributes"))?;
        let value = typed
            .find_path(&[Tag(0x30), Tag(0x30)])?
            .ok_or(bad("certificate value is not a Path"))?;
        out.push(CertRef {
            label,
            id,
            path: path_of(value)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_odf_and_cdf() {
        let odf =
            apdu::hex::parse("A0 0A 30 08 04 06 3F00 5015 5035 A4 0A 30 08 04 06 3F00 5015 5036")
                .unwrap();
        assert_eq!(
            cdf_paths(&odf).unwrap(),
            vec![apdu::hex::parse("3F00 5015 5036").unwrap()]
        );
        let cdf = apdu::hex::parse(
            "30 19 30 03 0C 01 41 30 04 04 02 10 01 A1 0C 30 0A 30 08 04 06 3F00 5015 C002",
        )
        .unwrap();
        let c = certificates(&cdf).unwrap();
        assert_eq!(c[0].label, "A");
        assert_eq!(c[0].id, [0x10, 0x01]);
        assert!(certificates(&cdf[..20]).is_err());
        assert!(cdf_paths(&[]).is_err());
    }
}

#[cfg(test)]
mod fuzz {
    proptest::proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = super::cdf_paths(&bytes);
            let _ = super::certificates(&bytes);
            let _ = crate::pin::parse_status(&bytes);
            let _ = crate::cert::CardCertificate::parse(crate::CertRole::Other, "fuzz", bytes);
        }
    }
}
