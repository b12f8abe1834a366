//! The same CPx scenarios through the in-memory emulator and through pcscd + vpcd.
//!
//! `memory::*` runs everywhere in milliseconds; `pcscd::*` goes through the real PC/SC stack
//! (private pcscd per test process, card-emu plugged into vpcd) and says loudly when skipped.

use std::any::Any;

use apdu::CardTransport;
use card_emu::harness::{Session, acquire_or_skip};
use card_emu::{Card, Faults, MemoryTransport, Profile};
use cpx::{CertRole, Cpx, CpxError, Pin, PinStatus};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Encrypt, Pkcs1v15Sign, PublicKey};
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

fn profile(name: &str) -> Card {
    let path = format!("{}/../../testdata/cards/{name}", env!("CARGO_MANIFEST_DIR"));
    Profile::load(path).unwrap().build().unwrap()
}

/// A card in a reader: the transport, and whatever keeps the emulated card inserted.
struct Inserted {
    t: Box<dyn CardTransport>,
    _keep: Box<dyn Any>,
}

/// The card stays inserted as long as its transport lives.
impl CardTransport for Inserted {
    fn atr(&self) -> &[u8] {
        self.t.atr()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, apdu::TransportError> {
        self.t.transmit(apdu)
    }
}

trait Rig {
    fn insert(&self, card: Card) -> Inserted;
}

struct Memory;
impl Rig for Memory {
    fn insert(&self, card: Card) -> Inserted {
        Inserted {
            t: Box::new(MemoryTransport::new(card)),
            _keep: Box::new(()),
        }
    }
}

struct Pcsc(Session);
impl Rig for Pcsc {
    fn insert(&self, card: Card) -> Inserted {
        let vc = self.0.insert(card).unwrap();
        let t = self.0.context().unwrap().connect(self.0.reader()).unwrap();
        Inserted {
            t: Box::new(t),
            _keep: Box::new(vc),
        }
    }
}

fn public_key(der: &[u8]) -> PublicKey {
    let (_, c) = X509Certificate::from_der(der).unwrap();
    PublicKey::from_public_key_der(c.public_key().raw).unwrap()
}

mod scenarios {
    use super::*;

    pub fn info_without_pin(rig: &dyn Rig) {
        let mut card = Cpx::open(rig.insert(profile("cps3-demo.toml"))).unwrap();
        let info = card.info().unwrap();
        assert_eq!(info.serial, "2900995235");
        assert_eq!(
            info.pin,
            PinStatus {
                max_tries: 3,
                tries_left: 3
            }
        );
        assert_eq!(
            info.update_window,
            Some(("20250101000000".into(), "20281231235959".into()))
        );
        assert_eq!(info.certificates.len(), 2);
        let sign = info
            .certificates
            .iter()
            .find(|c| c.role == CertRole::Signature)
            .unwrap();
        assert!(sign.subject.contains("CN=899700123456"), "{}", sign.subject);
        assert!(
            sign.issuer.contains("CN=TEST AC INSI-BENCH CPX"),
            "{}",
            sign.issuer
        );
        assert_eq!(sign.card_type.as_deref(), Some("CPS"));
        assert_eq!(sign.not_after, "2028-12-31T00:00:00Z");
        assert!(
            sign.der.len() > 231,
            "certificates need several READ BINARY chunks"
        );
        let auth = info
            .certificates
            .iter()
            .find(|c| c.role == CertRole::Authentication)
            .unwrap();
        assert_eq!(auth.card_type, None);
        assert!(!card.pin_verified().unwrap());
        // EF.ATR carries the stray 80 of real CPx cards; the IAS-ECC AID comes out clean.
        let ef_atr = card.ef_atr().unwrap();
        let aid = &ef_atr.iter().find(|(t, _)| *t == 0x4F).unwrap().1;
        assert_eq!(aid, &[0x80, 0x25, 0, 0, 1, 0xFF, 1, 0]);
    }

