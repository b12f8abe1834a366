//! INS domain: matricule key and trait normalisation.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ins::Matricule;
use ins::normalize::{TraitField, normalize};

fn bench(c: &mut Criterion) {
    c.bench_function("matricule/parse_with_key+check", |b| {
        b.iter(|| {
            let parsed = Matricule::parse_with_key(black_box("1 09 07 63 220 834 89")).ok()?;
            parsed.matricule.check(parsed.cle?).ok()
        })
    });
    c.bench_function("normalize/nom_ascii", |b| {
        b.iter(|| {
            normalize(
                TraitField::NomNaissance,
                black_box("D'ARTAGNAN DE L'HERAULT"),
            )
        })
    });
    c.bench_function("normalize/nom_accents", |b| {
        b.iter(|| {
            normalize(
                TraitField::NomNaissance,
                black_box("d’Ærtagnan-Müller de l’Hérault"),
            )
        })
    });
    // Floor: copying and uppercasing the same bytes.
    c.bench_function("floor/ascii_uppercase", |b| {
        b.iter(|| black_box("d’Ærtagnan-Müller de l’Hérault").to_ascii_uppercase())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
