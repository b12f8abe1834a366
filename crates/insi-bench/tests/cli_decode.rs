//! `decode` through the real binary: the JSON contract of the issue, exit codes, errors that
//! name the file, line and byte.

use assert_cmd::Command;
use serde_json::{Value, json};

fn sample(name: &str) -> String {
    format!("{}/../../testdata/xml/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("insi-bench")
        .expect("binary")
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn decode_json(files: &[&str]) -> (i32, Value, String) {
    let paths: Vec<String> = files.iter().map(|f| sample(f)).collect();
    let mut args = vec!["--json", "decode"];
    args.extend(paths.iter().map(String::as_str));
    let (code, stdout, stderr) = run(&args);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{stdout:?}: {e}"));
    (code, value, stderr)
}

#[test]
fn resultat_00_matches_the_contract_exactly() {
    let (code, v, _) = decode_json(&["resultat-00-live.xml"]);
    assert_eq!(code, 0);
    let expected = json!({
        "file": sample("resultat-00-live.xml"), "kind": "resultat", "cr": "00", "libelle": "OK",
        "individu": {
            "ins_actif": {"matricule": "1090763220834", "cle": "89", "oid": "1.2.250.1.213.1.4.8", "date_deb": null, "date_fin": null},
            "ins_histo": [
                {"matricule": "2090763220834", "cle": "39", "oid": "1.2.250.1.213.1.4.8", "date_deb": "2019-03-01", "date_fin": "2019-02-28"},
                {"matricule": "2090663220123", "cle": "55", "oid": "1.2.250.1.213.1.4.8", "date_deb": null, "date_fin": null}
            ],
            "traits": {"nom_naissance": "ECETINSI", "prenom": null, "liste_prenom": "PIERRE-ALAIN MURIEL FLORIANT",
                       "sexe": "M", "date_naissance": "2009-07-14", "lieu_naissance": "63220"}
        },
        "warnings": []
    });
    assert_eq!(v, expected);
}

#[test]
fn keys_come_in_the_contract_order() {
    let (_, stdout, _) = run(&["--json", "decode", &sample("resultat-01.xml")]);
    let order = [
        "\"file\"",
        "\"kind\"",
        "\"cr\"",
        "\"libelle\"",
        "\"individu\"",
        "\"warnings\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| stdout.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{stdout}");
}

#[test]
fn several_files_give_an_array_with_faults_and_warnings() {
    let (code, v, _) = decode_json(&[
        "resultat-01.xml",
        "fault-siram100-desir550.xml",
        "fault-siram40-insi102-fatal.xml",
        "resultat-00-histo-cle-invalide.xml",
    ]);
    assert_eq!(code, 0);
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["individu"], Value::Null);
    assert_eq!(items[0]["libelle"], "Aucune identite trouvee");
    assert_eq!(
        items[1],
        json!({"file": sample("fault-siram100-desir550.xml"), "kind": "fault", "code": "Sender", "subcode": "siram_100",
               "detail_code": "desir_550", "severite": "erreur", "message_id": "uuid:b3549edd-0c56-4c1e-9b1a-2f5a2f7d1c01",
               "reason": "L'accès par ce progiciel au service n'est pas autorisé. Contactez l'éditeur du progiciel ou votre responsable informatique.",
               "detail": "Numéro d'autorisation du logiciel inconnu."})
    );
    assert_eq!(items[2]["severite"], "fatal");
    assert_eq!(items[2]["code"], "Receiver");
    assert_eq!(items[2]["message_id"], Value::Null);
    let warnings = items[3]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("the key should be 26"),
        "{warnings:?}"
    );
}

#[test]
fn a_bad_file_fails_the_run_and_says_where() {
    let (code, v, stderr) = decode_json(&[
        "resultat-01.xml",
        "bad-truncated.xml",
        "bad-dtd-entities.xml",
    ]);
    assert_eq!(code, 1);
    let items = v.as_array().unwrap();
    assert_eq!(items[0]["kind"], "resultat");
    assert_eq!(items[1]["kind"], "error");
    assert_eq!(items[1]["line"], 7);
    assert_eq!(items[2]["line"], 2);
    assert!(items[2]["error"].as_str().unwrap().contains("DOCTYPE"));
    assert!(
        stderr.contains("bad-truncated.xml: line 7, byte 281: malformed XML"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["decode", "/nonexistent/response.xml"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("/nonexistent/response.xml: cannot read"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["decode", &sample("bad-wrong-namespace.xml")]);
    assert_eq!(code, 1);
    assert!(stderr.contains("INSiRecSans"), "{stderr}");
}

#[test]
fn human_output_lists_ins_traits_and_warnings() {
    let (code, stdout, _) = run(&[
        "decode",
        &sample("resultat-00-cnda-ns2.xml"),
        &sample("resultat-00-entities.xml"),
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("RESULTAT 00 OK"), "{stdout}");
    assert!(
        stdout.contains("INS actif  1090763220834 89  1.2.250.1.213.1.4.8 (INS-NIR)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("D'ARTAGNAN DE L'HERAULT / PIERRE-ALAIN JOSÉ / M / 2001-06-17 / 63220"),
        "{stdout}"
    );
    assert!(stdout.contains("warning"), "{stdout}");
    let (code, _, _) = run(&["decode"]);
    assert_eq!(code, 2, "missing FILE is a usage error");
}
