//! Human-readable listings.

use coworks_core::Service;

/// Prints services and their entries, one line an entry.
pub fn print_routes(services: &[Service]) {
    if services.is_empty() {
        println!("no microservices found (a microservice is an `impl` block marked `#[coworks::service]`)");
    }
    for s in services {
        let dir =
            if s.crate_dir.as_os_str().is_empty() { ".".into() } else { s.crate_dir.display().to_string() };
        println!("{} ({}, {dir})", s.name, s.type_name);
        let width = s.entries.iter().map(|e| e.route.path.len()).max().unwrap_or(0);
        for e in &s.entries {
            let params: Vec<String> =
                e.params.iter().map(|p| format!("{}: {} [{}]", p.name, p.ty, p.source)).collect();
            let auth = match e.auth {
                coworks_core::Auth::Token => "token",
                coworks_core::Auth::None => "no_auth",
            };
            let stages = if e.stages.is_empty() { "all stages".to_string() } else { e.stages.join(",") };
            println!(
                "  {:<7} {:<width$}  {}  ({auth}; {stages}{}) {}:{}:{}",
                e.route.method.as_str(),
                e.route.path,
                if params.is_empty() { "-".to_string() } else { params.join(", ") },
                if e.is_async { "; async" } else { "" },
                e.location.file.display(),
                e.location.span.start.line + 1,
                e.location.span.start.col + 1,
            );
        }
    }
}
