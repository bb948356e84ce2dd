//! Hooks: the `before` and `after` methods of a service's `impl` block, which the runtime runs
//! around every entry. They are recognised by name, are not routes (no route, no lens), and the
//! macro and the analysis (both parsers read them into [`HookDecl`]s) check them with the rules
//! here: a hook with the wrong shape is refused (CWS067), and so is an `#[entry]` named like a hook
//! (CWS068).

use serde::{Deserialize, Serialize};

use crate::diagnostics::DiagnosticCode;
use crate::text::ByteRange;

/// The hook run before every entry.
pub const BEFORE: &str = "before";
/// The hook run after every entry.
pub const AFTER: &str = "after";

/// Whether a method name is a hook's (`r#` dropped).
pub fn is_hook(name: &str) -> bool {
    let name = name.strip_prefix("r#").unwrap_or(name);
    name == BEFORE || name == AFTER
}

/// The signature a hook must have, as written in messages.
pub fn expected_signature(name: &str) -> &'static str {
    if name.strip_prefix("r#").unwrap_or(name) == AFTER {
        "fn after(&self, call: &Call, answer: Response) -> Response"
    } else {
        "fn before(&self, call: &Call) -> Result<(), Error>"
    }
}

/// The shape of a hook method, as a reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookShape {
    /// Whether it has a `&self` receiver (not `self`, not `&mut self`).
    pub ref_self: bool,
    /// How many parameters it takes besides the receiver.
    pub params: usize,
    /// Whether it declares generic parameters.
    pub generic: bool,
}

/// A hook method of a service's `impl` block, as both parsers read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookDecl {
    /// `before` or `after` (`r#` kept).
    pub name: String,
    /// The name's range.
    pub name_range: ByteRange,
    /// Its shape.
    pub shape: HookShape,
}

/// What is wrong with a hook's shape (CWS067), if anything.
pub fn shape_problem(name: &str, shape: HookShape) -> Option<(DiagnosticCode, String)> {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let want = if name == AFTER { 2 } else { 1 };
    if shape.ref_self && shape.params == want && !shape.generic {
        return None;
    }
    let what = if name == AFTER { "the call and the answer" } else { "the call" };
    Some((
        DiagnosticCode::BadHookSignature,
        format!(
            "the `{name}` hook takes `&self` and {what}, with no generic parameters: `{}`",
            expected_signature(name)
        ),
    ))
}

/// The message for an `#[entry]` named like a hook (CWS068).
pub fn entry_named_like_a_hook(name: &str) -> String {
    format!(
        "`{name}` is the name of a hook (run around every entry, never served): rename the entry (e.g. `get_{name}`) or remove `#[entry]` to make it the hook"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_shapes() {
        let ok = HookShape { ref_self: true, params: 1, generic: false };
        assert!(shape_problem(BEFORE, ok).is_none());
        assert!(shape_problem(AFTER, HookShape { params: 2, ..ok }).is_none());
        let (code, msg) = shape_problem(AFTER, ok).expect("after takes two");
        assert_eq!(code.as_str(), "CWS067");
        assert!(msg.contains("fn after(&self, call: &Call, answer: Response)"), "{msg}");
        assert!(shape_problem(BEFORE, HookShape { ref_self: false, ..ok }).is_some());
        assert!(shape_problem(BEFORE, HookShape { generic: true, ..ok }).is_some());
        assert!(is_hook("before") && is_hook("r#after") && !is_hook("get_before"));
    }

    #[cfg(feature = "analysis")]
    #[test]
    fn both_parsers_read_hooks_and_only_methods_without_entry() {
        let text = "#[coworks::service]\nimpl S {\n    async fn before(&self, call: &Call) {}\n    fn after<T>(&mut self, a: T) -> T { a }\n    #[entry] fn get_x(&self) {}\n    fn helper(&self) {}\n}\n";
        let exact = crate::rust_source::exact::parse(text).expect("valid");
        let tolerant = crate::rust_source::tolerant::parse(text);
        assert_eq!(exact, tolerant);
        let hooks = &exact.services[0].hooks;
        let shapes: Vec<(&str, HookShape)> = hooks.iter().map(|h| (h.name.as_str(), h.shape)).collect();
        assert_eq!(
            shapes,
            [
                ("before", HookShape { ref_self: true, params: 1, generic: false }),
                ("after", HookShape { ref_self: false, params: 1, generic: true }),
            ]
        );
        assert_eq!(&text[hooks[1].name_range.start..hooks[1].name_range.end], "after");
        // Half-typed code elsewhere: the tolerant parser still reads the complete hook.
        let broken = text.replace("fn helper(&self) {}", "fn helper(&self");
        let hooks = &crate::rust_source::tolerant::parse(&broken).services[0].hooks;
        assert_eq!(hooks.first().map(|h| h.name.as_str()), Some("before"), "{hooks:?}");
    }
}
