//! `coworks-lsp`: the CoWorks language server, speaking LSP 3.17 over stdio.

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coworks-lsp: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    let clean = runtime.block_on(coworks_lsp::serve_stdio());
    // Per the spec: exit code 0 after `shutdown`, 1 otherwise. Exit now: the stdin reader must not
    // keep the process alive.
    std::process::exit(if clean { 0 } else { 1 });
}
