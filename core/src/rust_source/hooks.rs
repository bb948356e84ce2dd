//! Hooks: the `before` and `after` methods of a service's `impl` block, which the runtime runs
//! around every entry. They are recognised by name, are not routes (no route, no lens), and the
//! macro and the analysis check them with the rules here: an `#[entry]` named like a hook is
//! refused (CWS068), a hook with the wrong shape is refused by the macro (CWS067).

use crate::diagnostics::DiagnosticCode;

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
    if name == AFTER {
        "fn after(&self, call: &Call, answer: Response) -> Response"
    } else {
        "fn before(&self, call: &Call) -> Result<(), Error>"
    }
}

/// The shape of a hook method, as a reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookShape {
    /// Whether it has a `&self` receiver (not `self`, not `&mut self`).
    pub ref_self: bool,
    /// How many parameters it takes besides the receiver.
    pub params: usize,
    /// Whether it declares generic parameters.
    pub generic: bool,
}

/// What is wrong with a hook's shape (CWS067), if anything.
pub fn shape_problem(name: &str, shape: HookShape) -> Option<(DiagnosticCode, String)> {
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
}
