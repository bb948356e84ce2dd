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
//!   stderr (what the latency benchmark measures: the deployed logging), each line of a request
//!   carrying `"span": {"id": "local-…", "name": "request"}` as if the request ran in a span of
//!   that name. There, no span is opened per request (a span costs each request about a seventh
//!   of its instructions whether or not it logs anything: the registry's slot, the fields written
//!   as JSON up front, entering and leaving it on each poll): the request runs in a task-local
//!   scope (`in_local_request!`) and [`LocalRequestLines`] adds the span object to the lines
//!   written in it, the same text a span would give. A span the service opens itself is shown as
//!   before (the innermost span, as with a request span above it).
//!
//! The level filters events only: the request's span stays on at any level, so a `WARN` line still
//! carries the request id (with `lambda_runtime`'s own default subscriber, an `INFO` span, it
//! would not). The subscriber is this crate's, built like `lambda_runtime::tracing`'s default with
//! that difference; a subscriber the service's `main` installed before `coworks::serve` is kept.
//!
//! The router logs one line per answered request (method, path, status, milliseconds): `INFO` in
//! the readable local lines (a developer's terminal, as Flask's or `chalice local`'s access lines),
//! `DEBUG` in JSON lines and under Lambda, where API Gateway's access log and Lambda's `REPORT`
//! line already record each request and CloudWatch bills each line (as tower-http's `TraceLayer`
//! answers at `DEBUG` by default); a
//! `WARN` line per refused event and an `ERROR` line per panic or hidden `5xx` (with its message).
//! One line is not a log: the local server's `... listening on http://HOST:PORT` goes to stderr
//! whatever the level, since `cws run` and the tools wait for it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::filter::{filter_fn, FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, registry, Layer};

/// The span `lambda_runtime` runs each invocation in.
pub const LAMBDA_SPAN: &str = "Lambda runtime invoke";
/// The span the local server runs each request in (field `id`).
pub const LOCAL_SPAN: &str = "request";

/// Whether the answered-request line is an `INFO` line (the readable local lines) rather than a
/// `DEBUG` one; set by [`init`].
static REQUEST_LINES_AT_INFO: AtomicBool = AtomicBool::new(false);

/// Whether local requests run in a task-local scope rather than a span (see `in_local_request!`);
/// set by [`init`] when it installed the JSON lines.
static LOCAL_REQUESTS_SCOPED: AtomicBool = AtomicBool::new(false);

tokio::task_local! {
    /// The number of the local request the task serves (its id is [`local_request_id`]`(n)`).
    pub(crate) static LOCAL_REQUEST: u64;
}

/// The id of the local server's request number `n`: `local-<pid>-<n>` (the prefix written once:
/// each `getpid` is a system call; the number without the formatting machinery).
pub fn local_request_id(n: u64) -> String {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let prefix = PREFIX.get_or_init(|| format!("local-{}-", std::process::id()));
    let mut number = itoa::Buffer::new();
    let number = number.format(n);
    let mut id = String::with_capacity(prefix.len() + number.len());
    id.push_str(prefix);
    id.push_str(number);
    id
}

/// Runs `work`, the local server's request number `n`, so that every line it logs carries the
/// request's id ([`local_request_id`]): in the span [`LOCAL_SPAN`] (`request{id=…}`), or, with
/// the JSON lines this module installed, in a task-local scope that [`LocalRequestLines`] reads.
/// (A macro rather than a function: the request's future, large, is built in place, not moved.)
macro_rules! in_local_request {
    ($n:expr, $work:expr) => {
        if $crate::logging::local_requests_scoped() {
            $crate::logging::LOCAL_REQUEST.scope($n, $work).await
        } else {
            tracing::Instrument::instrument($work, $crate::logging::local_request_span($n)).await
        }
    };
}
pub(crate) use in_local_request;

/// Whether local requests run in a task-local scope rather than a span (see `in_local_request!`).
pub(crate) fn local_requests_scoped() -> bool {
    LOCAL_REQUESTS_SCOPED.load(Ordering::Relaxed)
}

