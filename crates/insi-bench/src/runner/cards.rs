//! Virtual cards for package cases (`cards/*.toml`, `docs/package-format.md`): the CPx card that
//! signs a case's PS assertion, and the Vitale card a Vitale search reads. Both are `card-emu`
//! cards behind the in-memory transport, driven by the same `cpx` / `vitale` code as a reader.
//!
//! The PIN comes from the card profile: these are TEST cards with TEST PINs, and the runner is
//! unattended. It is presented once per case and never retried (a wrong profile PIN ends the
//! case with the card's tries-left message).

use std::path::Path;
use std::sync::Arc;

use card_emu::profile::{Kind, ProfileFile};
use card_emu::{Card, MemoryTransport, Profile};
use cpx::{Cpx, CpxSigner, Pin};
use insi_client::{AssertionProvider, SignedAssertions, VitaleSearch};
use rsa::pkcs8::DecodePrivateKey;
use vitale::{Beneficiaire, Vitale2Card, VitaleSource};
use zeroize::Zeroizing;

use super::outcome::{Outcome, Refusal};
use crate::package::model;

/// The CA of the shipped emulated CPx cards (`testdata/cards/cpx-ca.pem`): the embedded
/// simulator trusts it for CPx cases, next to its ephemeral CA.
pub const SHIPPED_CARD_CA: &str = include_str!("../../../../testdata/cards/cpx-ca.pem");

// The default CPx card (`testdata/cards/cps3-demo.toml`), compiled in so that a CPx case
// without `input.cpx_card` runs from any directory.
const DEMO_PROFILE: &str = include_str!("../../../../testdata/cards/cps3-demo.toml");
const DEMO_AUTH_KEY: &str = include_str!("../../../../testdata/cards/cps3-demo.auth.key.pem");
const DEMO_AUTH_CERT: &str = include_str!("../../../../testdata/cards/cps3-demo.auth.pem");
const DEMO_SIGN_KEY: &str = include_str!("../../../../testdata/cards/cps3-demo.sign.key.pem");
const DEMO_SIGN_CERT: &str = include_str!("../../../../testdata/cards/cps3-demo.sign.pem");

/// The profile of `input.card` (relative to the package root; the loader checked it stays in
/// `cards/`), with the kind the operation needs.
fn load(root: &Path, card: &Path, want: Kind) -> Result<Profile, String> {
    let profile =
        Profile::load(root.join(card)).map_err(|e| format!("card {}: {e}", card.display()))?;
    if profile.file.kind != want {
        return Err(format!(
            "card {} is a {:?} card; this case needs kind = \"{}\"",
            card.display(),
            profile.file.kind,
            match want {
                Kind::Cps3 => "cps3",
                Kind::Vitale2 => "vitale2",
                Kind::Vitale1 => "vitale1",
                Kind::Unknown => "unknown",
            }
        ));
    }
    Ok(profile)
}

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
    let pin = Zeroizing::new(spec.pin.clone());
    let card = card_emu::cps3::build(
        card_emu::cps3::Cps3Material {
            serial: spec.serial,
            pin: Zeroizing::new(spec.pin),
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

/// Inserts the case's CPx card (or the built-in demo card), and unlocks it with its profile PIN.
pub fn cpx_signer(root: &Path, card: Option<&Path>) -> Result<CpxSigner<MemoryTransport>, String> {
    let (built, pin) = match card {
        Some(path) => {
            let profile = load(root, path, Kind::Cps3)?;
            let pin = Zeroizing::new(
                profile
                    .file
                    .cps3
                    .as_ref()
                    .map(|c| c.pin.clone())
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

/// Reads beneficiary `index` (1-based, card order) of the case's Vitale card.
pub fn vitale_beneficiaire(root: &Path, card: &Path, index: u32) -> Result<Beneficiaire, String> {
    let profile = load(root, card, Kind::Vitale2)?;
    let built = profile
        .build()
        .map_err(|e| format!("card {}: {e}", card.display()))?;
    let mut reader =
        Vitale2Card::open(MemoryTransport::new(built)).map_err(|e| format!("Vitale card: {e}"))?;
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
                "input.beneficiaire = {index}, but card {} holds {count} beneficiaries (1..={count})",
                card.display()
            )
        })
}

/// The practice attributes of the PS assertion in runner CPx cases: the simulator's test values
/// (`identifiantFacturation` and `secteurActivite`, INSI-PROTOCOL.md §2.5.2).
fn runner_ps_attributes() -> insi_soap::PsAttributes {
    insi_soap::PsAttributes {
        identifiant_facturation: "991130972".into(),
        code_specialite_amo: None,
        secteur_activite: "SA05".into(),
    }
}

/// CPx mode for a case: its card unlocked with the profile's test PIN, as an assertion provider,
/// and the PS identifier (signature certificate CN) that goes in `Emetteur`.
pub fn cpx_assertions(
    package_root: &Path,
    input: &model::Input,
) -> Result<(Arc<dyn AssertionProvider>, String), String> {
    let card = input.cpx_card.as_ref().map(|c| c.get_ref().as_path());
    let signer = cpx_signer(package_root, card)?;
    let ps_id = insi_client::inspect_der(
        &rustls_pki_types::CertificateDer::from(signer.certificate().der.clone()),
        "CPx signature certificate",
        jiff::Timestamp::now(),
    )
    .map_err(|e| e.to_string())?
    .cn
    .ok_or("the CPx signature certificate has no CN (the PS identifier)")?;
    Ok((
        Arc::new(SignedAssertions::new(signer, runner_ps_attributes())),
        ps_id,
    ))
}

/// Reads the case's Vitale card and turns the chosen beneficiary into a search; damaged card
/// data is a refusal (nothing sent), a card that cannot be read an error.
pub fn vitale_search(
    package_root: &Path,
    input: &model::Input,
) -> Result<VitaleSearch, Box<Outcome>> {
    let Some(card) = input.card.as_ref() else {
        return Err(Box::new(super::execute::error(
            "a Vitale search needs input.card",
        )));
    };
    let index = input.beneficiaire.unwrap_or(1);
    let b = vitale_beneficiaire(package_root, card.get_ref(), index)
        .map_err(|e| Box::new(super::execute::error(&e)))?;
    let Some(nir) = b.nir.as_deref() else {
        return Err(Box::new(super::execute::error(&format!(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_card_unlocks_and_chains_to_the_shipped_ca() {
        let signer = cpx_signer(Path::new("."), None).unwrap();
        assert_eq!(signer.certificate().card_type.as_deref(), Some("CPS"));
        assert!(
            signer
                .certificate()
                .issuer
                .contains("TEST AC INSI-BENCH CPX")
        );
        assert!(SHIPPED_CARD_CA.contains("BEGIN CERTIFICATE"));
    }

    #[test]
    fn wrong_kind_and_index_are_explained() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"));
        let err = cpx_signer(root, Some(Path::new("cards/vitale2-famille.toml"))).unwrap_err();
        assert!(err.contains("needs kind = \"cps3\""), "{err}");
        let err =
            vitale_beneficiaire(root, Path::new("cards/vitale2-famille.toml"), 4).unwrap_err();
        assert!(err.contains("holds 3 beneficiaries"), "{err}");
        let b = vitale_beneficiaire(root, Path::new("cards/vitale2-famille.toml"), 2).unwrap();
        assert_eq!(b.prenom, "LÉO");
    }
}
