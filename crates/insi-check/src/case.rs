//! What the software under test is asked to do for one package case, and what the judge holds
//! it to: a [`CheckCase`], built once from an `insi_package` case and the package defaults.

use std::path::PathBuf;

use ins::Traits;
use insi_package::{Auth, Case, LoadedCase, Operation, Package, RefusedField, Strategy};

/// The traits a case gives the software, as the package writes them (not normalised: entering
/// them as written and normalising them is the software's job).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseInput {
    pub nom: String,
    pub prenoms: String,
    pub sexe: String,
    pub naissance: String,
    pub lieu: Option<String>,
    /// Verification: the stored INS.
    pub matricule: Option<String>,
    pub cle: Option<String>,
    pub oid: Option<String>,
}

/// What the judge expects of the software's calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// The input must be refused locally: no call at all.
    Refusal {
        field: RefusedField,
        char: Option<String>,
        position: Option<usize>,
    },
    /// Trait searches, one per step of the reference strategy, the answers deciding the next.
    Calls {
        /// The traits normalised as INSi requires (what must be on the wire).
        traits: Box<Traits>,
        strategy: insi_client::Strategy,
        /// The package's `expect.calls` (a maximum when the expected fault is `desir_1020`).
        calls: Option<u32>,
        cr: Option<String>,
        /// Detail code of the fault the search must end with.
        fault: Option<String>,
    },
}

/// One case, as check-client runs it.
#[derive(Clone, Debug)]
pub struct CheckCase {
    pub id: String,
    pub title: String,
    pub operation: Operation,
    pub auth: Auth,
    pub input: CaseInput,
    /// Test-PKI credential other than the default (`wrong-cn`), for authentication cases.
    pub certificate: Option<String>,
    /// The IDAM the software must send for this case (the case's, else the session's).
    pub idam: Option<String>,
    /// `input.cpx_card` of the package, resolved against the package root.
    pub cpx_card: Option<PathBuf>,
    /// The response file served for every call of the case (resolved path).
    pub inject: Option<PathBuf>,
    pub skip: Option<String>,
    pub xfail: Option<String>,
    /// What the software must do with the answer, for the human to tick: the case's own
    /// `checklist` lines, then lines derived from `expect` (INS to store, verdict, warnings).
    pub checklist: Vec<String>,
    /// `Err`: check-client cannot judge this case (the reason is reported as a skip).
    pub expected: Result<Expected, String>,
}

impl CheckCase {
    /// Builds every case of a package, in package order.
    pub fn all(package: &Package) -> Vec<CheckCase> {
        package
            .cases
            .iter()
            .map(|c| CheckCase::new(package, c))
            .collect()
    }

    pub fn new(package: &Package, loaded: &LoadedCase) -> CheckCase {
        let case = &loaded.case;
        let defaults = &package.manifest.defaults;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let input = CaseInput {
            nom: text(&case.input.nom),
            prenoms: text(&case.input.prenoms),
            sexe: text(&case.input.sexe),
            naissance: text(&case.input.naissance),
            lieu: case.input.lieu.clone(),
            matricule: case.input.matricule.clone(),
            cle: case.input.cle.clone(),
            oid: case.input.oid.clone(),
        };
        let strategy = case.strategy.unwrap_or(defaults.strategy);
        CheckCase {
            id: case.id.clone(),
            title: case.title.clone(),
            operation: case.operation,
            auth: case.auth.unwrap_or(defaults.auth),
            expected: expected(case, &input, strategy),
            checklist: checklist(case),
            input,
            certificate: case.input.certificate.clone(),
            idam: case.input.idam.clone(),
            cpx_card: case
                .input
                .cpx_card
                .as_ref()
                .map(|p| package.root.join(p.get_ref())),
            inject: case.inject.as_ref().map(|p| package.root.join(p.get_ref())),
            skip: case.skip.as_ref().map(|s| s.get_ref().clone()),
            xfail: case.xfail.as_ref().map(|s| s.get_ref().clone()),
        }
    }

