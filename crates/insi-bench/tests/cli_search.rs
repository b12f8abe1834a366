//! `search traits` and `verify` through the real binary, against the embedded simulator over
//! real mutual TLS (the default `sim` environment): every persona behaviour in JSON, exit
//! codes, traces, authentication advice and the production guard.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

fn pki(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/pki")
        .join(name)
        .display()
        .to_string()
}

/// Runs the binary with a clean configuration environment (no user file, no INSI_BENCH_*).
fn run(args: &[&str], home: &Path) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("insi-bench").expect("binary");
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home);
    for (key, _) in std::env::vars() {
        if key.starts_with("INSI_BENCH_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn search(extra: &[&str]) -> (i32, Value) {
    let home = tempfile::tempdir().unwrap();
    let mut args = vec!["--json", "search", "traits"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(&args, home.path());
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{stdout:?} {stderr}: {e}"));
    (code, v)
}

fn traits<'a>(nom: &'a str, prenoms: &'a str, sexe: &'a str, date: &'a str) -> Vec<&'a str> {
    vec![
        "--nom",
        nom,
        "--prenoms",
        prenoms,
        "--sexe",
        sexe,
        "--naissance",
        date,
    ]
}

/// `(prenom, cog, cr-or-fault)` of each attempt.
fn attempts(v: &Value) -> Vec<(String, bool, String)> {
    v["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert!(a["ms"].as_f64().unwrap() > 0.0);
            (
                a["prenom"].as_str().unwrap().to_owned(),
                a["cog"].as_bool().unwrap(),
                a["cr"]
                    .as_str()
                    .or(a["fault"].as_str())
                    .unwrap_or("error")
                    .to_owned(),
            )
        })
        .collect()
}

fn att(p: &str, cog: bool, r: &str) -> (String, bool, String) {
    (p.to_owned(), cog, r.to_owned())
}

#[test]
fn tchitchi_first_name_loop() {
    let (code, v) = search(&traits("TCHITCHI", "OLA CATARINA BELLA", "F", "1936-06-21"));
    assert_eq!(code, 0);
    assert_eq!(v["cr"], "00");
    assert_eq!(
        v["ins"],
        json!({"matricule": "2360663220836", "cle": "56", "oid": "1.2.250.1.213.1.4.8"})
    );
    assert_eq!(v["traits"]["liste_prenom"], "CATARINA BELLA");
    assert_eq!(v["fault"], Value::Null);
    assert_eq!(
        attempts(&v),
        [att("OLA", false, "01"), att("CATARINA", false, "00")]
    );
}

#[test]
fn houilles_all_names_then_joined_and_single_strategy() {
    let (code, v) = search(&traits(
        "HOUILLES",
        "PIERRE PAUL JACQUES",
        "M",
        "1993-01-27",
    ));
    assert_eq!(code, 0);
    assert_eq!(v["cr"], "01");
    assert_eq!(v["ins"], Value::Null);
    assert_eq!(
        attempts(&v),
        [
            att("PIERRE", false, "01"),
            att("PAUL", false, "01"),
            att("JACQUES", false, "01"),
            att("PIERRE PAUL JACQUES", false, "01")
        ]
    );
    let mut args = traits("HOUILLES", "PIERRE PAUL JACQUES", "M", "1993-01-27");
    args.extend(["--strategy", "single"]);
    let (_, v) = search(&args);
    assert_eq!(attempts(&v), [att("PIERRE PAUL JACQUES", false, "01")]);
}

#[test]
fn de_vinci_02_then_cog() {
    let (code, v) = search(&traits("DE VINCI", "LEONARDO", "M", "2014-02-01"));
    assert_eq!(code, 0, "02 is an answer, not an error");
    assert_eq!(v["cr"], "02");
    let mut args = traits("DE VINCI", "LEONARDO", "M", "2014-02-01");
    args.extend(["--lieu", "63220"]);
    let (code, v) = search(&args);
    assert_eq!(code, 0);
    assert_eq!(v["cr"], "00");
    assert_eq!(v["ins"]["matricule"], "1140263220501");
    assert_eq!(
        attempts(&v),
        [att("LEONARDO", false, "02"), att("LEONARDO", true, "00")]
    );
}

#[test]
fn history_nia_and_corsica() {
    let (_, v) = search(&traits("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14"));
    assert_eq!(v["cr"], "00");
    assert_eq!(v["ins_histo"].as_array().unwrap().len(), 1);
    assert_eq!(v["ins_histo"][0]["matricule"], "2090763220834");
    assert_eq!(v["ins_histo"][0]["date_fin"], "2019-02-28");
    assert_eq!(v["traits"]["liste_prenom"], "PIERRE-ALAIN MURIEL FLORIANT");

    let (_, v) = search(&traits("PROVISOIRE", "MATRICULE", "M", "2009-07-01"));
    assert_eq!(v["ins"]["oid"], "1.2.250.1.213.1.4.9");
    assert_eq!(v["ins"]["matricule"], "1090763220888");

    let (_, v) = search(&traits("CORSE", "ANTHONY", "M", "1980-03-02"));
    assert_eq!(v["ins"]["matricule"], "180032B020401");
    assert_eq!(v["ins"]["cle"], "23");
    assert_eq!(v["traits"]["lieu_naissance"], "2B020");
    // CNDA 2.08 cas 1: INSHISTO identical to INSACTIF, kept as sent.
    assert_eq!(v["ins_histo"][0]["matricule"], "180032B020401");

    // CNDA 2.08 cas 2: history with a sex-digit change.
    let (_, v) = search(&traits("HERMANN", "GATIEN", "M", "1981-03-24"));
    assert_eq!(v["ins"]["matricule"], "1810363220456");
    assert_eq!(v["ins_histo"][0]["matricule"], "2810363220456");

    // CNDA 2.03 cas 2: Corsican COG sent on the first call with --strategy single.
    let mut args = traits("ADRTROIS", "TOUSSAINT", "M", "1960-01-01");
    args.extend(["--lieu", "2B020", "--strategy", "single"]);
    let (_, v) = search(&args);
    assert_eq!(v["ins"]["matricule"], "160012B020777");
    assert_eq!(attempts(&v), [att("TOUSSAINT", true, "00")]);

    // Two NESSI personas, told apart by first name, sex and birth date.
    let (_, v) = search(&traits("NESSI", "NATHALIE", "F", "1977-07-14"));
    assert_eq!(v["ins"]["matricule"], "2770763220829");
    let (_, v) = search(&traits("NESSI", "MICHELANGELO ANTHONY", "M", "2010-08-07"));
    assert_eq!(v["ins"]["matricule"], "1100863220830");
    assert_eq!(attempts(&v).len(), 1);
}

#[test]
fn technical_fault_exits_1_with_the_decoded_fault() {
    let mut args = traits("D’ÆION", "CŒUR", "M", "1987-01-25");
    args.extend(["--lieu", "2B020"]);
    let (code, v) = search(&args);
    assert_eq!(code, 1);
    assert_eq!(v["cr"], Value::Null);
    assert_eq!(v["fault"]["subcode"], "siram_40");
    assert_eq!(v["fault"]["detail_code"], "insi_102");
    assert!(
        v["fault"]["reason"]
            .as_str()
            .unwrap()
            .contains("temporairement")
    );
    assert!(
        v["fault"]["advice"]
            .as_str()
            .unwrap()
            .contains("technical error")
    );
    // Sent transliterated: D'AEION / COEUR.
    assert_eq!(attempts(&v), [att("COEUR", false, "insi_102")]);
}

#[test]
fn refused_traits_exit_2_and_nothing_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let trace = home.path().join("trace");
    let mut args = vec!["search", "traits"];
    args.extend(traits("DUPONT2", "JEAN", "M", "1990-01-01"));
    args.extend(["--trace-dir", trace.to_str().unwrap()]);
    let (code, stdout, stderr) = run(&args, home.path());
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(stderr.contains("'2'"), "{stderr}");
    assert!(!trace.exists());
    let (code, _, stderr) = run(
        &[
            "search",
            "traits",
            "--nom",
            "DUPONT",
            "--prenoms",
            "JEAN",
            "--sexe",
            "X",
            "--naissance",
            "1990-01-01",
        ],
        home.path(),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("M or F"), "{stderr}");
}

