//! Card profiles in TOML (`testdata/cards/*.toml`): what card to emulate and with which data.
//!
//! ```toml
//! kind = "cps3"                     # or "vitale2", "vitale1", "unknown"
//! label = "CPS3 de test"
//! t0_chunk = 256                    # optional: bytes per 61xx (1..=256); 0 = T=1-style answers
//! [cps3]
//! serial = "2900995235"             # 10 digits
//! pin = "1234"                      # 4 to 8 digits
//! pin_tries_left = 3                # optional, 0..=3
//! actua = ["20250101000000", "20280101000000"]   # optional EF_ACTUA
//! auth_key = "cps3-demo.auth.key.pem"  # PKCS#8; paths relative to the TOML file
//! auth_cert = "cps3-demo.auth.pem"
//! sign_key = "cps3-demo.sign.key.pem"
//! sign_cert = "cps3-demo.sign.pem"
//! [cps3.holder]                     # used by the generator for the certificate subjects
//! ...
//! ```
//! Unknown keys are errors, with the file name and line.

use std::fs;
use std::path::{Path, PathBuf};

use rsa::PrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde::Deserialize;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::card::Card;
use crate::cps3::{self, Cps3Material};
use crate::vitale::{self, Beneficiary};

/// Why a profile could not be loaded.
#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{path}: {field}: {why}")]
    Invalid {
        path: PathBuf,
        field: &'static str,
        why: String,
    },
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Cps3,
    Vitale2,
    Vitale1,
    Unknown,
}

impl Kind {
    /// The `kind = "…"` value of a profile file.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cps3 => "cps3",
            Kind::Vitale2 => "vitale2",
            Kind::Vitale1 => "vitale1",
            Kind::Unknown => "unknown",
        }
    }
}

/// The TOML file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub kind: Kind,
    #[serde(default)]
    pub label: String,
    pub t0_chunk: Option<u16>,
    /// ATR override, hex (required for `unknown`).
    pub atr: Option<String>,
    pub cps3: Option<Cps3Spec>,
    #[serde(default, rename = "beneficiaire")]
    pub beneficiaires: Vec<BeneficiarySpec>,
}

/// A profile's PIN. Test material, yet handled as a PIN: zeroised on drop, never in `Debug`.
#[derive(Clone, Default, Deserialize)]
#[serde(from = "String")]
pub struct ProfilePin(Zeroizing<String>);

impl ProfilePin {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_zeroizing(self) -> Zeroizing<String> {
        self.0
    }
}

impl From<String> for ProfilePin {
    fn from(text: String) -> ProfilePin {
        ProfilePin(Zeroizing::new(text))
    }
}

impl std::fmt::Debug for ProfilePin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProfilePin(<redacted>)")
    }
}

/// The `[cps3]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cps3Spec {
    pub serial: String,
    pub pin: ProfilePin,
    pub pin_tries_left: Option<u8>,
    pub actua: Option<[String; 2]>,
    pub auth_key: PathBuf,
    pub auth_cert: PathBuf,
    pub sign_key: PathBuf,
    pub sign_cert: PathBuf,
    pub holder: Holder,
}

/// Who the card belongs to; the generator writes it into the certificates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    /// Identifiant national (RPPS with its `8` prefix, or ADELI `0`-prefixed), the subject CN.
    pub identifiant: String,
    pub nom: String,
    pub prenom: String,
    /// Profession, the subject title (e.g. "Médecin").
    pub profession: String,
    /// CPS, CPF, CPE or CPA: the GipCardType extension (INSI-PROTOCOL.md §2.5.2).
    pub card_type: String,
    /// Certificate validity, `YYYY-MM-DD`.
    pub not_before: String,
    pub not_after: String,
}

/// One `[[beneficiaire]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeneficiarySpec {
    pub nom: String,
    pub prenom: String,
    /// `YYYYMMDD`.
    pub date_naissance: String,
    /// 15 digits (13 + key).
    pub nir: String,
}

/// A loaded profile: the file and where it was.
#[derive(Debug, Clone)]
pub struct Profile {
    pub path: PathBuf,
    pub file: ProfileFile,
}

fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

