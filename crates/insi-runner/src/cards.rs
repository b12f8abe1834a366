//! Virtual cards for package cases (`cards/*.toml`, `docs/package-format.md`): the CPx card that
//! signs a case's PS assertion, and the Vitale card a Vitale search reads. Both are `card-emu`
//! cards behind the in-memory transport, driven by the same `cpx` / `vitale` code as a reader.
//!
//! Each profile a case names is loaded **once**, by [`CardSet::load`] before the run (its
//! problems are package problems, located like the loader's); each case then builds a fresh card
//! from it, so PIN counters never leak from one case to the next.
//!
//! The PIN comes from the card profile: these are TEST cards with TEST PINs, and the runner is
//! unattended. It is presented once per case and never retried (a wrong profile PIN ends the
//! case with the card's tries-left message).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use card_emu::profile::{Kind, ProfileFile};
use card_emu::{Card, MemoryTransport, Profile};
use cpx::{Cpx, CpxSigner, Pin};
use insi_client::{SignedAssertions, VitaleSearch};
use insi_package::{CardKind, CardProfiles, Input, Package, PackageErrors};
use rsa::pkcs8::DecodePrivateKey;
use vitale::{Beneficiaire, Vitale2Card, VitaleSource};
use zeroize::Zeroizing;

use crate::outcome::{Outcome, Refusal};
use crate::target::CpxAuth;

/// The card profiles a package's cases name, each loaded and kind-checked once.
#[derive(Debug, Default)]
pub struct CardSet {
    profiles: HashMap<PathBuf, Profile>,
    /// Profiles that failed to load, with the message, so each is read once even when broken.
    broken: HashMap<PathBuf, String>,
}

impl CardProfiles for CardSet {
    fn check(&mut self, root: &Path, relative: &Path, kind: CardKind) -> Result<(), String> {
        if let Some(message) = self.broken.get(relative) {
            return Err(message.clone());
        }
        if !self.profiles.contains_key(relative) {
            match Profile::load(root.join(relative)) {
                Ok(profile) => {
                    self.profiles.insert(relative.to_path_buf(), profile);
                }
                Err(e) => {
                    let message = format!("{}: {e}", relative.display());
                    self.broken.insert(relative.to_path_buf(), message.clone());
                    return Err(message);
                }
            }
        }
        let want = match kind {
            CardKind::Vitale2 => Kind::Vitale2,
            CardKind::Cps3 => Kind::Cps3,
        };
        match self.profiles.get(relative) {
            Some(profile) if profile.file.kind != want => Err(format!(
                "{} is a {:?} card; this field takes a {want:?} card",
                relative.display(),
                profile.file.kind
            )),
            _ => Ok(()),
        }
    }
}

