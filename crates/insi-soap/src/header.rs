//! SOAP header blocks of a request: `ctxlps:ContexteLPS`, `ctxbam:ContexteBAM` (INSI-PROTOCOL.md
//! §2.3–2.4), and who the caller is.
//!
//! Every field is kept as text: a request we build puts validated values in, and a request we
//! decode (the simulator's side) keeps what the client sent so that the server can judge it.

use jiff::Timestamp;
use uuid::Uuid;

/// `ctxlps:ContexteLPS`: which software calls.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContexteLps {
    /// `@Nature`, `CTXLPS` in practice.
    pub nature: Option<String>,
    /// `@Version`, `01_00` in practice.
    pub version: String,
    pub id: String,
    /// `Temps`, UTC with milliseconds (`2023-09-26T08:51:16.840Z`).
    pub temps: String,
    pub emetteur: Option<String>,
    pub lps: Option<Lps>,
}

/// `ctxlps:LPS`: the software's identity.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Lps {
    /// `IDAM`: the CNDA authorisation number; an unknown one yields `siram_100`/`desir_550`.
    pub idam: Option<String>,
    /// `IDAM/@R`, `4` everywhere (§2.3).
    pub idam_r: Option<String>,
    pub version: Option<String>,
    /// A stable UUID per installation.
    pub instance: Option<String>,
    /// `urn:lps:<name>:<version>`.
    pub nom: Option<String>,
}

/// `ctxbam:ContexteBAM`: the beneficiary context; `COUVERTURE` is empty for a trait search and
/// mirrors the Vitale card for a Vitale search.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContexteBam {
    /// `@Nature` (`CTXBAM`), absent in some working clients (§2.4).
    pub nature: Option<String>,
    /// `@Version`, `01_02`.
    pub version: String,
    pub id: String,
    pub temps: String,
    pub emetteur: Option<String>,
    pub date_ref: Option<String>,
    pub couverture: Couverture,
}

/// `ctxbam:COUVERTURE` (required, possibly empty).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Couverture {
    pub grand_regime: Option<String>,
    pub organisme: Option<String>,
    pub code_centre: Option<String>,
    /// `ASSURE/Id`: the NIR of the ouvrant droit.
    pub assure: Option<Nir>,
    pub beneficiaire: Option<Beneficiaire>,
}

/// A NIR as the ContexteBAM writes it: `Num` and `Cle`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Nir {
    pub num: String,
    pub cle: Option<String>,
}

/// `ctxbam:BENEFICIAIRE`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Beneficiaire {
    /// `Nir` (NIRCertifie): the beneficiary's own certified NIR when the card has it.
    pub nir: Option<Nir>,
    /// `Nir/DateCertification`.
    pub date_certification: Option<String>,
    /// `DateNai`, `YYYY-MM-DD` (possibly lunar on a Vitale card).
    pub date_nai: Option<String>,
    /// `Rang` (rang gémellaire).
    pub rang: Option<String>,
    pub porteur: Option<String>,
}

/// The calling software, fixed for an installation. Emetteur is the OU of the software
/// certificate in mTLS mode, the PS identifier in CPx mode (§2.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub idam: String,
    pub lps_version: String,
    pub instance: String,
    pub nom: String,
    pub emetteur: String,
}

/// The values that change on every call. Sans-IO: the caller supplies them, so tests and the
/// simulator can build byte-identical messages; [`CallIds::fresh`] draws new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallIds {
    pub message_id: Uuid,
    pub lps_id: Uuid,
    pub bam_id: Uuid,
    pub temps: Timestamp,
}

impl CallIds {
    /// Random v4 UUIDs and the current time.
    pub fn fresh() -> CallIds {
        CallIds {
            message_id: Uuid::new_v4(),
            lps_id: Uuid::new_v4(),
            bam_id: Uuid::new_v4(),
            temps: Timestamp::now(),
        }
    }

    /// `uuid:` + the message UUID (§2.2).
    pub fn message_id_text(&self) -> String {
        uuid_text("uuid:", &self.message_id)
    }
}

