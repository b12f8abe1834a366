//! Reading a package directory: version check first, then strict parsing of every file, then the
//! checks TOML cannot express (required inputs per operation, unique ids, files that exist).
//! Every problem found is reported, each with file:line:column, not just the first one.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use serde::de::DeserializeOwned;

use toml::Spanned;

use crate::model::{Case, CaseFile, Expect, FORMAT, Manifest, Operation};

/// Files larger than this are refused: a package is hand-written text.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A loaded, checked package.
#[derive(Debug)]
pub struct Package {
    pub root: PathBuf,
    pub manifest: Manifest,
    /// `personas.toml`, when the package has one.
    pub personas: Option<PathBuf>,
    /// `cards/*.toml`, sorted.
    pub cards: Vec<PathBuf>,
    /// Every case, in file-name order then file order.
    pub cases: Vec<LoadedCase>,
    /// The text of each case file, so later checks (card profiles, in the runner) can locate
    /// their problems as precisely as the loader does.
    sources: HashMap<PathBuf, String>,
}

impl Package {
    /// A problem at byte `span` of a case file of this package, located as `file:line:column`.
    pub fn problem_at(
        &self,
        file: &Path,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Problem {
        let (line, column) = match (span, self.sources.get(file)) {
            (Some(span), Some(text)) => {
                let (l, c) = line_column(text, span.start);
                (Some(l), Some(c))
            }
            _ => (None, None),
        };
        Problem {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The case with this id.
    pub fn case(&self, id: &str) -> Option<&LoadedCase> {
        self.cases.iter().find(|c| c.case.id == id)
    }
}

#[derive(Debug)]
pub struct LoadedCase {
    pub case: Case,
    /// Path relative to the package root (`cases/2-recherche.toml`).
    pub file: PathBuf,
    pub line: usize,
}

/// One thing wrong with a package, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// All the problems of a package.
#[derive(Debug)]
pub struct PackageErrors(pub Vec<Problem>);

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl fmt::Display for PackageErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the package has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.0 {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PackageErrors {}

/// A source file kept in memory so spans can be turned into line:column.
struct Source {
    path: PathBuf,
    text: String,
}

impl Source {
    fn problem(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Problem {
        let (line, column) = match span {
            Some(span) => {
                let (l, c) = line_column(&self.text, span.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Problem {
            file: self.path.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    fn parse<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        toml::from_str(&self.text).map_err(|e| self.problem(e.span(), one_line(e.message())))
    }
}

fn one_line(message: &str) -> String {
    message.trim().replace('\n', "; ")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn read(root: &Path, relative: &Path) -> Result<Source, Problem> {
    let problem = |message: String| Problem {
        file: relative.to_path_buf(),
        line: None,
        column: None,
        message,
    };
    let full = root.join(relative);
    let meta = std::fs::metadata(&full).map_err(|e| problem(format!("cannot read: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(problem(format!(
            "{} bytes: larger than the {MAX_FILE_BYTES}-byte limit for package files",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(&full)
        .map_err(|e| problem(format!("cannot read as UTF-8 text: {e}")))?;
    Ok(Source {
        path: relative.to_path_buf(),
        text,
    })
}

/// `*.toml` files of a sub-directory, relative to the root, sorted; empty when it is absent.
fn toml_files(root: &Path, dir: &str) -> Result<Vec<PathBuf>, Problem> {
    let full = root.join(dir);
    if !full.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(&full).map_err(|e| Problem {
        file: PathBuf::from(dir),
        line: None,
        column: None,
        message: format!("cannot list: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .filter_map(|p| p.file_name().map(|n| Path::new(dir).join(n)))
        .collect();
    files.sort();
    Ok(files)
}

/// The kind of card a case field names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardKind {
    /// `input.card`: the Vitale 2 card of a Vitale search.
    Vitale2,
    /// `input.cpx_card`: the CPS3 that signs the PS assertion.
    Cps3,
}

/// Checks the card profiles a package names. The loader knows no card format (that belongs to
/// the card emulator); the runner's `CardSet` implements this, loading each profile once.
pub trait CardProfiles {
    /// Checks that `relative` (inside `root`, already known to exist under `cards/`) is a card
    /// profile of `kind`; the error is the problem's message.
    fn check(&mut self, root: &Path, relative: &Path, kind: CardKind) -> Result<(), String>;
}

/// Leaves card profiles unchecked (the runner checks them before running).
#[derive(Debug, Default)]
pub struct UncheckedCards;

impl CardProfiles for UncheckedCards {
    fn check(&mut self, _: &Path, _: &Path, _: CardKind) -> Result<(), String> {
        Ok(())
    }
}

/// Loads and checks the package at `root`; card profiles are only checked to exist (see
/// [`load_checking`]).
pub fn load(root: &Path) -> Result<Package, PackageErrors> {
    load_checking(root, &mut UncheckedCards)
}

/// Loads and checks the package at `root`, card profiles included, reporting every problem at
/// once.
pub fn load_checking(root: &Path, cards: &mut dyn CardProfiles) -> Result<Package, PackageErrors> {
    let manifest_path = Path::new("package.toml");
    if !root.join(manifest_path).is_file() {
        return Err(PackageErrors(vec![Problem {
            file: root.to_path_buf(),
            line: None,
            column: None,
            message: "not a test package: no package.toml in this directory \
                      (see docs/package-format.md)"
                .into(),
        }]));
    }
    let mut problems = Vec::new();
    let manifest = read(root, manifest_path).and_then(|source| manifest_of(&source));
    let manifest = match manifest {
        Ok(m) => Some(m),
        Err(p) => {
            // A bad manifest makes every other message doubtful: stop here.
            return Err(PackageErrors(vec![p]));
        }
    };

    let mut cases = Vec::new();
    let mut sources = HashMap::new();
    let case_files = toml_files(root, "cases").unwrap_or_else(|p| {
        problems.push(p);
        Vec::new()
    });
    if case_files.is_empty() {
        problems.push(Problem {
            file: PathBuf::from("cases"),
            line: None,
            column: None,
            message: "no cases: put at least one cases/*.toml file with [[case]] tables".into(),
        });
    }
    for relative in &case_files {
        let source = match read(root, relative) {
            Ok(s) => s,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        cases.extend(cases_of(root, &source, cards, &mut problems));
        sources.insert(source.path, source.text);
    }
    check_unique_ids(&cases, &mut problems);

    let cards = toml_files(root, "cards").unwrap_or_else(|p| {
        problems.push(p);
        Vec::new()
    });
    let personas = Some(root.join("personas.toml")).filter(|p| p.is_file());

    match manifest {
        Some(manifest) if problems.is_empty() => Ok(Package {
            root: root.to_path_buf(),
            manifest,
            personas,
            cards,
            cases,
            sources,
        }),
        _ => Err(PackageErrors(problems)),
    }
}

/// Parses the text of a `package.toml` (no file is read): the format check first, then strict
/// parsing. Problems are located in `package.toml`.
pub fn parse_manifest(text: &str) -> Result<Manifest, Problem> {
    manifest_of(&Source {
        path: PathBuf::from("package.toml"),
        text: text.to_owned(),
    })
}

/// Parses the text of the case file `relative` (e.g. `cases/a.toml`) and checks its cases as
/// [`load_checking`] does, files they reference included (under `root`). Every problem found
/// is appended to `problems`; the cases are returned even when some have problems.
pub fn parse_cases(
    root: &Path,
    relative: &Path,
    text: &str,
    cards: &mut dyn CardProfiles,
    problems: &mut Vec<Problem>,
) -> Vec<LoadedCase> {
    let source = Source {
        path: relative.to_path_buf(),
        text: text.to_owned(),
    };
    cases_of(root, &source, cards, problems)
}

fn manifest_of(source: &Source) -> Result<Manifest, Problem> {
    check_format(source)?;
    source.parse::<Manifest>()
}

fn cases_of(
    root: &Path,
    source: &Source,
    cards: &mut dyn CardProfiles,
    problems: &mut Vec<Problem>,
) -> Vec<LoadedCase> {
    let file = match source.parse::<CaseFile>() {
        Ok(file) => file,
        Err(p) => {
            problems.push(p);
            return Vec::new();
        }
    };
    let mut cases = Vec::new();
    for spanned in file.cases {
        let line = line_column(&source.text, spanned.span().start).0;
        let span = spanned.span();
        let case = spanned.into_inner();
        check_case(root, source, span, &case, cards, problems);
        cases.push(LoadedCase {
            case,
            file: source.path.clone(),
            line,
        });
    }
    cases
}

/// Reads `format` before anything else, so a newer package gets "upgrade" rather than a list
/// of unknown keys.
fn check_format(source: &Source) -> Result<(), Problem> {
    let table: toml::Table = source.parse()?;
    match table.get("format") {
        None => Err(source.problem(
            None,
            format!("missing `format = {FORMAT}` (the package format version)"),
        )),
        Some(toml::Value::Integer(n)) if *n == FORMAT => Ok(()),
        Some(toml::Value::Integer(n)) if *n > FORMAT => Err(source.problem(
            None,
            format!(
                "this package uses format {n}, and this insi-bench reads format {FORMAT} only: \
                 upgrade insi-bench"
            ),
        )),
        Some(other) => Err(source.problem(
            None,
            format!("`format` is {other}; the only known format is {FORMAT}"),
        )),
    }
}

fn check_case(
    root: &Path,
    source: &Source,
    span: Range<usize>,
    case: &Case,
    cards: &mut dyn CardProfiles,
    problems: &mut Vec<Problem>,
) {
    let mut fail = |span: Range<usize>, message: String| {
        problems.push(source.problem(Some(span), format!("case '{}': {message}", case.id)));
    };
    if case.id.trim().is_empty() || case.id.contains(char::is_whitespace) {
        fail(
            span.clone(),
            "`id` must be non-empty, without spaces".into(),
        );
    }
    let input = &case.input;
    let required: &[(&str, bool)] = match case.operation {
        Operation::SearchTraits => &[
            ("nom", input.nom.is_some()),
            ("prenoms", input.prenoms.is_some()),
            ("sexe", input.sexe.is_some()),
            ("naissance", input.naissance.is_some()),
        ],
        Operation::SearchVitale => &[("card", input.card.is_some())],
        Operation::Verify => &[
            ("matricule", input.matricule.is_some()),
            ("oid", input.oid.is_some()),
            ("nom", input.nom.is_some()),
            ("prenoms", input.prenoms.is_some()),
            ("sexe", input.sexe.is_some()),
            ("naissance", input.naissance.is_some()),
        ],
    };
    for (name, present) in required {
        if !present {
            fail(
                span.clone(),
                format!("operation {:?} needs `input.{name}`", case.operation),
            );
        }
    }

    let expect = case.expect.get_ref();
    let expect_span = case.expect.span();
    if expect.cr.is_none()
        && expect.refused.is_none()
        && expect.fault.is_none()
        && expect.verdict.is_none()
    {
        fail(
            expect_span.clone(),
            "`expect` needs at least one of `cr`, `refused`, `fault`, `verdict`".into(),
        );
    }
    for (span, problem) in check_expected_values(expect) {
        fail(span, problem);
    }
    if expect.verdict.is_some() && case.operation != Operation::Verify {
        fail(
            expect_span.clone(),
            "`expect.verdict` applies to operation \"verify\" only".into(),
        );
    }
    if expect.refused.is_some() && (expect.cr.is_some() || expect.fault.is_some()) {
        fail(
            expect_span.clone(),
            "a refused case sends nothing: `expect.refused` excludes `cr` and `fault`".into(),
        );
    }

    if let Some(inject) = &case.inject
        && let Err(message) = check_relative_file(root, inject.get_ref(), "responses")
    {
        fail(inject.span(), message);
    }
    let vitale = case.operation == Operation::SearchVitale;
    if input.beneficiaire == Some(0) {
        fail(
            span.clone(),
            "`input.beneficiaire` is 1-based (1 = the first person on the card)".into(),
        );
    }
    if !vitale && (input.beneficiaire.is_some() || input.card.is_some()) {
        fail(
            span.clone(),
            "`input.card` and `input.beneficiaire` are for search-vitale (the CPx card of \
             auth = \"cpx\" is `input.cpx_card`)"
                .into(),
        );
    }
    // Card files must exist inside the package; their content (a card profile) is checked by
    // `cards`, which loads each profile once.
    for (card, kind) in [
        (&input.card, CardKind::Vitale2),
        (&input.cpx_card, CardKind::Cps3),
    ] {
        let Some(card) = card else { continue };
        let checked = check_relative_file(root, card.get_ref(), "cards")
            .and_then(|()| cards.check(root, card.get_ref(), kind));
        if let Err(message) = checked {
            fail(card.span(), message);
        }
    }
    for (name, reason) in [("skip", &case.skip), ("xfail", &case.xfail)] {
        if let Some(reason) = reason
            && reason.get_ref().trim().is_empty()
        {
            fail(
                reason.span(),
                format!("`{name}` takes the reason, e.g. {name} = \"waiting for …\""),
            );
        }
    }
    if let (Some(_), Some(xfail)) = (&case.skip, &case.xfail) {
        fail(
            xfail.span(),
            "a case is either `skip` (not run) or `xfail` (run, expected to fail), not both".into(),
        );
    }
}

/// Expected values are written by people: a malformed one would make a case fail for the wrong
/// reason, so each is checked here and located precisely.
fn check_expected_values(expect: &Expect) -> Vec<(Range<usize>, String)> {
    let mut problems = Vec::new();
    if let Some(cr) = &expect.cr {
        let text = cr.get_ref();
        if !(text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit())) {
            problems.push((
                cr.span(),
                format!("`expect.cr` is '{text}': write two digits, e.g. \"00\""),
            ));
        }
    }
    let date = |name: String, value: Option<&Spanned<String>>| {
        let text = value?;
        let e = text.get_ref().parse::<ins::DateNaissance>().err()?;
        Some((text.span(), format!("`{name}`: {e}")))
    };
    if let Some(traits) = &expect.traits {
        let name = "expect.traits.date_naissance".to_owned();
        problems.extend(date(name, traits.date_naissance.as_ref()));
    }
    let all_ins = expect.ins.iter().map(|i| ("expect.ins", i)).chain(
        expect
            .ins_histo
            .iter()
            .flatten()
            .map(|i| ("expect.ins_histo", i)),
    );
    for (name, ins) in all_ins {
        problems.extend(date(format!("{name}.date_deb"), ins.date_deb.as_ref()));
        problems.extend(date(format!("{name}.date_fin"), ins.date_fin.as_ref()));
        let matricule = &ins.matricule;
        if let Err(e) = ins::Matricule::parse(matricule.get_ref()) {
            let message = format!(
                "`{name}.matricule` '{}': {}",
                matricule.get_ref(),
                e.describe()
            );
            problems.push((matricule.span(), message));
        }
        if let Some(cle) = &ins.cle
            && cle.get_ref().parse::<ins::Cle>().is_err()
        {
            problems.push((
                cle.span(),
                format!("`{name}.cle` '{}' is not two digits", cle.get_ref()),
            ));
        }
    }
    problems
}

/// A referenced file must stay inside the package, under its expected directory, and exist.
fn check_relative_file(root: &Path, path: &Path, dir: &str) -> Result<(), String> {
    let escapes = path
        .components()
        .any(|c| !matches!(c, Component::Normal(_)));
    if escapes || !path.starts_with(dir) {
        return Err(format!(
            "'{}' must be a relative path under {dir}/ inside the package",
            path.display()
        ));
    }
    if !root.join(path).is_file() {
        return Err(format!(
            "'{}' does not exist in the package",
            path.display()
        ));
    }
    Ok(())
}

fn check_unique_ids(cases: &[LoadedCase], problems: &mut Vec<Problem>) {
    let mut seen: HashMap<&str, &LoadedCase> = HashMap::new();
    for loaded in cases {
        if let Some(first) = seen.insert(&loaded.case.id, loaded) {
            problems.push(Problem {
                file: loaded.file.clone(),
                line: Some(loaded.line),
                column: None,
                message: format!(
                    "case id '{}' is already used at {}:{}",
                    loaded.case.id,
                    first.file.display(),
                    first.line
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let text = "a = 1\nnom = \"DÉJÀ\"\nx";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        let x = text.rfind('x').unwrap_or_default();
        assert_eq!(line_column(text, x), (3, 1));
        assert_eq!(line_column(text, text.len() + 10), (3, 2));
    }
}
