//! The token authorizer: the `Authorization` header (raw or `Bearer`) against `TOKEN`, compared in
//! constant time; and API Gateway's TOKEN and REQUEST authorizer events answered with it.
//! Tokens are never logged.

use coworks_core::contract::{AUTHORIZER_RESPONSE_ENV, AUTHORIZER_SIMPLE};
use serde_json::{json, Value};

use crate::context::{Principal, TOKEN_PRINCIPAL};
use subtle::ConstantTimeEq;

/// The token of an `Authorization` header value: `Bearer xyz` → `xyz`, `xyz` → `xyz`; `None` if empty.
pub fn token_of(header: &str) -> Option<&str> {
    let h = header.trim();
    if h.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = match h.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => h[7..].trim(),
        _ => h,
    };
    (!token.is_empty()).then_some(token)
}

/// Whether `a` and `b` are equal, in time depending only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The default authorizer: `token` equals the `TOKEN` environment variable; `false` when `TOKEN` is
/// unset or empty (fail closed).
pub fn env_token_matches(token: &str) -> bool {
    match std::env::var("TOKEN") {
        Ok(expected) if !expected.is_empty() => constant_time_eq(token, &expected),
        _ => false,
    }
}

/// Whether a Lambda event is an API Gateway authorizer event (TOKEN, or REQUEST with a method/route ARN).
pub fn is_authorizer_event(event: &Value) -> bool {
    matches!(event.get("type").and_then(Value::as_str), Some("TOKEN" | "REQUEST"))
        && (event.get("methodArn").is_some() || event.get("routeArn").is_some())
}

/// Case-insensitive header lookup in an event's `headers` object.
fn header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    event.get("headers")?.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?.1.as_str()
}

/// The resource an authorizer's policy names: every method and path of the stage of `method_arn`
/// (`arn:aws:execute-api:<region>:<account>:<api>/<stage>/*`). API Gateway caches the policy per
/// token and applies it to every call of that token within the authorizer's TTL: a policy naming the
/// exact method ARN of the first call would deny the token on every other route. The decision
/// depends on the token only, so one policy for the whole stage is the right answer.
pub fn stage_wildcard(method_arn: &str) -> String {
    match method_arn.split_once('/') {
        Some((api, rest)) => format!("{api}/{}/*", rest.split('/').next().unwrap_or("*")),
        None => method_arn.to_string(),
    }
}

/// Whether a REQUEST authorizer event is answered with a simple response (`{"isAuthorized": ..}`)
/// rather than an IAM policy: as the deployment says (`CWS_AUTHORIZER_RESPONSE`, set to `simple`
/// for an HTTP API's authorizer with simple responses; `policy` otherwise), else by the event's
/// payload version (2.0: simple). TOKEN events are REST APIs': always a policy.
pub fn simple_response(event: &Value, configured: Option<&str>) -> bool {
    if event.get("type").and_then(Value::as_str) == Some("TOKEN") {
        return false;
    }
    match configured {
        Some(format) if !format.is_empty() => format == AUTHORIZER_SIMPLE,
        _ => event.get("version").and_then(Value::as_str) == Some("2.0"),
    }
}

/// Answers an authorizer event with `authorize` (the token's principal, `None` when refused): an
/// IAM policy for TOKEN and REST REQUEST events, with the principal's id as `principalId` and its
/// context map as `context` (API Gateway hands both to the integration as
/// `requestContext.authorizer`); a simple response (`{"isAuthorized": .., "context": ..}`) for
/// HTTP API REQUEST events when the authorizer takes simple responses (see [`simple_response`]),
/// whose context also carries the principal id (`principalId`: simple responses have no field of
/// their own for it).
pub fn answer_authorizer_event(event: &Value, authorize: impl Fn(&str) -> Option<Principal>) -> Value {
    let raw = match event.get("type").and_then(Value::as_str) {
        Some("TOKEN") => event.get("authorizationToken").and_then(Value::as_str),
        _ => header(event, "authorization").or_else(|| {
            event.get("identitySource").and_then(|s| match s {
                Value::Array(items) => items.first().and_then(Value::as_str),
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
        }),
    };
    let principal = raw.and_then(token_of).and_then(authorize);
    let allowed = principal.is_some();
    let context = principal.as_ref().map(Principal::context_json).unwrap_or_default();
    let configured = std::env::var(AUTHORIZER_RESPONSE_ENV).ok();
    if simple_response(event, configured.as_deref()) {
        let Some(p) = &principal else { return json!({ "isAuthorized": false }) };
        let mut context = context;
        context.insert("principalId".into(), Value::from(p.id()));
        return json!({ "isAuthorized": true, "context": context });
    }
    let arn = event.get("methodArn").or_else(|| event.get("routeArn")).and_then(Value::as_str).unwrap_or("");
    let mut answer = json!({
        "principalId": principal.as_ref().map_or(TOKEN_PRINCIPAL, Principal::id),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": if allowed { "Allow" } else { "Deny" },
                "Resource": stage_wildcard(arn),
            }]
        }
    });
    if !context.is_empty() {
        answer["context"] = Value::Object(context);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_cover_the_whole_stage() {
        let arn = "arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/invoice/1";
        assert_eq!(stage_wildcard(arn), "arn:aws:execute-api:eu-west-1:123456789012:abc/dev/*");
        assert_eq!(
            stage_wildcard("arn:aws:execute-api:r:a:abc/$default/GET/"),
            "arn:aws:execute-api:r:a:abc/$default/*"
        );
        let event = json!({"type": "TOKEN", "authorizationToken": "Bearer t", "methodArn": arn});
        let answer =
            answer_authorizer_event(&event, |t| (t == "t").then(|| Principal::new("p").with("tenant", 7)));
        assert_eq!((&answer["principalId"], &answer["context"]["tenant"]), (&json!("p"), &json!(7)));
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Resource"],
            "arn:aws:execute-api:eu-west-1:123456789012:abc/dev/*"
        );
        assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow");
    }

    #[test]
    fn simple_responses_as_the_deployment_says() {
        let v2 = json!({"type": "REQUEST", "version": "2.0", "routeArn": "arn", "identitySource": ["t"]});
        let rest = json!({"type": "REQUEST", "methodArn": "arn", "headers": {"Authorization": "t"}});
        let token = json!({"type": "TOKEN", "authorizationToken": "t", "methodArn": "arn"});
        assert!(simple_response(&v2, None) && simple_response(&v2, Some("")));
        assert!(simple_response(&v2, Some("simple")) && simple_response(&rest, Some("simple")));
        assert!(!simple_response(&v2, Some("policy")), "a 2.0 authorizer without simple responses");
        assert!(!simple_response(&rest, None));
        assert!(!simple_response(&token, Some("simple")), "TOKEN events are REST APIs'");
    }

    #[test]
    fn tokens() {
        assert_eq!(token_of("Bearer abc"), Some("abc"));
        assert_eq!(token_of("bearer  abc "), Some("abc"));
        assert_eq!(token_of("abc"), Some("abc"));
        assert_eq!(token_of("  "), None);
        assert_eq!(token_of("Bearer "), None);
        assert_eq!(token_of("Bearer"), None);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
