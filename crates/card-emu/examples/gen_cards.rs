//! Regenerates the test keys and certificates of the CPS3 profiles in `testdata/cards/`.
//!
//! ```sh
//! cargo run -p card-emu --example gen_cards            # writes into testdata/cards/
//! cargo run -p card-emu --example gen_cards -- DIR     # or into DIR
//! ```
//!
//! Writes the CPx test CA "TEST AC INSI-BENCH CPX" (`cpx-ca.pem`, `cpx-ca.key.pem`), then for
//! every `kind = "cps3"` profile two RSA-2048 keys (PKCS#8) and their certificates, at the paths
//! the profile names: authentication (digitalSignature + keyEncipherment, clientAuth) and
//! signature (nonRepudiation, with the GipCardType extension 1.2.250.1.71.1.2.2 that INSi uses to
//! derive the NameQualifier, INSI-PROTOCOL.md §2.5.2). TEST ONLY, NOT FOR PRODUCTION.

use std::path::{Path, PathBuf};

use card_emu::profile::{Holder, Kind, Profile};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, date_time_ymd,
};

const OID_TITLE: [u64; 4] = [2, 5, 4, 12];
const OID_SURNAME: [u64; 4] = [2, 5, 4, 4];
const OID_GIVEN_NAME: [u64; 4] = [2, 5, 4, 42];
const OID_GIP_CARD_TYPE: [u64; 9] = [1, 2, 250, 1, 71, 1, 2, 2, 0];

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn ymd(s: &str) -> Result<time_ymd::Ymd> {
    time_ymd::parse(s).ok_or_else(|| format!("date {s:?} is not YYYY-MM-DD").into())
}

/// Tiny date parser: the example only needs `YYYY-MM-DD`.
mod time_ymd {
    pub struct Ymd(pub i32, pub u8, pub u8);
    pub fn parse(s: &str) -> Option<Ymd> {
        let mut it = s.split('-');
        let y = it.next()?.parse().ok()?;
        let m = it.next()?.parse().ok()?;
        let d = it.next()?.parse().ok()?;
        it.next().is_none().then_some(Ymd(y, m, d))
    }
}

fn card_type_byte(t: &str) -> Result<u8> {
    // Last byte of the extension: 0 = CPS, 1 = CPF, 2 = CDE-CPE, 3 = CPA (INSI-PROTOCOL.md §2.5.2).
    Ok(match t {
        "CPS" => 0,
        "CPF" => 1,
        "CPE" | "CDE-CPE" => 2,
        "CPA" => 3,
        other => return Err(format!("card_type {other:?}: expected CPS, CPF, CPE or CPA").into()),
    })
}

fn holder_params(h: &Holder, usage: &str) -> Result<CertificateParams> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(
        DnType::OrganizationName,
        "insi-bench TEST - NOT FOR PRODUCTION",
    );
    dn.push(
        DnType::CustomDnType(OID_TITLE.to_vec()),
        h.profession.as_str(),
    );
    dn.push(DnType::CustomDnType(OID_SURNAME.to_vec()), h.nom.as_str());
    dn.push(
        DnType::CustomDnType(OID_GIVEN_NAME.to_vec()),
        h.prenom.as_str(),
    );
    dn.push(DnType::CommonName, h.identifiant.as_str());
    dn.push(DnType::OrganizationalUnitName, usage);
    p.distinguished_name = dn;
    let (nb, na) = (ymd(&h.not_before)?, ymd(&h.not_after)?);
    p.not_before = date_time_ymd(nb.0, nb.1, nb.2);
    p.not_after = date_time_ymd(na.0, na.1, na.2);
    Ok(p)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn main() -> Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cards"));
    let mut ca = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(
        DnType::OrganizationName,
        "insi-bench TEST - NOT FOR PRODUCTION",
    );
    dn.push(DnType::CommonName, "TEST AC INSI-BENCH CPX");
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = date_time_ymd(2025, 1, 1);
    ca.not_after = date_time_ymd(2040, 12, 31);
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
    let ca_key_pem = ca_key.serialize_pem();
    let ca = CertifiedIssuer::self_signed(ca, ca_key)?;
    write(&dir.join("cpx-ca.pem"), &ca.pem())?;
    write(&dir.join("cpx-ca.key.pem"), &ca_key_pem)?;

    let mut entries: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        let profile = Profile::load(path)?;
        if profile.file.kind != Kind::Cps3 {
            continue;
        }
        let Some(c) = &profile.file.cps3 else {
            continue;
        };
        let h = &c.holder;
        let gip = CustomExtension::from_oid_content(
            &OID_GIP_CARD_TYPE[..8],
            // Encoded as an INTEGER whose last byte is the card type (our choice, docs/cards.md).
            vec![0x02, 0x01, card_type_byte(&h.card_type)?],
        );

        let auth_key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
        let mut auth = holder_params(h, "authentification")?;
        auth.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        auth.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let auth_cert = auth.signed_by(&auth_key, &ca)?;

        let sign_key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
        let mut sign = holder_params(h, "signature")?;
        sign.key_usages = vec![KeyUsagePurpose::ContentCommitment];
        sign.custom_extensions.push(gip);
        let sign_cert = sign.signed_by(&sign_key, &ca)?;

        write(&profile.resolve(&c.auth_key), &auth_key.serialize_pem())?;
        write(&profile.resolve(&c.auth_cert), &auth_cert.pem())?;
        write(&profile.resolve(&c.sign_key), &sign_key.serialize_pem())?;
        write(&profile.resolve(&c.sign_cert), &sign_cert.pem())?;
    }
    Ok(())
}