impl CardSet {
    /// Loads every `input.card` (a Vitale 2 card) and `input.cpx_card` (a CPS3) of `package`.
    /// All problems are reported together, located at the case line that names the card.
    pub fn load(package: &Package) -> Result<CardSet, PackageErrors> {
        let mut set = CardSet::default();
        let mut problems = Vec::new();
        for loaded in &package.cases {
            let input = &loaded.case.input;
            for (card, kind) in [
                (&input.card, CardKind::Vitale2),
                (&input.cpx_card, CardKind::Cps3),
            ] {
                let Some(card) = card else { continue };
                if let Err(message) = set.check(&package.root, card.get_ref(), kind) {
                    problems.push(package.problem_at(&loaded.file, Some(card.span()), message));
                }
            }
        }
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(PackageErrors(problems))
        }
    }

    fn profile(&self, card: &Path, want: Kind) -> Result<&Profile, String> {
        let profile = self.profiles.get(card).ok_or_else(|| {
            format!(
                "card {} was not loaded with the package (CardSet::load)",
                card.display()
            )
        })?;
        if profile.file.kind != want {
            return Err(format!(
                "card {} is a {:?} card; this case needs kind = \"{}\"",
                card.display(),
                profile.file.kind,
                want.as_str()
            ));
        }
        Ok(profile)
    }

    /// Inserts the case's CPx card (or the built-in demo card), and unlocks it with its
    /// profile PIN.
    pub fn cpx_signer(&self, card: Option<&Path>) -> Result<CpxSigner<MemoryTransport>, String> {
        let (built, pin) = match card {
            Some(path) => {
                let profile = self.profile(path, Kind::Cps3)?;
                let pin = Zeroizing::new(
                    profile
                        .file
                        .cps3
                        .as_ref()
                        .map(|c| c.pin.expose().to_owned())
                        .unwrap_or_default(),
                );
                let built = profile
                    .build()
                    .map_err(|e| format!("card {}: {e}", path.display()))?;
                (built, pin)
            }
            None => demo_card()?,
        };
        let pin = Pin::new(&pin).map_err(|e| format!("the card profile's PIN: {e}"))?;
        let card = Cpx::open(MemoryTransport::new(built)).map_err(|e| format!("CPx card: {e}"))?;
        CpxSigner::unlock(card, pin).map_err(|locked| format!("CPx card: {locked}"))
    }

    /// Reads beneficiary `index` (1-based, card order) of a Vitale card.
    pub fn vitale_beneficiaire(&self, card: &Path, index: u32) -> Result<Beneficiaire, String> {
        let built = self
            .profile(card, Kind::Vitale2)?
            .build()
            .map_err(|e| format!("card {}: {e}", card.display()))?;
        let mut reader = Vitale2Card::open(MemoryTransport::new(built))
            .map_err(|e| format!("Vitale card: {e}"))?;
        let people = reader
            .beneficiaires()
            .map_err(|e| format!("Vitale card: {e}"))?;
        let count = people.len();
        usize::try_from(index)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| people.into_iter().nth(i))
            .ok_or_else(|| {
                format!(
                    "input.beneficiaire = {index}, but card {} holds {count} beneficiaries \
                     (1..={count})",
                    card.display()
                )
            })
    }

    /// CPx mode for a case: its card unlocked with the profile's test PIN, as an assertion
    /// provider, with the PS identifier (signature certificate CN) that goes in `Emetteur`.
    pub fn cpx_auth(&self, input: &Input) -> Result<CpxAuth, String> {
        let card = input.cpx_card.as_ref().map(|c| c.get_ref().as_path());
        let signer = self.cpx_signer(card)?;
        let ps_id = insi_client::inspect_der(
            &rustls_pki_types::CertificateDer::from(signer.certificate().der.clone()),
            "CPx signature certificate",
            jiff::Timestamp::now(),
        )
        .map_err(|e| e.to_string())?
        .cn
        .ok_or("the CPx signature certificate has no CN (the PS identifier)")?;
        Ok(CpxAuth {
            assertions: Arc::new(SignedAssertions::new(
                signer,
                insi_sim::cpx::test_ps_attributes(),
            )),
            ps_id,
        })
    }

    /// Reads the case's Vitale card and turns the chosen beneficiary into a search; damaged
    /// card data is a refusal (nothing sent), a card that cannot be read an error.
    pub fn vitale_search(&self, input: &Input) -> Result<VitaleSearch, Box<Outcome>> {
        let Some(card) = input.card.as_ref() else {
            return Err(Box::new(Outcome::error("a Vitale search needs input.card")));
        };
        let index = input.beneficiaire.unwrap_or(1);
        let b = self
            .vitale_beneficiaire(card.get_ref(), index)
            .map_err(|e| Box::new(Outcome::error(e)))?;
        let Some(nir) = b.nir.as_deref() else {
            return Err(Box::new(Outcome::error(format!(
                "beneficiary {index} has no NIR on the card: a Vitale search needs one"
            ))));
        };
        VitaleSearch::from_card(nir, &b.nom, &b.date_naissance, b.rang_naissance).map_err(|e| {
            Box::new(Outcome {
                refused: Some(Refusal {
                    field: "card".into(),
                    char: None,
                    position: None,
                    message: e.to_string(),
                }),
                ..Outcome::default()
            })
        })
    }
}