/// `Temps`: UTC, ISO 8601, milliseconds, `Z` (§2.3), e.g. `2023-09-26T08:51:16.840Z`.
///
/// Written by hand (civil-from-days) because it sits on the envelope-building hot path; a unit
/// test checks it against jiff's own formatting.
pub fn format_temps(t: Timestamp) -> String {
    let secs = t.as_second();
    let millis = t.subsec_millisecond().unsigned_abs();
    // Round toward negative infinity so times before 1970 are right too.
    let (secs, millis) = if t.subsec_nanosecond() < 0 {
        (secs - 1, 1000 - millis)
    } else {
        (secs, millis)
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        // Outside what 4 digits hold: let jiff write it (never on the wire in practice).
        return format!("{t:.3}");
    }
    let mut out = String::with_capacity(24);
    push_digits(&mut out, y, 4);
    out.push('-');
    push_digits(&mut out, m, 2);
    out.push('-');
    push_digits(&mut out, d, 2);
    out.push('T');
    push_digits(&mut out, rem / 3600, 2);
    out.push(':');
    push_digits(&mut out, (rem % 3600) / 60, 2);
    out.push(':');
    push_digits(&mut out, rem % 60, 2);
    out.push('.');
    push_digits(&mut out, i64::from(millis), 3);
    out.push('Z');
    out
}

/// Appends `value` (non-negative) zero-padded to `width` digits.
pub(crate) fn push_digits(out: &mut String, value: i64, width: u32) {
    let mut div = 10i64.pow(width.saturating_sub(1));
    let mut v = value;
    while div > 0 {
        let digit = (v / div).rem_euclid(10);
        out.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
        v %= div.max(1);
        div /= 10;
    }
}

/// A UUID in its lower-case hyphenated form, without the formatting machinery.
pub(crate) fn uuid_text(prefix: &str, id: &Uuid) -> String {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = id.hyphenated().encode_lower(&mut buf);
    let mut out = String::with_capacity(prefix.len() + text.len());
    out.push_str(prefix);
    out.push_str(text);
    out
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl ContexteLps {
    /// The ContexteLPS of a call: `Nature="CTXLPS" Version="01_00"`, `IDAM R="4"`.
    pub fn new(caller: &Caller, ids: &CallIds) -> ContexteLps {
        Self::with_temps(caller, ids, format_temps(ids.temps))
    }

    pub(crate) fn with_temps(caller: &Caller, ids: &CallIds, temps: String) -> ContexteLps {
        ContexteLps {
            nature: Some("CTXLPS".into()),
            version: "01_00".into(),
            id: uuid_text("", &ids.lps_id),
            temps,
            emetteur: Some(caller.emetteur.clone()),
            lps: Some(Lps {
                idam: Some(caller.idam.clone()),
                idam_r: Some("4".into()),
                version: Some(caller.lps_version.clone()),
                instance: Some(caller.instance.clone()),
                nom: Some(caller.nom.clone()),
            }),
        }
    }
}

impl ContexteBam {
    /// The ContexteBAM of a call, `Version="01_02"` without `Nature` as the working clients
    /// send it (§2.4), with the given COUVERTURE (empty for a trait search).
    pub fn new(caller: &Caller, ids: &CallIds, couverture: Couverture) -> ContexteBam {
        Self::with_temps(caller, ids, couverture, format_temps(ids.temps))
    }

    pub(crate) fn with_temps(
        caller: &Caller,
        ids: &CallIds,
        couverture: Couverture,
        temps: String,
    ) -> ContexteBam {
        ContexteBam {
            nature: None,
            version: "01_02".into(),
            id: uuid_text("", &ids.bam_id),
            temps,
            emetteur: Some(caller.emetteur.clone()),
            date_ref: None,
            couverture,
        }
    }
}

impl Couverture {
    pub fn is_empty(&self) -> bool {
        *self == Couverture::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temps_matches_jiff_over_centuries() {
        let mut t: i64 = -2_208_988_800_123; // 1900-01-01 minus a bit, in ms
        while t < 4_102_444_800_000 {
            let ts = Timestamp::from_millisecond(t).unwrap();
            assert_eq!(format_temps(ts), format!("{ts:.3}"), "{t}");
            t += 7_919_993_337; // ~92 days and an odd number of ms
        }
    }

    #[test]
    fn temps_has_milliseconds_and_z() {
        let t: Timestamp = "2023-09-26T08:51:16.84Z".parse().unwrap();
        assert_eq!(format_temps(t), "2023-09-26T08:51:16.840Z");
        let t: Timestamp = "2023-09-26T08:51:16Z".parse().unwrap();
        assert_eq!(format_temps(t), "2023-09-26T08:51:16.000Z");
    }
}
