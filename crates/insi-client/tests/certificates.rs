//! Certificate files in every format a publisher meets: PEM, DER, PKCS#12 (AES and legacy
//! 3DES), inspected and turned into client identities. Certificates are generated here with
//! rcgen; nothing is copied from elsewhere.

use insi_client::{
    CertError, CertificateFile, ClientIdentity, FileFormat, HttpTransport, Password, TlsSetup,
    inspect,
};
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

struct Issued {
    ca_pem: String,
    ca_der: Vec<u8>,
    cert_pem: String,
    cert_der: Vec<u8>,
    key_pem: String,
    key_der: Vec<u8>,
}

fn issue(cn: &str, days_valid: i64) -> Issued {
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params.distinguished_name.push(
        DnType::CommonName,
        "TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS",
    );
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let mut params = CertificateParams::default();
    // The default DN holds a CN already; start empty so the order is ours.
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CountryName, "FR");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "CENTRE DE SANTE TEST");
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, "10B0152872");
    params.distinguished_name.push(DnType::CommonName, cn);
    // Midnight UTC, `offset` days from today.
    let day = |offset: i64| {
        let d = jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .checked_add(jiff::Span::new().days(offset))
            .unwrap();
        rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
    };
    params.not_before = day(-10);
    params.not_after = day(days_valid);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    Issued {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
        key_der: key.serialize_der(),
    }
}

fn pkcs12(issued: &Issued, password: &str, algorithm: EncryptionAlgorithm) -> Vec<u8> {
    let mut store = KeyStore::new();
    let chain = PrivateKeyChain::new(
        b"insi-auto".to_vec(),
        PrivateKey::from_der(&issued.key_der).unwrap(),
        [
            Certificate::from_der(&issued.cert_der).unwrap(),
            Certificate::from_der(&issued.ca_der).unwrap(),
        ],
    );
    store.add_entry("insi-auto", KeyStoreEntry::PrivateKeyChain(chain));
    store
        .writer(password)
        .encryption_algorithm(algorithm)
        .write()
        .unwrap()
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

#[test]
fn pem_der_and_pkcs12_give_the_same_report() {
    let issued = issue("INSI-AUTO", 3 * 365);
    let password = Password::new("insi-bench".into());
    let files = [
        CertificateFile::parse(issued.cert_pem.as_bytes(), "pem", None).unwrap(),
        CertificateFile::parse(&issued.cert_der, "der", None).unwrap(),
        CertificateFile::parse(
            &pkcs12(
                &issued,
                "insi-bench",
                EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            ),
            "p12-aes",
            Some(&password),
        )
        .unwrap(),
        CertificateFile::parse(
            &pkcs12(
                &issued,
                "insi-bench",
                EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
            ),
            "p12-3des",
            Some(&password),
        )
        .unwrap(),
    ];
    let formats: Vec<_> = files.iter().map(|f| f.format).collect();
    assert_eq!(
        formats,
        [
            FileFormat::Pem,
            FileFormat::Der,
            FileFormat::Pkcs12,
            FileFormat::Pkcs12
        ]
    );
    for file in &files {
        let r = inspect(file, "test", now()).unwrap();
        assert_eq!(
            r.subject,
            "C=FR, O=CENTRE DE SANTE TEST, OU=10B0152872, CN=INSI-AUTO"
        );
        assert_eq!(r.issuer, "CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS");
        assert_eq!(r.cn.as_deref(), Some("INSI-AUTO"));
        assert_eq!(r.ou.as_deref(), Some("10B0152872"));
        assert_eq!(r.insi_profile, Some("INSI-AUTO"));
        assert!(
            (3 * 365 - 2..=3 * 365).contains(&r.days_left),
            "{}",
            r.days_left
        );
        assert!(r.key_usage.iter().any(|k| k == "Digital Signature"));
        assert_eq!(r.extended_key_usage, ["clientAuth"]);
        // Only the "test certificate" note: no CN, validity or usage problem.
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("TEST"), "{:?}", r.warnings);
    }
    assert!(!files[0].has_key() && files[2].has_key() && files[3].has_key());
    let chain = inspect(&files[2], "p12", now()).unwrap().chain;
    assert_eq!(chain, ["CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS"]);
}