// The default CPx card (`testdata/cards/cps3-demo.toml`), compiled in so that a CPx case
// without `input.cpx_card` runs from any directory.
const DEMO_PROFILE: &str = include_str!("../../../testdata/cards/cps3-demo.toml");
const DEMO_AUTH_KEY: &str = include_str!("../../../testdata/cards/cps3-demo.auth.key.pem");
const DEMO_AUTH_CERT: &str = include_str!("../../../testdata/cards/cps3-demo.auth.pem");
const DEMO_SIGN_KEY: &str = include_str!("../../../testdata/cards/cps3-demo.sign.key.pem");
const DEMO_SIGN_CERT: &str = include_str!("../../../testdata/cards/cps3-demo.sign.pem");

fn demo_card() -> Result<(Card, Zeroizing<String>), String> {
    let file: ProfileFile =
        toml::from_str(DEMO_PROFILE).map_err(|e| format!("built-in demo card: {e}"))?;
    let spec = file.cps3.ok_or("built-in demo card: no [cps3] table")?;
    let key = |pem: &str| {
        rsa::PrivateKey::from_pkcs8_pem(pem).map_err(|e| format!("built-in demo card key: {e}"))
    };
    let cert = |pem: &str| {
        rsa::pkcs8::der::pem::decode_vec(pem.as_bytes())
            .map(|(_, der)| der)
            .map_err(|e| format!("built-in demo card certificate: {e}"))
    };
    let pin = Zeroizing::new(spec.pin.expose().to_owned());
    let card = card_emu::cps3::build(
        card_emu::cps3::Cps3Material {
            serial: spec.serial,
            pin: spec.pin.into_zeroizing(),
            tries_left: spec.pin_tries_left.unwrap_or(3),
            auth_key: key(DEMO_AUTH_KEY)?,
            auth_cert_der: cert(DEMO_AUTH_CERT)?,
            sign_key: key(DEMO_SIGN_KEY)?,
            sign_cert_der: cert(DEMO_SIGN_CERT)?,
            actua: spec.actua.map(|[a, b]| (a, b)),
            label: file.label,
        },
        Some(256),
    );
    Ok((card, pin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata_cards() -> CardSet {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"));
        let mut set = CardSet::default();
        for name in ["cards/vitale2-famille.toml", "cards/cps3-demo.toml"] {
            let profile = Profile::load(root.join(name)).unwrap();
            set.profiles.insert(PathBuf::from(name), profile);
        }
        set
    }

    #[test]
    fn the_built_in_card_unlocks_and_chains_to_the_shipped_ca() {
        let signer = CardSet::default().cpx_signer(None).unwrap();
        assert_eq!(signer.certificate().card_type.as_deref(), Some("CPS"));
        assert!(
            signer
                .certificate()
                .issuer
                .contains("TEST AC INSI-BENCH CPX")
        );
    }

    #[test]
    fn wrong_kind_and_index_are_explained() {
        let set = testdata_cards();
        let err = set
            .cpx_signer(Some(Path::new("cards/vitale2-famille.toml")))
            .unwrap_err();
        assert!(err.contains("needs kind = \"cps3\""), "{err}");
        let err = set
            .vitale_beneficiaire(Path::new("cards/vitale2-famille.toml"), 4)
            .unwrap_err();
        assert!(err.contains("holds 3 beneficiaries"), "{err}");
        let b = set
            .vitale_beneficiaire(Path::new("cards/vitale2-famille.toml"), 2)
            .unwrap();
        assert_eq!(b.prenom, "LÉO");
        assert!(
            set.cpx_signer(Some(Path::new("cards/cps3-demo.toml")))
                .is_ok()
        );
    }
}
