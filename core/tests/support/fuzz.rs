//! What the fuzz tests share: a runner with a fixed seed (so a failure repeats; `CWS_FUZZ_SEED`
//! and `CWS_FUZZ_CASES` change it) and YAML text holding any string exactly.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A runner of `CWS_FUZZ_CASES` cases (else `cases`) seeded by `CWS_FUZZ_SEED` (else `seed`).
pub fn seeded_runner(cases: u32, seed: u64) -> TestRunner {
    let var = |name: &str| std::env::var(name).ok();
    let cases = var("CWS_FUZZ_CASES").and_then(|n| n.parse().ok()).unwrap_or(cases);
    let seed: u64 = var("CWS_FUZZ_SEED").and_then(|n| n.parse().ok()).unwrap_or(seed);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config { cases, ..Config::default() },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// A YAML double-quoted scalar holding exactly `s`: printable ASCII and non-ASCII letters as they
/// are, everything else escaped (YAML reads some characters raw as line breaks or refuses them).
pub fn yaml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if c.is_alphanumeric() && c as u32 > 0xff => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Hostile texts: up to five of `pieces`, any characters and plain words, concatenated.
pub fn texts(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(pieces).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
        1 => "[a-z_]{1,6}",
    ];
    proptest::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}
