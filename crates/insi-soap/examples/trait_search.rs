//! What a publisher's code does around the wire: validate traits, build the envelope, and read
//! the answer (here a sample file instead of the network).
//!
//! `cargo run -p insi-soap --example trait_search -- testdata/xml/resultat-00-live.xml`

use insi_soap::{CallIds, Caller, RecSansVitale, Request, Response, decode_response};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Bad input is refused here, before anything is sent.
    let traits = ins::Traits::parse("Ecetinsi", "Pierre-Alain", "M", "2009-07-14", None)?;
    let caller = Caller {
        idam: "TESTSGIE0000".into(),
        lps_version: "1.0".into(),
        instance: "636c9d43-1a19-5b8c-a8b1-ac43227cfe46".into(),
        nom: "urn:lps:mon-logiciel:1.0".into(),
        emetteur: "10B0152872".into(),
    };
    let request = Request::rechercher_par_traits(
        &caller,
        &CallIds::fresh(),
        RecSansVitale::from_traits(&traits),
    );
    println!(
        "POST /lps\nContent-Type: {}\n\n{}\n",
        request.content_type(),
        request.encode()
    );

    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/xml/resultat-00-live.xml".into());
    let decoded = decode_response(&std::fs::read(&path)?)?;
    match decoded.response {
        Response::Resultat(r) => {
            println!("CR {} ({})", r.cr.code(), r.libelle);
            if let Some(ind) = r.individu {
                let m = ind.ins_actif.matricule()?;
                println!("INS {} {} ({})", m, m.cle(), ind.ins_actif.oid);
                println!(
                    "first first name: {}",
                    ind.tiq.premier_prenom().unwrap_or("-")
                );
            }
        }
        Response::Fault(f) => println!("fault {} / {:?}", f.code, f.erreur.map(|e| e.code)),
    }
    for w in decoded.warnings {
        println!("warning: {w}");
    }
    Ok(())
}