    /// One line telling the human what to enter in the software.
    pub fn instruction(&self) -> String {
        let i = &self.input;
        let lieu = i
            .lieu
            .as_deref()
            .map_or(String::new(), |l| format!(", lieu {l}"));
        let what = match self.operation {
            Operation::SearchTraits => "search by traits",
            Operation::Verify => "verify the stored INS",
            Operation::SearchVitale => "search with the Vitale card",
        };
        let mut line = format!(
            "{what}: nom {:?}, prénoms {:?}, sexe {}, né(e) le {}{lieu}",
            i.nom, i.prenoms, i.sexe, i.naissance
        );
        if let Some(m) = &i.matricule {
            line.push_str(&format!(
                "; stored INS {m} {} OID {}",
                i.cle.as_deref().unwrap_or("(no key)"),
                i.oid.as_deref().unwrap_or("?")
            ));
        }
        if matches!(self.expected, Ok(Expected::Refusal { .. })) {
            line.push_str(" — expect a local refusal: nothing may be sent");
        }
        if let Some(c) = &self.certificate {
            line.push_str(&format!(" — with the credential {c} of the test PKI"));
        }
        if let Some(idam) = &self.idam {
            line.push_str(&format!(" — with the IDAM {idam}"));
        }
        line
    }
}

fn expected(case: &Case, input: &CaseInput, strategy: Strategy) -> Result<Expected, String> {
    let expect = case.expect.get_ref();
    if let Some(refused) = &expect.refused {
        return Ok(Expected::Refusal {
            field: refused.field,
            char: refused.char.clone(),
            position: refused.position,
        });
    }
    if case.operation == Operation::SearchVitale {
        return Err(
            "Vitale searches are not judged yet: the software reads its own card, and check-client \
             has no way to hand it the case's card"
                .into(),
        );
    }
    let traits = Traits::parse(
        &input.nom,
        &input.prenoms,
        &input.sexe,
        &input.naissance,
        input.lieu.as_deref(),
    )
    .map_err(|e| format!("the case's traits do not validate ({e}) but it expects no refusal"))?;
    Ok(Expected::Calls {
        traits: Box::new(traits),
        strategy: match strategy {
            Strategy::Single => insi_client::Strategy::Single,
            Strategy::Cnda => insi_client::Strategy::Cnda,
        },
        calls: expect.calls,
        cr: expect.cr.as_ref().map(|c| c.get_ref().clone()),
        fault: expect.fault.as_ref().and_then(|f| f.code.clone()),
    })
}

/// The case's own lines, then what its expectations say the software must show or store.
fn checklist(case: &Case) -> Vec<String> {
    let mut lines: Vec<String> = case.checklist.clone().unwrap_or_default();
    let expect = case.expect.get_ref();
    if let Some(r) = &expect.refused {
        let mut line = format!(
            "the software refuses the input and names the field {}",
            r.field.as_str()
        );
        if let Some(c) = &r.char {
            line.push_str(&format!(" (character '{c}')"));
        }
        lines.push(line);
    }
    if let Some(ins) = &expect.ins {
        lines.push(format!(
            "the software shows and stores the INS {} {} with OID {}",
            ins.matricule.get_ref(),
            ins.cle
                .as_ref()
                .map_or("(key as received)", |c| c.get_ref()),
            ins.oid.as_deref().unwrap_or("(as received)")
        ));
    }
    if let Some(histo) = &expect.ins_histo {
        lines.push(format!(
            "the software keeps the {} INSHISTO entr{} ({})",
            histo.len(),
            if histo.len() == 1 { "y" } else { "ies" },
            histo
                .iter()
                .map(|h| h.matricule.get_ref().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(t) = &expect.traits {
        let mut shown = Vec::new();
        for (name, v) in [
            ("nom", &t.nom_naissance),
            ("prénoms", &t.liste_prenom),
            ("sexe", &t.sexe),
            ("lieu", &t.lieu_naissance),
        ] {
            if let Some(v) = v {
                shown.push(format!("{name} {v}"));
            }
        }
        if !shown.is_empty() {
            lines.push(format!(
                "the software takes the traits returned by INSi: {}",
                shown.join(", ")
            ));
        }
    }
    if let Some(v) = &expect.verdict {
        lines.push(format!(
            "the software concludes that the stored INS is {}",
            v.as_str()
        ));
    }
    if let Some(f) = &expect.fault {
        lines.push(format!(
            "the software tells the user the service answered {} and does not present it as \"patient not found\"",
            f.code.as_deref().unwrap_or("a fault")
        ));
    }
    for w in expect.warnings.iter().flatten() {
        lines.push(format!("the software warns about {w}"));
    }
    lines
}