#[test]
fn warnings_name_the_problem() {
    let soon = issue("SERVEUR-APP", 30);
    let file = CertificateFile::parse(soon.cert_pem.as_bytes(), "soon", None).unwrap();
    let r = inspect(&file, "soon", now()).unwrap();
    assert_eq!(r.insi_profile, None);
    assert!(r.days_left < 90);
    let all = r.warnings.join("\n");
    assert!(
        all.contains("expires in 29 days") || all.contains("expires in 28 days"),
        "{all}"
    );
    assert!(all.contains("DESIR_560"), "{all}");

    // Seen from a date after its end: expired, with the date.
    let later = now() + jiff::SignedDuration::from_hours(24 * 60);
    let r = inspect(&file, "soon", later).unwrap();
    assert!(r.days_left < 0);
    assert!(
        r.warnings.iter().any(|w| w.starts_with("expired on ")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn pkcs12_password_problems_are_explained() {
    let issued = issue("INSI-MANU", 365);
    let p12 = pkcs12(
        &issued,
        "right",
        EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
    );
    let err = CertificateFile::parse(&p12, "x.p12", None).unwrap_err();
    assert!(matches!(err, CertError::PasswordNeeded(_)));
    assert!(err.to_string().contains("INSI_BENCH_P12_PASSWORD"), "{err}");
    let err =
        CertificateFile::parse(&p12, "x.p12", Some(&Password::new("wrong".into()))).unwrap_err();
    assert!(err.to_string().contains("wrong password"), "{err}");
    assert!(!format!("{:?}", Password::new("secret".into())).contains("secret"));
}

#[test]
fn garbage_is_refused_without_panicking() {
    for bytes in [
        &b""[..],
        b"hello",
        b"\x30\x03\x02\x01",
        b"-----BEGIN CERTIFICATE-----\nxx\n",
    ] {
        assert!(CertificateFile::parse(bytes, "junk", Some(&Password::new("p".into()))).is_err());
    }
}

#[test]
fn identities_from_pem_and_pkcs12_are_accepted_by_the_tls_stack() {
    let issued = issue("INSI-AUTO", 365);
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, p12) = (
        dir.path().join("c.pem"),
        dir.path().join("c.key"),
        dir.path().join("c.p12"),
    );
    std::fs::write(&cert, &issued.cert_pem).unwrap();
    std::fs::write(&key, &issued.key_pem).unwrap();
    std::fs::write(
        &p12,
        pkcs12(
            &issued,
            "pw",
            EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
        ),
    )
    .unwrap();
    let ca = insi_client::cert::parse_ca_pem(issued.ca_pem.as_bytes(), "ca").unwrap();

    let from_pem = ClientIdentity::from_pem_files(&cert, Some(&key)).unwrap();
    let from_p12 = ClientIdentity::from_pkcs12_file(&p12, &Password::new("pw".into())).unwrap();
    assert_eq!(from_pem.leaf(), from_p12.leaf());
    assert_eq!(from_p12.chain_len(), 2);
    assert!(!format!("{from_p12:?}").contains("PRIVATE"));
    for identity in [from_pem, from_p12] {
        HttpTransport::new(
            TlsSetup {
                ca: ca.clone(),
                identity: Some(identity),
            },
            std::time::Duration::from_secs(1),
        )
        .unwrap();
    }
    let no_key = ClientIdentity::from_pem_files(&cert, None).unwrap_err();
    assert!(matches!(no_key, CertError::NoKey(_)), "{no_key}");
}

#[test]
fn secrets_never_show_in_debug_output() {
    let issued = issue("INSI-AUTO", 365);
    let needle = "Pw-debug-needle-31";
    let password = Password::new(needle.to_owned());
    assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    let p12 = pkcs12(
        &issued,
        needle,
        EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
    );
    let file = CertificateFile::parse(&p12, "client.p12", Some(&password)).unwrap();
    assert!(file.has_key());
    let pem = format!("{}{}", issued.cert_pem, issued.key_pem);
    let identity = ClientIdentity::from_pem(pem.as_bytes()).unwrap();
    for text in [format!("{file:?}"), format!("{identity:?}")] {
        assert!(!text.contains(needle), "{text}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
    }
}
