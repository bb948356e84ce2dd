//! The exact reader (`syn`) and the tolerant reader (tree-sitter) give the same answers on valid
//! Rust: on the example project, on fixtures, and on a generated corpus.

use std::path::{Path, PathBuf};

use coworks_core::rust_source::{exact, tolerant};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            // The fixture projects hold broken files on purpose: see below.
            if path.file_name().is_some_and(|n| n != "target" && n != "projects") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn assert_agree(name: &str, text: &str) {
    let exact = exact::parse(text).unwrap_or_else(|e| panic!("{name} is not valid Rust: {e:?}"));
    let (tolerant, had_errors) = tolerant::parse_with_status(text);
    assert!(!had_errors, "{name}: tree-sitter saw errors in a valid file");
    assert_eq!(exact, tolerant, "{name}: the readers disagree\n{text}");
}

#[test]
fn examples_and_fixtures_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("../examples"), &mut files);
    rust_files(&root.join("tests/fixtures"), &mut files);
    let mut services = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        assert_agree(&path.display().to_string(), &text);
        assert_agree(&format!("{} with CRLF", path.display()), &text.replace('\n', "\r\n"));
        services += tolerant::parse(&text).services.len();
    }
    assert!(files.len() >= 3, "compared {} files", files.len());
    assert!(services >= 3, "found {services} services");
}

#[test]
fn the_valid_files_of_the_fixture_projects_agree() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects"), &mut files);
    let valid: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter_map(|path| std::fs::read_to_string(&path).ok().map(|text| (path, text)))
        .filter(|(_, text)| exact::parse(text).is_ok())
        .collect();
    assert!(valid.len() >= 30, "compared {} files", valid.len());
    for (path, text) in &valid {
        assert_agree(&path.display().to_string(), text);
    }
}

/// A small deterministic PRNG (xorshift64*), so the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const DOCS: &[&str] = &[
    "Invoices of the e-shop.",
    "",
    "Crée une facture (€).",
    "Emoji 😀 and 中文 text.",
    "  indented `code`",
    "Trailing spaces   ",
];
const TYPES: &[&str] = &[
    "u64",
    "Option<u32>",
    "Vec<String>",
    "HashMap<String, Vec<u8>>",
    "&'static str",
    "String",
    "Result<Vec<u8>, std::io::Error>",
    "[u8; 4]",
    "impl Into<String>",
    "Option< Vec < u8 > >",
];
const ENTRY_ARGS: &[&str] = &[
    "path = \"/users/{id}/orders\"",
    "stage = \"dev\"",
    "stages = [\"dev\", \"prod\"]",
    "no_auth",
    "binary_headers",
    "binary_headers = \"application/pdf\"",
    "throttle = \"2.5/10\"",
    "throttle = \"0\"",
    "path = r#\"/raw/{x}\"#",
    "stage = \"é😀\"",
    "methd = \"GET\"",
    "path = 42",
    "stages = []",
    "no_auth = \"yes\"",
    "\"lonely\"",
];

struct Gen {
    rng: Rng,
    out: String,
}