#[test]
fn trace_dir_holds_the_raw_exchange() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("evidence");
    let mut args = vec!["--json", "search", "traits"];
    args.extend(traits("TCHITCHI", "OLA CATARINA", "F", "1936-06-21"));
    args.extend(["--trace-dir", dir.to_str().unwrap()]);
    let (code, _, stderr) = run(&args, home.path());
    assert_eq!(code, 0, "{stderr}");
    let request = std::fs::read_to_string(dir.join("01-request.xml")).unwrap();
    assert!(request.contains(">OLA<"), "{request}");
    assert!(request.contains("TCHITCHI"));
    let response = std::fs::read_to_string(dir.join("02-response.xml")).unwrap();
    assert!(response.contains("2360663220836"));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("trace.json")).unwrap()).unwrap();
    assert_eq!(summary["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(summary["attempts"][1]["http_status"], 200);
}

#[test]
fn verify_verdicts_and_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["--json", "verify"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run(&args, home.path());
        let v: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{stdout:?} {stderr}: {e}"));
        (code, v)
    };
    let ecetinsi = |matricule: &'static str, oid: &'static str| {
        let mut a = vec!["--matricule", matricule, "--oid", oid];
        a.extend(traits(
            "ECETINSI",
            "PIERRE-ALAIN MURIEL FLORIANT",
            "M",
            "2009-07-14",
        ));
        a.extend(["--lieu", "63220"]);
        a
    };
    let (code, v) = verify(&ecetinsi("109076322083489", "1.2.250.1.213.1.4.8"));
    assert_eq!(code, 0);
    assert_eq!(v["verdict"], "conforme");
    assert_eq!(v["differences"], json!([]));
    assert_eq!(v["attempts"].as_array().unwrap().len(), 1);

    let (code, v) = verify(&ecetinsi("2090763220834", "1.2.250.1.213.1.4.8"));
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "non-conforme");
    assert_eq!(v["differences"][0]["field"], "matricule");
    assert_eq!(v["differences"][0]["stored"], "2090763220834");

    let (code, v) = verify(&ecetinsi("1090763220834", "1.2.250.1.213.1.4.10"));
    assert_eq!(code, 1);
    assert_eq!(
        v["differences"],
        json!([{"field": "oid", "stored": "1.2.250.1.213.1.4.10", "service": "1.2.250.1.213.1.4.8"}])
    );

    let mut unknown = vec![
        "--matricule",
        "1090763220834",
        "--oid",
        "1.2.250.1.213.1.4.8",
    ];
    unknown.extend(traits("INCONNU", "JEAN", "M", "2009-07-14"));
    let (code, v) = verify(&unknown);
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "introuvable");
    assert_eq!(v["cr"], "01");

    // A stored key that does not match: refused before any call.
    let mut bad = vec![
        "verify",
        "--matricule",
        "1090763220834",
        "--cle",
        "88",
        "--oid",
        "1.2.250.1.213.1.4.8",
    ];
    bad.extend(traits("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14"));
    let (code, _, stderr) = run(&bad, home.path());
    assert_eq!(code, 2);
    assert!(stderr.contains("does not match"), "{stderr}");
}