/// The span [`LOCAL_SPAN`] of the local request number `n`.
pub(crate) fn local_request_span(n: u64) -> tracing::Span {
    tracing::info_span!(LOCAL_SPAN, id = %local_request_id(n))
}

/// The JSON event format of the local lines: `tracing_subscriber`'s, plus, for a line logged
/// in a local request outside any span of its own, the object a [`LOCAL_SPAN`] span would have
/// added (`"span":{"id":"local-…","name":"request"}`; see `in_local_request!`).
pub struct LocalRequestLines<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for LocalRequestLines<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let request = LOCAL_REQUEST.try_with(|n| *n).ok().filter(|_| ctx.lookup_current().is_none());
        let Some(n) = request else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        // The line is one JSON object and a newline: the span's key goes last, as the library
        // writes it (after the level and the fields; no span list, no thread names here).
        let end = line.trim_end().len();
        let Some(close) = line[..end].strip_suffix('}').map(str::len) else {
            return writer.write_str(&line);
        };
        writer.write_str(&line[..close])?;
        // The id is ASCII letters, digits and dashes: nothing to escape.
        write!(writer, ",\"span\":{{\"id\":\"{}\",\"name\":\"{LOCAL_SPAN}\"}}", local_request_id(n))?;
        writer.write_str(&line[close..])
    }
}

/// Whether [`init`] chose the readable local lines, where each answered request is an `INFO`
/// line (a `DEBUG` one otherwise).
pub fn request_lines_at_info() -> bool {
    REQUEST_LINES_AT_INFO.load(Ordering::Relaxed)
}

/// Installs the subscriber for the face (`under_lambda`), unless one is installed already.
pub fn init(under_lambda: bool) {
    let var = |k: &str| std::env::var(k).ok();
    let spans = filter_fn(|m| {
        m.is_span()
            && (m.name() == LAMBDA_SPAN || (m.name() == LOCAL_SPAN && m.target().starts_with("coworks")))
    });
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    // No colour codes unless the readable lines go to a terminal (none in CloudWatch or JSON).
    let layer = fmt::layer().with_target(false).with_ansi(false);
    let result = if under_lambda {
        let events = filter(var("AWS_LAMBDA_LOG_LEVEL").or_else(|| var("RUST_LOG")).as_deref());
        let layer = layer.without_time().with_writer(std::io::stdout);
        if json {
            let layer = layer.json().with_span_list(false).fmt_fields(SpanFieldsJson);
            registry().with(layer.with_filter(events.or(spans))).try_init()
        } else {
            registry().with(layer.with_filter(events.or(spans))).try_init()
        }
    } else if json {
        let events = filter(var("RUST_LOG").as_deref());
        let format =
            fmt::format().without_time().with_target(false).with_ansi(false).json().with_span_list(false);
        let layer = layer
            .with_writer(std::io::stderr)
            .event_format(LocalRequestLines(format))
            .fmt_fields(SpanFieldsJson);
        let installed = registry().with(layer.with_filter(events.or(spans))).try_init();
        LOCAL_REQUESTS_SCOPED.store(installed.is_ok(), Ordering::Relaxed);
        installed
    } else {
        REQUEST_LINES_AT_INFO.store(true, Ordering::Relaxed);
        let layer = layer
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .with_filter(filter(var("RUST_LOG").as_deref()).or(spans));
        registry().with(layer).try_init()
    };
    // Err: the service installed its own subscriber first; it is kept.
    let _ = result;
}

/// The fields of a span in JSON lines: the JSON object `tracing_subscriber`'s `JsonFields` writes
/// (the same values; keys in the order recorded rather than sorted), written straight to the span's
/// text. The fmt layer formats a span's fields when the span opens, whether or not a line is ever
/// written in it, and every request opens one: `JsonFields` gathers them in a map of JSON values
/// first, which cost a tenth of a warm request's instructions (the latency benchmark).
/// Kept in this crate because `tracing_subscriber` offers no cheaper JSON field formatter.
#[derive(Debug, Default, Clone, Copy)]
pub struct SpanFieldsJson;

