//! The tolerant reader never panics: arbitrary text, broken service files, deep nesting, big files.

use coworks_core::rust_source::tolerant;
use proptest::prelude::*;

const SERVICE: &str = include_str!("fixtures/billing.rs");
const NESTED: &str = include_str!("fixtures/catalog.rs");

/// Every range the reader reports lies inside the text, on char boundaries.
fn check(text: &str) {
    let (decls, _) = tolerant::parse_with_status(text);
    let ok = |r: coworks_core::text::ByteRange| {
        r.start <= r.end
            && r.end <= text.len()
            && text.is_char_boundary(r.start)
            && text.is_char_boundary(r.end)
    };
    for s in &decls.services {
        assert!(ok(s.range) && ok(s.type_range));
        for e in &s.entries {
            assert!(ok(e.range) && ok(e.name_range) && ok(e.attr_range));
            assert!(e.params.iter().all(|p| ok(p.range) && ok(p.ty_range)));
        }
    }
    assert!(decls.attr_errors.iter().all(|e| ok(e.range)));
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Delete(usize, usize),
    Insert(usize, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "{", "}", "(", ")", "[", "]", "#[", "\"", "'", "/*", "//", "r#\"", "é", "😀"
            ])
        )
            .prop_map(|(a, s)| Mutation::Insert(a, s)),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Truncate(at) => bytes.truncate(at % len),
            Mutation::Delete(at, n) => {
                let start = (at % len).min(bytes.len());
                let end = (start + n).min(bytes.len());
                bytes.drain(start..end);
            }
            Mutation::Insert(at, s) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, s.bytes());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_does_not_panic(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn rust_like_tokens_do_not_panic(tokens in prop::collection::vec(
        prop::sample::select(vec!["#[service]", "#[entry(", "impl", "X", "{", "}", "(", ")", "fn", "get",
            "&self", ",", "#[query]", "q:", "u64", "mod m", "///é\n", "\"", "=", "]", "async", "\n"]), 0..80)) {
        check(&tokens.join(" "));
    }

    #[test]
    fn broken_service_files_do_not_panic(
        base in prop::sample::select(vec![SERVICE, NESTED]),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        check(&apply(base, &mutations));
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 50_000;
    for (open, close) in [("(", ")"), ("{", "}"), ("[", "]"), ("mod m {", "}")] {
        let body = format!("{}{}", open.repeat(depth), close.repeat(depth));
        check(&body);
        check(&format!("#[service]\nimpl X {{\n    #[entry]\n    fn get(&self) {{ {body} }}\n}}\n"));
        // Unbalanced, as while typing.
        check(&open.repeat(depth));
    }
    let decls = tolerant::parse(&format!(
        "{}#[service] impl X {{ #[entry] fn get(&self) {{}} }}{}",
        "mod m {".repeat(2000),
        "}".repeat(2000)
    ));
    assert_eq!(decls.services.len(), 1);
}

#[test]
fn big_file_is_read() {
    let mut text = String::new();
    while text.len() < 5_000_000 {
        text.push_str(SERVICE);
    }
    let (decls, errors) = tolerant::parse_with_status(&text);
    assert!(!errors);
    assert!(decls.services.len() > 1000);
    // And broken in the middle.
    text.insert_str(text.len() / 2, "fn broken( {");
    check(&text);
}
