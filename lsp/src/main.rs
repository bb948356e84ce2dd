//! `coworks-lsp`: the CoWorks language server, speaking LSP 3.17 over stdio.
//!
//! Options: `--max-message-bytes N` (largest message, default 64 MiB) and `--max-header-bytes N`
//! (largest header block, default 8 KiB); `--stdio` and other arguments editors pass are ignored.

/// mimalloc keeps less memory than glibc's per-thread arenas once a large project is loaded on
/// several threads (see `benches/typing.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let limits = match coworks_lsp::transport::FrameLimits::from_args(&args) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("coworks-lsp: {e}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coworks-lsp: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    let clean = runtime.block_on(coworks_lsp::serve_stdio(limits));
    // Per the spec: exit code 0 after `shutdown`, 1 otherwise. Exit now: the stdin reader must not
    // keep the process alive.
    std::process::exit(if clean { 0 } else { 1 });
}