impl<'w> FormatFields<'w> for SpanFieldsJson {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> std::fmt::Result {
        let mut object = JsonObject::default();
        fields.record(&mut object);
        writer.write_str(&object.finish())
    }

    /// Fields recorded after the span opened (`span.record(..)`, rare): merged into the object,
    /// a later value replacing an earlier one of the same name.
    fn add_fields(&self, current: &'w mut FormattedFields<Self>, fields: &Record<'_>) -> std::fmt::Result {
        let mut added = JsonObject::default();
        fields.record(&mut added);
        if added.text.is_empty() {
            return Ok(());
        }
        let added = added.finish();
        if current.fields.is_empty() {
            current.fields = added;
            return Ok(());
        }
        let merge = |old: &str, new: &str| -> Option<String> {
            let mut old: serde_json::Map<String, serde_json::Value> = serde_json::from_str(old).ok()?;
            let new: serde_json::Map<String, serde_json::Value> = serde_json::from_str(new).ok()?;
            old.extend(new);
            serde_json::to_string(&old).ok()
        };
        current.fields = merge(&current.fields, &added).ok_or(std::fmt::Error)?;
        Ok(())
    }
}

/// A JSON object written as fields are visited (see [`SpanFieldsJson`]).
struct JsonObject {
    text: Vec<u8>,
}

impl Default for JsonObject {
    /// Room for a request's span (`{"id":"local-<pid>-<n>"}`, or Lambda's request and trace ids).
    fn default() -> Self {
        JsonObject { text: Vec::with_capacity(128) }
    }
}

impl JsonObject {
    fn value(&mut self, field: &Field, value: impl serde::Serialize) {
        self.text.push(if self.text.is_empty() { b'{' } else { b',' });
        let name = field.name();
        let name = name.strip_prefix("r#").unwrap_or(name);
        // Writing a string or number into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.text, name);
        self.text.push(b':');
        let _ = serde_json::to_writer(&mut self.text, &value);
    }

    fn finish(mut self) -> String {
        if self.text.is_empty() {
            self.text.push(b'{');
        }
        self.text.push(b'}');
        // serde_json writes UTF-8 only.
        String::from_utf8(self.text).unwrap_or_default()
    }
}

impl Visit for JsonObject {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.value(field, value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.value(field, value);
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.value(field, value);
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.value(field, value);
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.value(field, value);
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.value(field, value);
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.value(field, value);
    }
    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        self.value(field, value);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.value(field, format!("{value:?}"));
    }
}