impl Gen {
    fn line(&mut self, indent: usize, s: &str) {
        self.out.push_str(&"    ".repeat(indent));
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn docs(&mut self, indent: usize) {
        let n = self.rng.below(4);
        for _ in 0..n {
            let d = self.rng.pick(DOCS);
            match self.rng.below(6) {
                0 => self.line(indent, &format!("#[doc = \"{}\"]", d.replace('`', "\\u{60}"))),
                1 => self.line(indent, &format!("/** {d} */")),
                _ => self.line(indent, format!("/// {d}").trim_end()),
            }
        }
    }

    fn file(&mut self) -> String {
        self.out.clear();
        if self.rng.chance(50) {
            self.line(0, "//! A generated file. Écrit à la main? Non. 中文");
        }
        if self.rng.chance(50) {
            self.line(0, "use std::collections::HashMap;");
        }
        let n = 1 + self.rng.below(4);
        for _ in 0..n {
            self.item(0, 0);
        }
        std::mem::take(&mut self.out)
    }

    fn item(&mut self, indent: usize, depth: usize) {
        match self.rng.below(10) {
            0..=4 => self.service(indent),
            5 => self.plain_impl(indent),
            6 if depth < 2 => {
                self.docs(indent);
                let name = self.rng.pick(&["api", "inner", "r#mod", "v1"]);
                self.line(indent, &format!("pub mod {name} {{"));
                if self.rng.chance(30) {
                    self.line(indent + 1, "//! Module docs.");
                }
                let n = 1 + self.rng.below(3);
                for _ in 0..n {
                    self.item(indent + 1, depth + 1);
                }
                self.line(indent, "}");
            }
            7 => {
                self.line(indent, "fn helper() -> u32 {");
                self.line(indent + 1, "#[service]");
                self.line(indent + 1, "impl Hidden { #[entry] fn get(&self) {} }");
                self.line(indent + 1, "let s = \"{ not a brace 😀\"; s.len() as u32");
                self.line(indent, "}");
            }
            8 => {
                self.docs(indent);
                self.line(indent, "pub struct Billing<T = ()> { inner: T }");
            }
            _ => self.line(indent, "const LIMIT: u32 = 10; // ( not a paren"),
        }
    }

    fn plain_impl(&mut self, indent: usize) {
        self.docs(indent);
        let head = self.rng.pick(&["impl Billing", "impl Default for Billing", "impl<T> Store<T>"]);
        self.line(indent, &format!("{head} {{"));
        self.method(indent + 1, false);
        self.line(indent, "}");
    }

    fn service(&mut self, indent: usize) {
        self.docs(indent);
        if self.rng.chance(20) {
            self.line(indent, "#[allow(dead_code)]");
        }
        let attr = match self.rng.below(8) {
            0 => "#[service]".to_string(),
            1 => "#[coworks::service]".to_string(),
            2 => "#[::coworks::service]".to_string(),
            3 => "#[coworks :: service()]".to_string(),
            4 => "#[service(nom = \"x\", name)]".to_string(),
            5 => "#[service = \"billing\"]".to_string(),
            _ => format!(
                "#[coworks::service(name = \"{}\")]",
                self.rng.pick(&["billing", "catalogue-é", "中文"])
            ),
        };
        self.line(indent, &attr);
        if self.rng.chance(20) {
            self.line(indent, "// a plain comment between attribute and impl");
        }
        if self.rng.chance(15) {
            self.docs(indent);
        }
        let head = self.rng.pick(&[
            "impl Billing",
            "impl<T> Foo<T>",
            "impl<T: Clone> crate::shop::Shop<T> where T: Send",
            "impl r#Type",
            "unsafe impl Api for Billing",
            "impl<'a> Catalog<'a>",
            "impl [u8; 4]",
            "impl (u8, u16)",
        ]);
        self.line(indent, &format!("{head} {{"));
        if self.rng.chance(10) {
            self.line(indent + 1, "//! Inner docs of the impl.");
        }
        let n = self.rng.below(5);
        for _ in 0..n {
            if self.rng.chance(15) {
                self.line(indent + 1, "const MAX: usize = 3;");
            } else {
                let entry = self.rng.chance(80);
                self.method(indent + 1, entry);
            }
        }
        self.line(indent, "}");
    }

    fn method(&mut self, indent: usize, entry: bool) {
        self.docs(indent);
        if entry {
            let attr = match self.rng.below(7) {
                0 => "#[entry]".to_string(),
                1 => "#[coworks::entry]".to_string(),
                2 => "#[entry = \"x\"]".to_string(),
                _ => {
                    let n = self.rng.below(4);
                    let args: Vec<&str> = (0..n).map(|_| self.rng.pick(ENTRY_ARGS)).collect();
                    let sep = self.rng.pick(&[", ", ",", " , ", ",\n        "]);
                    format!("#[entry({})]", args.join(sep))
                }
            };
            if self.rng.chance(15) {
                self.line(indent, "#[allow(unused)]");
            }
            self.line(indent, &attr);
            if self.rng.chance(15) {
                self.docs(indent);
            }
        }
        let vis = self.rng.pick(&["", "", "pub ", "pub(crate) "]);
        let asyncness = self.rng.pick(&["", "async "]);
        let name = self.rng.pick(&[
            "get",
            "get_invoice",
            "post_invoice",
            "r#type",
            "delete_user_",
            "list",
            "get_中文",
        ]);
        let mut params: Vec<String> = Vec::new();
        match self.rng.below(7) {
            0 => {}
            1 | 2 => params.push("&self".into()),
            3 => params.push("&mut self".into()),
            4 => params.push("self".into()),
            5 => params.push("mut self: Box<Self>".into()),
            _ => params.push("&'a self".into()),
        }
        let n = self.rng.below(4);
        for i in 0..n {
            let attr =
                self.rng.pick(&["", "", "#[query] ", "#[body] ", "#[coworks::query] ", "#[allow(unused)] "]);
            let (pat, ty) = match self.rng.below(8) {
                0 => ("(a, b)".to_string(), "(u8, Vec<u8>)".to_string()),
                1 => (format!("mut p{i}"), self.rng.pick(TYPES).to_string()),
                2 => ("r#type".to_string(), "&'static str".to_string()),
                3 => ("_".to_string(), "u8".to_string()),
                4 => (format!("ref x{i}"), "u32".to_string()),
                _ => (format!("p{i}"), self.rng.pick(TYPES).to_string()),
            };
            if pat == "r#type" && params.iter().any(|p| p.contains("r#type")) {
                continue;
            }
            params.push(format!("{attr}{pat}: {ty}"));
        }
        let ret = self.rng.pick(&["", " -> u64", " -> Result<Json<Invoice>>", " -> &'static str"]);
        let body = self.rng.pick(&[
            "{ todo!() }",
            "{\n        let s = \"😀 中文 } {\"; unimplemented!(\"{s}\")\n    }",
            "{ { loop {} } }",
            "{\n        #![allow(unused)]\n        todo!()\n    }",
        ]);
        self.line(indent, &format!("{vis}{asyncness}fn {name}({}){ret} {body}", params.join(", ")));
    }
}

#[test]
fn generated_corpus_agrees() {
    let mut gen = Gen { rng: Rng(0x5EED_C0DE_2026_0001), out: String::new() };
    let (mut valid, mut services, mut entries, mut errors) = (0, 0, 0, 0);
    let total = 400;
    for i in 0..total {
        let mut text = gen.file();
        if i % 10 == 0 {
            text = text.replace('\n', "\r\n");
        } else if i % 10 == 1 {
            text = text.replace("    ", "\t");
        }
        if syn::parse_file(&text).is_err() {
            continue;
        }
        valid += 1;
        assert_agree(&format!("generated file #{i}"), &text);
        let decls = tolerant::parse(&text);
        services += decls.services.len();
        entries += decls.services.iter().map(|s| s.entries.len()).sum::<usize>();
        errors += decls.attr_errors.len();
    }
    println!(
        "{valid}/{total} valid files: {services} services, {entries} entries, {errors} attribute errors"
    );
    assert!(valid * 100 >= total * 95, "only {valid} of {total} generated files are valid Rust");
    assert!(
        services > 300 && entries > 500 && errors > 50,
        "{services} services, {entries} entries, {errors} errors"
    );
}
