//! Properties over random input: key round trip, normalisation idempotence and validity, and no
//! panic on any text.

use ins::normalize::{TraitField, normalize, validate};
use ins::{Cle, Matricule};
use proptest::prelude::*;

/// A structurally valid matricule, Corsica included (about one in five).
fn matricule_text() -> impl Strategy<Value = String> {
    let sex = prop::sample::select(vec!['1', '2', '3', '4', '7', '8']);
    let month = prop_oneof![1u8..=12, 20u8..=42, 50u8..=99];
    let department = prop_oneof![
        4 => (0u8..=99).prop_map(|d| format!("{d:02}")),
        1 => prop::sample::select(vec!["2A".to_owned(), "2B".to_owned()]),
    ];
    (sex, 0u8..=99, month, department, 0u16..=999, 0u16..=999).prop_map(
        |(sex, year, month, dep, commune, order)| {
            format!("{sex}{year:02}{month:02}{dep}{commune:03}{order:03}")
        },
    )
}

/// Text drawn from letters, separators, accents, ligatures, typographic marks and junk.
fn name_text() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz '-’ÉÈÊËéèçÇÀÂÄÔÖÜÏÎœŒæÆß\u{00A0}\u{0301}_/!9"
            .chars()
            .collect();
    prop::collection::vec(prop::sample::select(alphabet), 0..40)
        .prop_map(|chars| chars.into_iter().collect())
}

fn field() -> impl Strategy<Value = TraitField> {
    prop::sample::select(vec![TraitField::NomNaissance, TraitField::Prenoms])
}

proptest! {
    #[test]
    fn key_round_trip(text in matricule_text()) {
        let m = Matricule::parse(&text).unwrap();
        let key = m.cle();
        prop_assert!((1..=97).contains(&key.value()));
        prop_assert!(m.check(key).is_ok());
        // Spaced, with its key, as a person would type it.
        let spaced = format!("{} {} {} {} {} {} {}", &text[..1], &text[1..3], &text[3..5],
                             &text[5..7], &text[7..10], &text[10..], key);
        let parsed = Matricule::parse_with_key(&spaced).unwrap();
        prop_assert_eq!(parsed.matricule, m);
        prop_assert_eq!(parsed.cle, Some(key));
        // Any other key is refused and the right one is named.
        let wrong: Cle = format!("{:02}", (key.value() % 97) + 1).parse().unwrap();
        let err = m.check(wrong).unwrap_err();
        prop_assert_eq!(err.expected, key);
    }

    #[test]
    fn normalisation_is_idempotent_and_valid(field in field(), text in name_text()) {
        if let Ok(once) = normalize(field, &text) {
            prop_assert!(validate(field, &once).is_ok(), "{:?} -> {:?}", text, once);
            let twice = normalize(field, &once);
            prop_assert_eq!(twice.as_deref(), Ok(once.as_str()));
        }
    }

    #[test]
    fn refusals_point_inside_the_input(field in field(), text in name_text()) {
        if let Err(e) = normalize(field, &text) {
            prop_assert!(e.position <= text.chars().count().max(1) || e.position == ins::normalize::MAX_LEN + 1);
            prop_assert!(!e.message().is_empty());
        }
    }

    #[test]
    fn no_panic_on_any_text(field in field(), text in ".*") {
        let _ = normalize(field, &text);
        let _ = validate(field, &text);
        let _ = Matricule::parse_with_key(&text);
        let _ = text.parse::<ins::DateNaissance>();
        let _ = text.parse::<ins::Cog>();
    }
}
