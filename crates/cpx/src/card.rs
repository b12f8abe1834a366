//! [`Cpx`]: the card operations, over any [`CardTransport`] (CARDS.md §2.5 flows).

use apdu::tlv::{Tag, find};
use apdu::{CardTransport, Command, Response, StatusWord, read_binary, transceive};
use zeroize::Zeroizing;

use crate::cert::{CardCertificate, CertRole};
use crate::detect::{CpxModel, detect};
use crate::pin::{Pin, PinStatus, parse_status};
use crate::sha256::midstate;
use crate::{CpxError, pkcs15};

/// PKCS#15 application AID, contact (CARDS.md §2.2).
pub const PKCS15_AID: [u8; 13] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10,
];
/// ANS issuer number that prefixes EF.SN.ICC (CARDS.md §2.3); other cards are refused.
pub const ANS_ISSUER: [u8; 5] = [0x80, 0x25, 0x00, 0x00, 0x01];
const KEY_SIGN: u8 = 0x81;
const KEY_AUTH: u8 = 0x82;
const PIN_REF: u8 = 0x81;
/// Largest file we read from a CPx (certificates are ~1.5 KB; PKCS#15 directories far less).
const MAX_FILE: usize = 16 * 1024;
/// Largest INTERNAL AUTHENTICATE input: 40 % of a 2048-bit modulus (CARDS.md §2.5 step 4).
const MAX_AUTH_INPUT: usize = 102;

/// What `insi-bench card info` shows: read without the PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CardInfo {
    pub model: CpxModel,
    pub atr: String,
    /// Card number, 10 digits, without the ANS issuer prefix.
    pub serial: String,
    pub pin: PinStatus,
    pub certificates: Vec<CardCertificate>,
    /// EF_ACTUA update window (`YYYYMMDDhhmmss`), when the card has one.
    pub update_window: Option<(String, String)>,
}

/// A CPx card behind a transport.
pub struct Cpx<T: CardTransport> {
    t: T,
    model: CpxModel,
}

impl<T: CardTransport> std::fmt::Debug for Cpx<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cpx")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

fn bcd_digits(b: &[u8]) -> String {
    b.iter()
        .flat_map(|x| [x >> 4, x & 0x0F])
        .take_while(|n| *n <= 9)
        .map(|n| char::from(b'0' + n))
        .collect()
}