    pub fn t0_get_response_chains(rig: &dyn Rig) {
        // A card that hands out at most 16 bytes per 61xx: a signature takes 16 GET RESPONSEs.
        let mut emulated = profile("cps3-demo.toml");
        emulated.set_t0_chunk(Some(16));
        let mut card = Cpx::open(rig.insert(emulated)).unwrap();
        card.verify_pin(&Pin::new("1234").unwrap()).unwrap();
        let msg = vec![0x5A; 1000];
        let sig = card.sign_sha256(&msg).unwrap();
        let certs = card.certificates().unwrap();
        let sign = certs
            .iter()
            .find(|c| c.role == CertRole::Signature)
            .unwrap();
        public_key(&sign.der)
            .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&msg), &sig)
            .unwrap();
    }

    pub fn pin_counter_down_to_blocked(rig: &dyn Rig) {
        let mut card = Cpx::open(rig.insert(profile("cps3-demo.toml"))).unwrap();
        let wrong = Pin::new("9999").unwrap();
        assert_eq!(
            card.verify_pin(&wrong),
            Err(CpxError::WrongPin { tries_left: 2 })
        );
        assert_eq!(card.pin_status().unwrap().tries_left, 2);
        assert_eq!(
            card.verify_pin(&wrong),
            Err(CpxError::WrongPin { tries_left: 1 })
        );
        assert_eq!(card.verify_pin(&wrong), Err(CpxError::PinBlocked));
        assert!(card.pin_status().unwrap().is_blocked());
        // Blocked means blocked, even with the right PIN; and nothing signs.
        assert_eq!(
            card.verify_pin(&Pin::new("1234").unwrap()),
            Err(CpxError::PinBlocked)
        );
        assert_eq!(card.sign_sha256(b"x"), Err(CpxError::PinRequired));
    }

    pub fn right_pin_restores_the_counter(rig: &dyn Rig) {
        let mut card = Cpx::open(rig.insert(profile("cps3-demo.toml"))).unwrap();
        assert_eq!(card.sign_sha256(b"x"), Err(CpxError::PinRequired));
        assert_eq!(
            card.verify_pin(&Pin::new("0000").unwrap()),
            Err(CpxError::WrongPin { tries_left: 2 })
        );
        card.verify_pin(&Pin::new("1234").unwrap()).unwrap();
        assert_eq!(card.pin_status().unwrap().tries_left, 3);
        assert!(card.pin_verified().unwrap());
    }

    pub fn authenticate_and_decipher(rig: &dyn Rig) {
        let mut card = Cpx::open(rig.insert(profile("cps3-demo.toml"))).unwrap();
        card.verify_pin(&Pin::new("1234").unwrap()).unwrap();
        let certs = card.certificates().unwrap();
        let auth = public_key(
            &certs
                .iter()
                .find(|c| c.role == CertRole::Authentication)
                .unwrap()
                .der,
        );
        // A SHA-256 DigestInfo (51 bytes), as a TLS 1.2 CertificateVerify would send.
        let digest = Sha256::digest(b"handshake transcript");
        let di = cpx::sha256::digest_info_sha256(&digest.into());
        assert_eq!(di.len(), 51);
        let sig = card.authenticate(&di).unwrap();
        auth.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &sig)
            .unwrap();
        assert!(matches!(
            card.authenticate(&[0; 103]),
            Err(CpxError::InputTooLong { .. })
        ));
        let secret = b"session key material";
        let ct = auth
            .encrypt(&mut rand_core_rng(), Pkcs1v15Encrypt, secret)
            .unwrap();
        assert_eq!(&card.decipher(&ct).unwrap()[..], secret);
    }

    pub fn card_removed_mid_transaction(rig: &dyn Rig) {
        let mut emulated = profile("cps3-demo.toml");
        // Open (1 APDU), then EF.SN.ICC select + 2 reads, then pulled while reading EF_ACTUA.
        emulated.faults = Faults {
            pull_after_apdus: Some(4),
            ..Faults::default()
        };
        let mut card = Cpx::open(rig.insert(emulated)).unwrap();
        let err = card.info().unwrap_err();
        assert!(err.is_card_removed(), "{err}");
        assert!(err.to_string().contains("insert it again"), "{err}");
    }

    pub fn slow_card_still_answers(rig: &dyn Rig) {
        let mut emulated = profile("cps3-demo.toml");
        emulated.faults = Faults {
            slow: Some(std::time::Duration::from_millis(40)),
            ..Faults::default()
        };
        let mut card = Cpx::open(rig.insert(emulated)).unwrap();
        assert_eq!(card.serial().unwrap(), "2900995235");
        assert_eq!(card.pin_status().unwrap().tries_left, 3);
    }

    pub fn unknown_and_vitale1_cards_are_refused(rig: &dyn Rig) {
        for (name, atr) in [
            ("unknown.toml", "3B 67 00 00 2D 20 16 01 78 90 00"),
            ("vitale1.toml", "3F 65 25 00 52 09 6A 90 00"),
        ] {
            let err = Cpx::open(rig.insert(profile(name))).unwrap_err();
            assert_eq!(err, CpxError::NotCpx { atr: atr.into() });
            assert!(err.to_string().contains("not a CPx"));
        }
    }

    pub fn broken_lengths_fail_without_hanging(rig: &dyn Rig) {
        let mut emulated = profile("cps3-demo.toml");
        emulated.faults = Faults {
            wrong_le: true,
            ..Faults::default()
        };
        // SELECT's FCP is fetched by GET RESPONSE, which the broken card answers with a wrong
        // 6Cxx twice in a row: an error naming the status, not a loop.
        let err = Cpx::open(rig.insert(emulated)).unwrap_err();
        assert!(err.to_string().contains("card answered 6C"), "{err}");
    }
}

