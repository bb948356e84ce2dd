//! Logs: the runtime (and a service, through [`crate::tracing`]) logs with `tracing`.
//!
//! - **Under Lambda**: lines on stdout, JSON objects when the function's log format is JSON
//!   (`AWS_LAMBDA_LOG_FORMAT=JSON`, which Lambda sets from the function's `logging_config`; the
//!   Terraform `cws deploy` writes sets it), else `lambda_runtime`'s plain format; no timestamp
//!   (CloudWatch stamps each line). The level is `AWS_LAMBDA_LOG_LEVEL` (Lambda sets it from the
//!   function's application log level; `FATAL` is read as `ERROR`), else `RUST_LOG` (a level or
//!   `tracing` directives), else `INFO`. `lambda_runtime` runs each invocation in its span
//!   `Lambda runtime invoke` carrying `requestId` and `xrayTraceId`, so every JSON line holds them
//!   (`"span": {"requestId": .., "xrayTraceId": .., "name": "Lambda runtime invoke"}`; the list of
//!   enclosing spans is left out: the request's span is the only one).
//! - **Locally** (`cws run`, a service started by hand): readable lines on stderr — time, level,
//!   the request's span (`request{id=local-…}`), message and fields — the level from `RUST_LOG`,
//!   else `INFO`; with `AWS_LAMBDA_LOG_FORMAT=JSON`, the JSON lines Lambda's format gives, on
//!   stderr (what the latency benchmark measures: the deployed logging).
//!
//! The level filters events only: the request's span stays on at any level, so a `WARN` line still
//! carries the request id (with `lambda_runtime`'s own default subscriber, an `INFO` span, it
//! would not). The subscriber is this crate's, built like `lambda_runtime::tracing`'s default with
//! that difference; a subscriber the service's `main` installed before `coworks::serve` is kept.
//!
//! The router logs one `INFO` line per answered request (method, path, status, milliseconds), a
//! `WARN` line per refused event and an `ERROR` line per panic or hidden `5xx` (with its message).
//! One line is not a log: the local server's `... listening on http://HOST:PORT` goes to stderr
//! whatever the level, since `cws run` and the tools wait for it.

use std::io::IsTerminal;

use lambda_runtime::tracing::subscriber::filter::{filter_fn, EnvFilter, FilterExt, LevelFilter};
use lambda_runtime::tracing::subscriber::layer::SubscriberExt;
use lambda_runtime::tracing::subscriber::util::SubscriberInitExt;
use lambda_runtime::tracing::subscriber::{fmt, registry, Layer};

/// The span `lambda_runtime` runs each invocation in.
pub const LAMBDA_SPAN: &str = "Lambda runtime invoke";
/// The span the local server runs each request in (field `id`).
pub const LOCAL_SPAN: &str = "request";

/// Installs the subscriber for the face (`under_lambda`), unless one is installed already.
pub fn init(under_lambda: bool) {
    let var = |k: &str| std::env::var(k).ok();
    let spans = filter_fn(|m| {
        m.is_span()
            && (m.name() == LAMBDA_SPAN || (m.name() == LOCAL_SPAN && m.target().starts_with("coworks")))
    });
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let layer = fmt::layer().with_target(false);
    let result = if under_lambda {
        let events = filter(var("AWS_LAMBDA_LOG_LEVEL").or_else(|| var("RUST_LOG")).as_deref());
        let layer = layer.without_time().with_writer(std::io::stdout);
        if json {
            registry().with(layer.json().with_span_list(false).with_filter(events.or(spans))).try_init()
        } else {
            registry().with(layer.with_filter(events.or(spans))).try_init()
        }
    } else if json {
        let events = filter(var("RUST_LOG").as_deref());
        let layer = layer.without_time().with_writer(std::io::stderr).json().with_span_list(false);
        registry().with(layer.with_filter(events.or(spans))).try_init()
    } else {
        let layer = layer
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .with_filter(filter(var("RUST_LOG").as_deref()).or(spans));
        registry().with(layer).try_init()
    };
    // Err: the service installed its own subscriber first; it is kept.
    let _ = result;
}

/// The events' level filter: `directives` (a level such as `warn` — Lambda's `FATAL` read as
/// `error` —, or `tracing` directives such as `info,my_service=debug`), `INFO` when unset or
/// unreadable.
pub fn filter(directives: Option<&str>) -> EnvFilter {
    let builder = || EnvFilter::builder().with_default_directive(LevelFilter::INFO.into());
    let Some(d) = directives.map(str::trim).filter(|d| !d.is_empty()) else {
        return builder().parse_lossy("");
    };
    let d = if d.eq_ignore_ascii_case("fatal") { "error" } else { d };
    builder().parse(d).unwrap_or_else(|_| builder().parse_lossy(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_comes_from_the_directives() {
        let max = |v: Option<&str>| filter(v).max_level_hint();
        assert_eq!(max(None), Some(LevelFilter::INFO));
        assert_eq!(max(Some(" ")), Some(LevelFilter::INFO));
        assert_eq!(max(Some("warn")), Some(LevelFilter::WARN));
        assert_eq!(max(Some("DEBUG")), Some(LevelFilter::DEBUG));
        assert_eq!(max(Some("FATAL")), Some(LevelFilter::ERROR));
        assert_eq!(max(Some("error,hooks=trace")), Some(LevelFilter::TRACE));
        assert_eq!(max(Some("not a level ===")), Some(LevelFilter::INFO));
    }
}