/// EF.ATR of a CPx starts with a stray `80` byte that is not a TLV (OpenSC's `ef-atr.c` skips it,
/// CARDS.md §2.3): skip it when what follows parses, read the file as is otherwise.
pub fn parse_ef_atr(raw: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, CpxError> {
    let objects = |b: &[u8]| -> Result<Vec<(u32, Vec<u8>)>, apdu::tlv::TlvError> {
        apdu::tlv::TlvIter::new(b)
            .map(|t| t.map(|t| (t.tag.0, t.value.to_vec())))
            .collect()
    };
    match raw.split_first() {
        Some((0x80, rest)) => match objects(rest) {
            Ok(v) => Ok(v),
            Err(_) => Ok(objects(raw)?),
        },
        _ => Ok(objects(raw)?),
    }
}

/// 9000 → data; PIN states get their own errors; anything else names the command.
fn check(r: Response, what: &'static str) -> Result<Vec<u8>, CpxError> {
    match r.sw {
        StatusWord::OK => Ok(r.data),
        StatusWord::SECURITY_NOT_SATISFIED => Err(CpxError::PinRequired),
        StatusWord::AUTH_METHOD_BLOCKED => Err(CpxError::PinBlocked),
        sw => Err(CpxError::Card { what, sw }),
    }
}

impl<T: CardTransport> Cpx<T> {
    /// Checks the ATR and selects the PKCS#15 application.
    pub fn open(mut t: T) -> Result<Self, CpxError> {
        let model = match detect(t.atr()) {
            Some(CpxModel::Cps3Contactless) => return Err(CpxError::Contactless),
            Some(m) => m,
            None => {
                return Err(CpxError::NotCpx {
                    atr: apdu::hex::spaced(t.atr()),
                });
            }
        };
        let select = Command::new(0x00, 0xA4, 0x04, 0x04).with_data(PKCS15_AID);
        check(
            transceive(&mut t, &select)?,
            "SELECT the CPx PKCS#15 application",
        )?;
        Ok(Self { t, model })
    }

    pub fn model(&self) -> CpxModel {
        self.model
    }

    pub fn transport(&mut self) -> &mut T {
        &mut self.t
    }

    pub fn into_transport(self) -> T {
        self.t
    }

    /// SELECT by path: absolute from `3F00` (P1 09), or a FID in the current DF (P1 02).
    fn select_path(&mut self, path: &[u8], what: &'static str) -> Result<(), CpxError> {
        let cmd = match path {
            [0x3F, 0x00, ..] => Command::new(0x00, 0xA4, 0x09, 0x0C).with_data(path),
            [_, _] => Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(path),
            _ => Command::new(0x00, 0xA4, 0x09, 0x0C).with_data(path),
        };
        check(transceive(&mut self.t, &cmd)?, what).map(|_| ())
    }

    fn read_file(&mut self, path: &[u8], what: &'static str) -> Result<Vec<u8>, CpxError> {
        self.select_path(path, what)?;
        Ok(read_binary(&mut self.t, MAX_FILE)?)
    }

    fn select_app(&mut self) -> Result<(), CpxError> {
        let select = Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(PKCS15_AID);
        check(
            transceive(&mut self.t, &select)?,
            "SELECT the CPx PKCS#15 application",
        )
        .map(|_| ())
    }

    /// The card number from EF.SN.ICC, after checking the ANS issuer prefix.
    pub fn serial(&mut self) -> Result<String, CpxError> {
        let raw = self.read_file(&[0x3F, 0x00, 0xD0, 0x03], "read EF.SN.ICC (3F00/D003)")?;
        let sn = find(&raw, Tag(0x5A))?.ok_or(CpxError::Malformed {
            what: "EF.SN.ICC",
            why: "no 5A object",
        })?;
        match sn.value.split_at_checked(ANS_ISSUER.len()) {
            Some((issuer, digits)) if issuer == ANS_ISSUER => Ok(bcd_digits(digits)),
            _ => Err(CpxError::NotAnsIssued {
                found: apdu::hex::spaced(sn.value),
            }),
        }
    }

    /// The EF_ACTUA update window, `None` when the card has no such file (CARDS.md §2.3).
    pub fn update_window(&mut self) -> Result<Option<(String, String)>, CpxError> {
        let select = Command::new(0x00, 0xA4, 0x09, 0x0C).with_data([0x3F, 0x00, 0xD0, 0x10]);
        let r = transceive(&mut self.t, &select)?;
        if r.sw == StatusWord::FILE_NOT_FOUND {
            return Ok(None);
        }
        check(r, "SELECT EF_ACTUA (3F00/D010)")?;
        let raw = read_binary(&mut self.t, MAX_FILE)?;
        let bad = CpxError::Malformed {
            what: "EF_ACTUA",
            why: "expected EC {81 start, 82 end}",
        };
        let ec = find(&raw, Tag(0xEC))?.ok_or(bad)?;
        let date = |tag| -> Result<String, CpxError> {
            Ok(ec
                .child(Tag(tag))?
                .map(|t| bcd_digits(t.value))
                .unwrap_or_default())
        };
        Ok(Some((date(0x81)?, date(0x82)?)))
    }

    /// The data objects of EF.ATR (`3F00/2F01`, e.g. `4F` the IAS-ECC AID, `47` card
    /// capabilities), as `(tag, value)` pairs.
    pub fn ef_atr(&mut self) -> Result<Vec<(u32, Vec<u8>)>, CpxError> {
        let raw = self.read_file(&[0x3F, 0x00, 0x2F, 0x01], "read EF.ATR (3F00/2F01)")?;
        parse_ef_atr(&raw)
    }

    /// The certificates, found by walking PKCS#15 (ODF → CDF → files). Needs no PIN.
    pub fn certificates(&mut self) -> Result<Vec<CardCertificate>, CpxError> {
        self.select_app()?;
        let odf = self.read_file(&[0x50, 0x31], "read EF.ODF (5031)")?;
        let mut out = Vec::new();
        for cdf_path in pkcs15::cdf_paths(&odf)? {
            let cdf = self.read_file(&cdf_path, "read the CDF")?;
            for c in pkcs15::certificates(&cdf)? {
                let role = match c.id.last() {
                    Some(0x01) => CertRole::Signature,
                    Some(0x02) => CertRole::Authentication,
                    _ => CertRole::Other,
                };
                let der = self.read_file(&c.path, "read a certificate file")?;
                out.push(CardCertificate::parse(role, &c.label, der)?);
            }
        }
        Ok(out)
    }

    /// The PIN counter (GET DATA on the CHV SDO `BF8101`, MF selected first: CARDS.md §2.3).
    pub fn pin_status(&mut self) -> Result<PinStatus, CpxError> {
        self.select_path(&[0x3F, 0x00], "SELECT MF")?;
        let get = Command::new(0x00, 0xCB, 0x3F, 0xFF)
            .with_data([0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x01, 0x02, 0xA0, 0x80])
            .with_le(256);
        let data = check(transceive(&mut self.t, &get)?, "GET DATA (PIN status)")?;
        parse_status(&data)
    }

    /// Presents the PIN once. A wrong PIN is reported with the tries left and never retried
    /// here: a CPx blocks after 3 wrong PINs.
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<(), CpxError> {
        let enc = pin.encoded();
        let mut apdu = Zeroizing::new(vec![0x00, 0x20, 0x00, PIN_REF, enc.len() as u8]);
        apdu.extend_from_slice(&enc);
        let raw = self.t.transmit(&apdu)?;
        let r = Response::parse(&raw)?;
        if let Some(left) = r.sw.tries_left() {
            return Err(if left == 0 {
                CpxError::PinBlocked
            } else {
                CpxError::WrongPin { tries_left: left }
            });
        }
        check(r, "VERIFY").map(|_| ())
    }

    /// Whether the PIN is verified in this session (VERIFY without data, ISO 7816-4 §11.5.6).
    pub fn pin_verified(&mut self) -> Result<bool, CpxError> {
        let r = transceive(&mut self.t, &Command::new(0x00, 0x20, 0x00, PIN_REF))?;
        Ok(r.sw.is_ok())
    }

    fn mse_set(&mut self, p2: u8, data: &[u8], what: &'static str) -> Result<(), CpxError> {
        let cmd = Command::new(0x00, 0x22, 0x41, p2).with_data(data);
        check(transceive(&mut self.t, &cmd)?, what).map(|_| ())
    }

    /// Signs `message` with the signature key (0x81): RSA PKCS#1 v1.5 over SHA-256, the card
    /// finishing the hash (MSE HT, PSO HASH, MSE DST, PSO CDS). The PIN must be verified.
    pub fn sign_sha256(&mut self, message: &[u8]) -> Result<Vec<u8>, CpxError> {
        self.select_app()?;
        self.mse_set(0xAA, &[0x80, 0x01, 0x40], "MSE SET HT (SHA-256)")?;
        let m = midstate(message);
        let mut data = vec![0x90, m.state.len() as u8];
        data.extend_from_slice(&m.state);
        data.extend_from_slice(&[0x80, m.last.len() as u8]);
        data.extend_from_slice(&m.last);
        let hash = Command::new(0x00, 0x2A, 0x90, 0xA0).with_data(data);
        check(transceive(&mut self.t, &hash)?, "PSO HASH")?;
        self.mse_set(
            0xB6,
            &[0x84, 0x01, KEY_SIGN, 0x80, 0x01, 0x42],
            "MSE SET DST (key 0x81)",
        )?;
        let cds = Command::new(0x00, 0x2A, 0x9E, 0x9A).with_le(256);
        check(
            transceive(&mut self.t, &cds)?,
            "PSO COMPUTE DIGITAL SIGNATURE",
        )
    }

    /// Signs a DigestInfo with the authentication key (0x82), the card adding PKCS#1 v1.5 type-1
    /// padding (MSE SET AT + INTERNAL AUTHENTICATE): a TLS 1.2 CertificateVerify.
    pub fn authenticate(&mut self, digest_info: &[u8]) -> Result<Vec<u8>, CpxError> {
        if digest_info.is_empty() || digest_info.len() > MAX_AUTH_INPUT {
            return Err(CpxError::InputTooLong {
                len: digest_info.len(),
                max: MAX_AUTH_INPUT,
            });
        }
        self.select_app()?;
        self.mse_set(
            0xA4,
            &[0x84, 0x01, KEY_AUTH, 0x80, 0x01, 0x02],
            "MSE SET AT (key 0x82)",
        )?;
        let auth = Command::new(0x00, 0x88, 0x00, 0x00)
            .with_data(digest_info)
            .with_le(256);
        check(transceive(&mut self.t, &auth)?, "INTERNAL AUTHENTICATE")
    }

    /// Deciphers an RSA PKCS#1 v1.5 cryptogram with the authentication key (PSO DECIPHER,
    /// padding indicator `81`, command chaining because 257 bytes exceed a short APDU).
    pub fn decipher(&mut self, cryptogram: &[u8]) -> Result<Zeroizing<Vec<u8>>, CpxError> {
        self.select_app()?;
        self.mse_set(
            0xB8,
            &[0x84, 0x01, KEY_AUTH, 0x80, 0x01, 0x0A],
            "MSE SET CT (key 0x82)",
        )?;
        let mut data = vec![0x81];
        data.extend_from_slice(cryptogram);
        let chunks: Vec<&[u8]> = data.chunks(255).collect();
        let last = chunks.len().saturating_sub(1);
        let mut out = Vec::new();
        for (i, chunk) in chunks.into_iter().enumerate() {
            let cla = if i < last { 0x10 } else { 0x00 };
            let mut cmd = Command::new(cla, 0x2A, 0x80, 0x86).with_data(chunk);
            if i == last {
                cmd = cmd.with_le(256);
            }
            out = check(transceive(&mut self.t, &cmd)?, "PSO DECIPHER")?;
        }
        Ok(Zeroizing::new(out))
    }

    /// Everything `card info` shows, without presenting the PIN.
    pub fn info(&mut self) -> Result<CardInfo, CpxError> {
        let atr = apdu::hex::spaced(self.t.atr());
        let serial = self.serial()?;
        let update_window = self.update_window()?;
        let certificates = self.certificates()?;
        let pin = self.pin_status()?;
        Ok(CardInfo {
            model: self.model,
            atr,
            serial,
            pin,
            certificates,
            update_window,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ef_atr_with_and_without_the_stray_80() {
        let with = apdu::hex::parse("80 47 03 94 01 80 4F 02 80 25").unwrap();
        let want = vec![(0x47, vec![0x94, 0x01, 0x80]), (0x4F, vec![0x80, 0x25])];
        assert_eq!(parse_ef_atr(&with).unwrap(), want);
        assert_eq!(parse_ef_atr(&with[1..]).unwrap(), want);
        // A genuine leading 80 object is kept when skipping the byte would not parse.
        assert_eq!(
            parse_ef_atr(&[0x80, 0x01, 0xAA]).unwrap(),
            vec![(0x80, vec![0xAA])]
        );
        assert!(parse_ef_atr(&[0x47, 0x05, 1]).is_err());
    }
}