/// A deterministic RNG for the test-side RSA encryption (the card side needs none).
fn rand_core_rng() -> impl rsa::rand_core::TryCryptoRng {
    struct Counter(u64);
    impl rsa::rand_core::TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(self.try_next_u64()? as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Ok(self.0 | 0x0101_0101_0101_0101)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                *b = (self.try_next_u64()? >> 24) as u8 | 1;
            }
            Ok(())
        }
    }
    impl rsa::rand_core::TryCryptoRng for Counter {}
    Counter(42)
}

macro_rules! both_tiers {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $( #[test] fn $name() { super::scenarios::$name(&super::Memory) } )*
        }
        mod pcscd {
            $( #[test] fn $name() {
                let Some(s) = super::acquire_or_skip(stringify!($name)) else { return };
                super::scenarios::$name(&super::Pcsc(s))
            } )*
        }
    };
}

both_tiers!(
    info_without_pin,
    t0_get_response_chains,
    pin_counter_down_to_blocked,
    right_pin_restores_the_counter,
    authenticate_and_decipher,
    card_removed_mid_transaction,
    slow_card_still_answers,
    unknown_and_vitale1_cards_are_refused,
    broken_lengths_fail_without_hanging,
);

#[test]
fn reader_without_card() {
    let Some(s) = acquire_or_skip("reader_without_card") else {
        return;
    };
    let err = s.context().unwrap().connect(s.reader()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no card in reader {:?}: insert a card", s.reader())
    );
}

#[test]
fn reset_by_another_application_loses_the_pin_state() {
    let Some(s) = acquire_or_skip("reset_by_another_application_loses_the_pin_state") else {
        return;
    };
    let _inserted = s.insert(profile("cps3-demo.toml")).unwrap();
    let ctx = s.context().unwrap();
    let mut mine = Cpx::open(ctx.connect(s.reader()).unwrap()).unwrap();
    mine.verify_pin(&Pin::new("1234").unwrap()).unwrap();
    assert!(mine.pin_verified().unwrap());
    // Another application (shared mode) resets the card.
    let mut other = ctx.connect(s.reader()).unwrap();
    other.reconnect(true).unwrap();
    let err = mine.pin_verified().unwrap_err();
    assert!(err.to_string().contains("was reset"), "{err}");
    // The transport reconnected; the PIN must be presented again (never replayed by us).
    assert!(!mine.pin_verified().unwrap());
    assert_eq!(mine.sign_sha256(b"x"), Err(CpxError::PinRequired));
}

#[test]
fn contactless_cps3_is_refused_with_advice() {
    let cl =
        apdu::hex::parse("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E").unwrap();
    let err = Cpx::open(MemoryTransport::new(profile("cps3-demo.toml").with_atr(cl))).unwrap_err();
    assert_eq!(err, CpxError::Contactless);
    assert!(err.to_string().contains("contact reader"));
}
