//! A throw-away test PKI generated in-process with rcgen (RSA-2048, SHA-256). NOT FOR PRODUCTION.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, date_time_ymd,
};

#[derive(Debug)]
pub struct Leaf {
    pub key_pkcs8: Vec<u8>,
    pub cert_der: Vec<u8>,
}

#[derive(Debug)]
pub struct Pki {
    pub root_der: Vec<u8>,
    pub intermediate_der: Vec<u8>,
    pub leaf: Leaf,
    pub expired_leaf: Leaf,
    pub rogue_leaf: Leaf,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "insi-bench TEST PKI");
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

fn leaf_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, "Hôpital de Test");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    p
}

/// CA keys are ECDSA (instant to generate; chains may mix algorithms); the signing key is the
/// one RSA-2048 key all leaves share, generated once per test process.
fn ca_key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
}

pub fn build() -> Pki {
    let root = CertifiedIssuer::self_signed(ca_params("TEST Root CA"), ca_key()).unwrap();
    let inter = CertifiedIssuer::signed_by(ca_params("TEST AC Classe 1"), ca_key(), &root).unwrap();
    let rsa = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let leaf = |params: CertificateParams, issuer: &CertifiedIssuer<'_, KeyPair>| {
        let key = &rsa;
        let cert = params.signed_by(key, issuer).unwrap();
        Leaf {
            key_pkcs8: key.serialize_der(),
            cert_der: cert.der().to_vec(),
        }
    };
    let mut expired = leaf_params("899700000002 EXPIRE");
    expired.not_before = date_time_ymd(2000, 1, 1);
    expired.not_after = date_time_ymd(2001, 1, 1);
    let rogue_root = CertifiedIssuer::self_signed(ca_params("TEST Root CA"), ca_key()).unwrap();
    Pki {
        root_der: root.der().to_vec(),
        intermediate_der: inter.der().to_vec(),
        leaf: leaf(leaf_params("899700000001 DUPONT Jean"), &inter),
        expired_leaf: leaf(expired, &inter),
        rogue_leaf: leaf(leaf_params("899700000001 DUPONT Jean"), &rogue_root),
    }
}