impl Profile {
    /// Reads and checks a profile file (not the key files: see [`Profile::build`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let path = path.as_ref().to_owned();
        let text = fs::read_to_string(&path).map_err(|source| ProfileError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and checks a profile's text (no file is read). `path` is where the text comes
    /// from: errors name it, and the key and certificate paths resolve against its directory.
    pub fn parse(text: &str, path: impl Into<PathBuf>) -> Result<Self, ProfileError> {
        let path = path.into();
        let file: ProfileFile = toml::from_str(text).map_err(|e| ProfileError::Toml {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let p = Self { path, file };
        p.check()?;
        Ok(p)
    }

    fn invalid(&self, field: &'static str, why: impl Into<String>) -> ProfileError {
        ProfileError::Invalid {
            path: self.path.clone(),
            field,
            why: why.into(),
        }
    }

    fn check(&self) -> Result<(), ProfileError> {
        let f = &self.file;
        if let Some(c) = f.t0_chunk
            && c > 256
        {
            return Err(self.invalid("t0_chunk", "must be 0 (T=1 style) or 1..=256"));
        }
        match f.kind {
            Kind::Cps3 => {
                let c = f.cps3.as_ref().ok_or_else(|| {
                    self.invalid("cps3", "a [cps3] table is required for kind = \"cps3\"")
                })?;
                if c.serial.len() != 10 || !c.serial.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(self.invalid("cps3.serial", "must be 10 digits (ANS card numbers)"));
                }
                let pin = c.pin.expose();
                if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(self.invalid("cps3.pin", "must be 4 to 8 digits"));
                }
                if c.pin_tries_left.is_some_and(|t| t > 3) {
                    return Err(self.invalid("cps3.pin_tries_left", "must be 0..=3"));
                }
                for d in c.actua.iter().flatten() {
                    if d.len() != 14 || !d.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(self.invalid("cps3.actua", "dates are YYYYMMDDhhmmss"));
                    }
                }
            }
            Kind::Vitale2 => {
                if f.beneficiaires.is_empty() {
                    return Err(self.invalid(
                        "beneficiaire",
                        "a Vitale card holds at least one [[beneficiaire]]",
                    ));
                }
                for b in &f.beneficiaires {
                    if latin1(&b.nom).is_none() || latin1(&b.prenom).is_none() {
                        return Err(self.invalid(
                            "beneficiaire.nom",
                            "names must be Latin-1 (the card's character set)",
                        ));
                    }
                    if b.date_naissance.len() != 8
                        || !b.date_naissance.bytes().all(|c| c.is_ascii_digit())
                    {
                        return Err(self.invalid("beneficiaire.date_naissance", "must be YYYYMMDD"));
                    }
                    if b.nir.len() != 15 || !b.nir.bytes().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(
                            self.invalid("beneficiaire.nir", "must be 15 characters (13 + key)")
                        );
                    }
                }
            }
            Kind::Unknown if f.atr.is_none() => {
                return Err(self.invalid("atr", "required for kind = \"unknown\""));
            }
            _ => {}
        }
        if let Some(a) = &f.atr
            && apdu::hex::parse(a).is_none_or(|b| b.len() < 2 || b.len() > 33)
        {
            return Err(self.invalid("atr", "hex bytes, 2 to 33 of them"));
        }
        Ok(())
    }

    /// A file path of the profile, resolved against the profile's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(p)
    }

    fn read(&self, field: &'static str, p: &Path) -> Result<String, ProfileError> {
        let full = self.resolve(p);
        fs::read_to_string(&full)
            .map_err(|e| self.invalid(field, format!("{}: {e}", full.display())))
    }

    fn key(&self, field: &'static str, p: &Path) -> Result<PrivateKey, ProfileError> {
        let pem = Zeroizing::new(self.read(field, p)?);
        PrivateKey::from_pkcs8_pem(&pem)
            .map_err(|e| self.invalid(field, format!("not a PKCS#8 RSA key: {e}")))
    }

    fn cert(&self, field: &'static str, p: &Path) -> Result<Vec<u8>, ProfileError> {
        let pem = self.read(field, p)?;
        let (label, der) = rsa::pkcs8::der::pem::decode_vec(pem.as_bytes())
            .map_err(|e| self.invalid(field, format!("not PEM: {e}")))?;
        if label != "CERTIFICATE" {
            return Err(self.invalid(field, format!("PEM label is {label}, expected CERTIFICATE")));
        }
        Ok(der)
    }

    /// Builds the card, loading keys and certificates.
    pub fn build(&self) -> Result<Card, ProfileError> {
        let f = &self.file;
        let t0 = match f.t0_chunk {
            None => Some(256),
            Some(0) => None,
            Some(n) => Some(usize::from(n)),
        };
        let atr = f.atr.as_deref().and_then(apdu::hex::parse);
        let mut card = match f.kind {
            Kind::Cps3 => {
                let c = f
                    .cps3
                    .as_ref()
                    .ok_or_else(|| self.invalid("cps3", "missing"))?;
                cps3::build(
                    Cps3Material {
                        serial: c.serial.clone(),
                        pin: c.pin.0.clone(),
                        tries_left: c.pin_tries_left.unwrap_or(3),
                        auth_key: self.key("cps3.auth_key", &c.auth_key)?,
                        auth_cert_der: self.cert("cps3.auth_cert", &c.auth_cert)?,
                        sign_key: self.key("cps3.sign_key", &c.sign_key)?,
                        sign_cert_der: self.cert("cps3.sign_cert", &c.sign_cert)?,
                        actua: c.actua.clone().map(|[a, b]| (a, b)),
                        label: f.label.clone(),
                    },
                    t0,
                )
            }
            Kind::Vitale2 => {
                let people: Vec<Beneficiary> = f
                    .beneficiaires
                    .iter()
                    .map(|b| Beneficiary {
                        nom: latin1(&b.nom).unwrap_or_default(),
                        prenom: latin1(&b.prenom).unwrap_or_default(),
                        date_naissance: b.date_naissance.clone(),
                        nir: b.nir.clone(),
                    })
                    .collect();
                vitale::build(&people, t0)
            }
            Kind::Vitale1 => Card::bare("vitale1", vitale::VITALE1_ATR.to_vec()),
            Kind::Unknown => Card::bare("unknown", atr.clone().unwrap_or_default()),
        };
        if let Some(a) = atr
            && f.kind != Kind::Unknown
        {
            card = card.with_atr(a);
        }
        Ok(card)
    }
}
