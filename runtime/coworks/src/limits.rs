//! The limits a service holds its clients to, read once at start from the environment: how long a
//! client may take to send a request, how many connections it may hold, how large a body or a
//! Lambda event may be, and how long a stopping service waits for running work. Defaults and
//! variables are documented in `runtime/README.md`.

use std::time::Duration;

/// The limits of one running service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time a client has to send a request's headers, and to send the next request on an idle
    /// keep-alive connection (`CWS_HEADER_TIMEOUT`, seconds).
    pub header_timeout: Duration,
    /// Time a client has to send a request's body once its headers came (`CWS_BODY_TIMEOUT`).
    pub body_timeout: Duration,
    /// Connections served at once; further clients wait in the listen backlog
    /// (`CWS_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Largest request body, in bytes (`CWS_MAX_BODY`); larger bodies are answered `413`.
    pub max_body: usize,
    /// Largest Lambda event, in bytes (`CWS_MAX_EVENT`); larger events are answered `413`
    /// without being parsed.
    pub max_event: usize,
    /// Time a stopping service gives running requests and asynchronous calls to finish
    /// (`CWS_DRAIN_TIMEOUT`, seconds); calls still running then are recorded as not finished.
    pub drain_timeout: Duration,
}

/// One MiB.
const MIB: usize = 1024 * 1024;

/// The default of each time limit.
const HALF_A_MINUTE: Duration = Duration::from_secs(30);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: HALF_A_MINUTE,
            body_timeout: HALF_A_MINUTE,
            max_connections: 256,
            // Lambda's payload limit for synchronous invocations: a deployed function gets no more.
            max_body: 6 * MIB,
            // API Gateway's payload limit.
            max_event: 10 * MIB,
            drain_timeout: HALF_A_MINUTE,
        }
    }
}

/// A positive number of seconds (decimals allowed: `0.5`).
fn seconds(name: &str, value: &str) -> Result<Duration, String> {
    match value.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{name} `{value}` is not a number of seconds between 0 and 86400 (e.g. 30 or 0.5)")),
    }
}

/// A positive count.
fn count(name: &str, value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{name} `{value}` is not a positive whole number")),
    }
}

/// Where a variable's value goes.
enum Slot<'a> {
    /// A number of seconds.
    Time(&'a mut Duration),
    /// A positive count.
    Count(&'a mut usize),
}

impl Limits {
    /// The limits given by `var` (the environment in [`Limits::from_env`]); unset variables keep
    /// their defaults, malformed ones are an error naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Limits, String> {
        let mut l = Limits::default();
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let slots = [
            ("CWS_HEADER_TIMEOUT", Slot::Time(&mut l.header_timeout)),
            ("CWS_BODY_TIMEOUT", Slot::Time(&mut l.body_timeout)),
            ("CWS_DRAIN_TIMEOUT", Slot::Time(&mut l.drain_timeout)),
            ("CWS_MAX_CONNECTIONS", Slot::Count(&mut l.max_connections)),
            ("CWS_MAX_BODY", Slot::Count(&mut l.max_body)),
            ("CWS_MAX_EVENT", Slot::Count(&mut l.max_event)),
        ];
        for (name, slot) in slots {
            let Some(value) = get(name) else { continue };
            match slot {
                Slot::Time(t) => *t = seconds(name, &value)?,
                Slot::Count(n) => *n = count(name, &value)?,
            }
        }
        Ok(l)
    }

    /// The limits of the process environment.
    pub fn from_env() -> Result<Limits, String> {
        Limits::from_vars(|k| std::env::var(k).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(vars: &[(&str, &str)]) -> Result<Limits, String> {
        Limits::from_vars(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(of(&[]), Ok(Limits::default()));
        let l = of(&[
            ("CWS_HEADER_TIMEOUT", "0.5"),
            ("CWS_BODY_TIMEOUT", "2"),
            ("CWS_DRAIN_TIMEOUT", " 10 "),
            ("CWS_MAX_CONNECTIONS", "8"),
            ("CWS_MAX_BODY", "1000"),
            ("CWS_MAX_EVENT", "2000"),
            ("CWS_UNRELATED", "x"),
        ])
        .unwrap();
        assert_eq!(l.header_timeout, Duration::from_millis(500));
        assert_eq!(l.body_timeout, Duration::from_secs(2));
        assert_eq!(l.drain_timeout, Duration::from_secs(10));
        assert_eq!((l.max_connections, l.max_body, l.max_event), (8, 1000, 2000));
        assert_eq!(of(&[("CWS_MAX_BODY", "")]), Ok(Limits::default()), "empty is unset");
    }

    #[test]
    fn malformed_values_name_the_variable() {
        for (k, v) in [
            ("CWS_HEADER_TIMEOUT", "soon"),
            ("CWS_HEADER_TIMEOUT", "0"),
            ("CWS_BODY_TIMEOUT", "-1"),
            ("CWS_DRAIN_TIMEOUT", "NaN"),
            ("CWS_DRAIN_TIMEOUT", "1e9"),
            ("CWS_MAX_CONNECTIONS", "0"),
            ("CWS_MAX_BODY", "6MB"),
            ("CWS_MAX_EVENT", "-5"),
        ] {
            let e = of(&[(k, v)]).unwrap_err();
            assert!(e.starts_with(&format!("{k} `{v}`")), "{e}");
        }
    }
}