#[test]
fn a_certificate_the_simulator_does_not_trust_gets_advice() {
    // testdata/pki is another PKI than the simulator's ephemeral one: its INSI-AUTO
    // certificate is unknown to this simulator, as a foreign certificate is to INSi.
    let mut args = traits("ADRUN", "ZOE", "F", "1975-12-31");
    let (cert, key) = (pki("foreign-client.pem"), pki("foreign-client.key"));
    args.extend(["--cert", &cert, "--key", &key]);
    let (code, v) = search(&args);
    assert_eq!(code, 1);
    assert_eq!(v["cr"], Value::Null);
    let advice = v["error"]["advice"].as_str().unwrap();
    assert!(advice.contains("IGC-Santé"), "{advice}");
    // Not retried on the refusal itself. The CLI runs client and embedded simulator on one
    // multi-thread runtime, where TLS 1.3 can surface the refusal first as a transport error of
    // a connection hyper found closed, retried once, the retry reading the alert (docs/tls.md
    // "Known race"); the matrix test (insi-client tls_matrix, one thread) asserts one attempt.
    let attempts = v["attempts"].as_array().unwrap();
    let refused = |a: &Value| {
        a["error"]
            .as_str()
            .unwrap_or_default()
            .contains("TLS handshake")
    };
    assert!(
        refused(attempts.last().unwrap()),
        "the last attempt ends on the refusal: {attempts:#?}"
    );
    assert_eq!(
        attempts.iter().filter(|a| refused(a)).count(),
        1,
        "retried after the refusal: {attempts:#?}"
    );
    assert!(attempts.len() <= 2, "{attempts:#?}");
}