/// The events' level filter: `directives` (a level such as `warn` — Lambda's `FATAL` read as
/// `error` —, or `tracing` target directives such as `info,my_service=debug`), `INFO` when unset or
/// unreadable. Target and level directives only (`tracing_subscriber`'s `Targets`): span and field
/// filters (`[span{field=value}]`) would need `EnvFilter` and the regex engine in every package.
pub fn filter(directives: Option<&str>) -> Targets {
    let default = || Targets::new().with_default(LevelFilter::INFO);
    let Some(d) = directives.map(str::trim).filter(|d| !d.is_empty()) else {
        return default();
    };
    let d = if d.eq_ignore_ascii_case("fatal") { "error" } else { d };
    d.parse::<Targets>().unwrap_or_else(|_| default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Lines written by a test's subscriber.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The JSON line of one event in a span with many kinds of fields (and one recorded later),
    /// formatted with `fields` as the span's field formatter.
    fn line_with<N>(fields: N) -> serde_json::Value
    where
        N: for<'w> FormatFields<'w> + Send + Sync + 'static,
    {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let layer = fmt::layer()
            .json()
            .with_span_list(false)
            .without_time()
            .fmt_fields(fields)
            .with_writer(move || out.clone());
        tracing::subscriber::with_default(registry().with(layer), || {
            let span = tracing::info_span!(
                "request",
                id = "local-1-\"2\"\n",
                n = 3u64,
                neg = -4i64,
                ratio = 1.5,
                ok = true,
                list = ?vec!["a", "b"],
                shown = %"shown",
                r#type = "raw name",
                later = tracing::field::Empty,
            );
            span.record("later", "recorded");
            span.record("n", 5u64);
            span.in_scope(|| tracing::info!(x = 1, "inside"));
        });
        let text = buffer.0.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    #[test]
    fn span_fields_read_as_json_fields_write_them() {
        let ours = line_with(SpanFieldsJson);
        let library = line_with(fmt::format::JsonFields::default());
        assert_eq!(ours, library);
        assert_eq!(ours["span"]["id"], "local-1-\"2\"\n");
        assert_eq!(ours["span"]["later"], "recorded");
        assert_eq!(ours["span"]["n"], 5);
        assert_eq!(ours["span"]["type"], "raw name");
        assert_eq!(ours["fields"]["message"], "inside");
    }

    /// The JSON lines `log` writes under the local JSON subscriber (`LocalRequestLines`).
    fn local_json_lines(log: impl FnOnce()) -> Vec<serde_json::Value> {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let format = fmt::format().without_time().with_target(false).json().with_span_list(false);
        let layer = fmt::layer()
            .event_format(LocalRequestLines(format))
            .fmt_fields(SpanFieldsJson)
            .with_writer(move || out.clone());
        tracing::subscriber::with_default(registry().with(layer), log);
        let text = buffer.0.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    }

    #[test]
    fn a_local_request_scope_writes_what_its_span_would() {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let log = || {
            tracing::info!(x = 1, "inside");
            tracing::info_span!("mine", k = "v").in_scope(|| tracing::warn!("nested"));
        };
        let scoped = local_json_lines(|| rt.block_on(LOCAL_REQUEST.scope(7, async { log() })));
        let in_span = local_json_lines(|| local_request_span(7).in_scope(log));
        let outside = local_json_lines(log);
        assert_eq!(scoped, in_span);
        assert_eq!(scoped[0]["span"], serde_json::json!({"id": local_request_id(7), "name": LOCAL_SPAN}));
        assert_eq!(scoped[0]["fields"], serde_json::json!({"message": "inside", "x": 1}));
        // A span of the service's own is the line's span, as under the request's span.
        assert_eq!(scoped[1]["span"], serde_json::json!({"k": "v", "name": "mine"}));
        // Outside a request: no span.
        assert!(outside[0].get("span").is_none(), "{}", outside[0]);
        assert!(local_request_id(7).starts_with("local-") && local_request_id(7).ends_with("-7"));
    }

    #[test]
    fn the_level_comes_from_the_directives() {
        let max = |v: Option<&str>| Layer::<tracing_subscriber::Registry>::max_level_hint(&filter(v));
        assert_eq!(max(None), Some(LevelFilter::INFO));
        assert_eq!(max(Some(" ")), Some(LevelFilter::INFO));
        assert_eq!(max(Some("warn")), Some(LevelFilter::WARN));
        assert_eq!(max(Some("DEBUG")), Some(LevelFilter::DEBUG));
        assert_eq!(max(Some("FATAL")), Some(LevelFilter::ERROR));
        assert_eq!(max(Some("error,hooks=trace")), Some(LevelFilter::TRACE));
        assert_eq!(max(Some("not a level ===")), Some(LevelFilter::INFO));
        // A target directive alone enables that target only (as `EnvFilter` reads it).
        let one = filter(Some("billing=debug"));
        assert!(one.would_enable("billing", &tracing::Level::DEBUG));
        assert!(one.would_enable("billing::invoices", &tracing::Level::DEBUG));
        assert!(!one.would_enable("hyper", &tracing::Level::INFO));
        let both = filter(Some("warn,billing=debug"));
        assert!(both.would_enable("hyper", &tracing::Level::WARN));
        assert!(!both.would_enable("hyper", &tracing::Level::INFO));
    }
}
