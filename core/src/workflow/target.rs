//! Which entry a workflow task calls: same method, the route template that best matches its path.

use crate::model::{Entry, Service};

use super::model::Task;

/// The segments of a path, without the leading `/`.
pub(crate) fn segments(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// How well a task's path matches a route template: `None` when it does not; otherwise the number
/// of literal segments matched (higher is a better match: `/invoice/pdf` beats `/invoice/{id}`).
pub fn match_path(route_path: &str, call_path: &str) -> Option<usize> {
    let (route, call) = (segments(route_path), segments(call_path));
    if route.len() != call.len() {
        return None;
    }
    let mut literal = 0;
    for (r, c) in route.iter().zip(&call) {
        if r.starts_with('{') && r.ends_with('}') {
            if c.is_empty() {
                return None;
            }
        } else if r == c {
            literal += 1;
        } else {
            return None;
        }
    }
    Some(literal)
}

/// The entry a task calls: same method, best-matching path.
pub fn target_entry<'s>(task: &Task, services: &'s [Service]) -> Option<(&'s Service, &'s Entry)> {
    let service = services.iter().find(|s| Some(&s.name) == task.service.as_ref().map(|s| &s.value))?;
    let path = &task.path.as_ref()?.value;
    service
        .entries
        .iter()
        .filter(|e| e.route.method == task.method.value)
        .filter_map(|e| match_path(&e.route.path, path).map(|score| (score, e)))
        .max_by_key(|(score, _)| *score)
        .map(|(_, e)| (service, e))
}