#[test]
fn configuration_problems_exit_2_before_any_call() {
    let home = tempfile::tempdir().unwrap();
    let mut args = vec!["search", "traits", "--env", "qualif-mtls"];
    args.extend(traits("ADRUN", "ZOE", "F", "1975-12-31"));
    let (code, _, stderr) = run(&args, home.path());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--ca") && stderr.contains("IGC-Santé"),
        "{stderr}"
    );

    let (code, _, stderr) = run(
        &[
            "search",
            "traits",
            "--env",
            "production",
            "--nom",
            "A",
            "--prenoms",
            "B",
            "--sexe",
            "M",
            "--naissance",
            "2000-01-01",
        ],
        home.path(),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("qualif-mtls"), "{stderr}");
}

#[test]
fn production_guard_refuses_test_identities() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "env = \"prod-mtls\"\n[lps]\nidam = \"XXXXXXXXXXXX\"\ninstance = \
             \"636c9d43-1a19-5b8c-a8b1-ac43227cfe46\"\n[tls]\nca = \"{}\"\ncert = \"{}\"\nkey = \
             \"{}\"\n",
            pki("ca.pem"),
            pki("insi-auto.pem"),
            pki("insi-auto.key")
        ),
    )
    .unwrap();
    let mut args = vec!["search", "traits", "--config", config.to_str().unwrap()];
    args.extend(traits("ADRUN", "ZOE", "F", "1975-12-31"));
    let (code, stdout, stderr) = run(&args, home.path());
    assert_eq!(code, 2, "{stdout}");
    assert!(stderr.contains("public test identity ADRUN"), "{stderr}");
    assert!(stderr.contains("--i-know-this-is-production"), "{stderr}");
}

#[test]
fn cpx_mode_signs_a_ps_assertion() {
    let mut args = traits("TCHITCHI", "OLA CATARINA", "F", "1936-06-21");
    args.extend(["--auth", "cpx"]);
    let (code, v) = search(&args);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["cr"], "00");
    assert_eq!(
        attempts(&v),
        [att("OLA", false, "01"), att("CATARINA", false, "00")]
    );
    // A PS key the simulator's CPx CA never certified (testdata/pki is another PKI).
    let mut args = traits("ADRUN", "ZOE", "F", "1975-12-31");
    let (key, cert) = (pki("cpx-ps.key"), pki("cpx-ps.pem"));
    args.extend(["--auth", "cpx", "--ps-key", &key, "--ps-cert", &cert]);
    let (code, v) = search(&args);
    assert_eq!(code, 1);
    assert_eq!(v["fault"]["detail_code"], "insisim_assertion");
    assert!(v["fault"]["advice"].as_str().unwrap().contains("CPx CA"));
}
