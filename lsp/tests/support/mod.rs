//! A small LSP client for tests and benchmarks: spawns `coworks-lsp`, frames JSON-RPC messages with
//! `Content-Length` headers over its stdio, answers the server's requests, and collects notifications.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long to wait for one expected message before declaring the server stuck.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A running server and its pipes.
pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Notifications and server requests received but not consumed yet.
    pub backlog: VecDeque<Value>,
    next_id: i64,
}

/// Reads one framed message; `None` at end of stream.
fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// Spawns the server binary.
    pub fn spawn(binary: &str) -> Client {
        Self::spawn_with_env(binary, &[])
    }

    /// Spawns the server binary with extra environment variables.
    pub fn spawn_with_env(binary: &str, env: &[(&str, &str)]) -> Client {
        Self::spawn_with(binary, env, &[])
    }

    /// Spawns the server binary with extra environment variables and arguments.
    pub fn spawn_with(binary: &str, env: &[(&str, &str)], args: &[&str]) -> Client {
        let mut child = Command::new(binary)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn coworks-lsp");
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut r) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Client { child, stdin, incoming: rx, backlog: VecDeque::new(), next_id: 1 }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes raw bytes (for garbage tests).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    /// Writes one framed message.
    pub fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("json");
        let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        framed.extend(body);
        self.send_raw(&framed);
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its id.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and waits for its whole response (`result` or `error` inside).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_async(method, params);
        self.response(id)
    }

    /// Sends a request and returns its `result`, panicking on an error response.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// Waits for the response to request `id`.
    pub fn response(&mut self, id: i64) -> Value {
        let found = self.wait_for(|m| m.get("method").is_none() && m["id"] == json!(id));
        found.unwrap_or_else(|| panic!("no response to request {id}"))
    }

    /// Receives one message, answering server→client requests on the way.
    fn receive(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(msg) => {
                if msg.get("method").is_some() && msg.get("id").is_some() {
                    // A request from the server (registerCapability, ...): accept it.
                    self.send(&json!({"jsonrpc": "2.0", "id": msg["id"], "result": null}));
                }
                Some(msg)
            }
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// The first message (backlog first) matching `pred`; others are kept in the backlog.
    pub fn wait_for(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Option<Value> {
        if let Some(i) = self.backlog.iter().position(&mut pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + PATIENCE;
        while let Some(msg) = self.receive(deadline) {
            if pred(&msg) {
                return Some(msg);
            }
            self.backlog.push_back(msg);
        }
        None
    }

    /// Waits for diagnostics of a URI satisfying `pred` (earlier ones are dropped); returns them.
    pub fn diagnostics_until(&mut self, uri: &str, mut pred: impl FnMut(&[Value]) -> bool) -> Vec<Value> {
        loop {
            let msg = self
                .wait_for(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
                .unwrap_or_else(|| panic!("no matching diagnostics for {uri}"));
            let diags = msg["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            if pred(&diags) {
                return diags;
            }
        }
    }

    /// Waits for the publication of `uri` at document `version`; returns its diagnostics.
    pub fn diagnostics_at_version(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let msg = self
            .wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri
                    && m["params"]["version"].as_i64().is_some_and(|v| v >= version)
            })
            .unwrap_or_else(|| panic!("no diagnostics for {uri} at version {version}"));
        msg["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    /// `initialize` + `initialized` for a project root; returns the initialize result.
    pub fn initialize(&mut self, root: &Path, options: Value) -> Value {
        self.initialize_with(root, options, json!({}))
    }

    /// `initialize` + `initialized` with more client capabilities (merged over the usual ones).
    pub fn initialize_with(&mut self, root: &Path, options: Value, capabilities: Value) -> Value {
        let uri = file_uri(root);
        let mut caps = json!({
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
            "textDocument": {
                "publishDiagnostics": {"relatedInformation": true, "versionSupport": true},
                "completion": {"completionItem": {"snippetSupport": true}}
            }
        });
        if let (Some(base), Some(more)) = (caps.as_object_mut(), capabilities.as_object()) {
            for (k, v) in more {
                base.insert(k.clone(), v.clone());
            }
        }
        let result = self.call(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "project"}],
                "initializationOptions": options,
                "capabilities": caps
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    /// Opens a file with its text.
    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}}),
        );
    }

    /// Sends one incremental edit.
    pub fn edit(&mut self, uri: &str, version: i64, start: (u32, u32), end: (u32, u32), text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{
                    "range": {"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}},
                    "text": text
                }]
            }),
        );
    }

    /// `shutdown` + `exit`; returns the exit code.
    pub fn shutdown(mut self) -> Option<i32> {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "shutdown failed: {r}");
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    /// Waits for the process to end (stdin stays open: the server must exit on its own).
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A `file://` URI of an absolute path.
pub fn file_uri(path: &Path) -> String {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A fresh copy of `examples/eshop` in a temporary directory (canonical path).
pub fn eshop_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/eshop");
    let root = dir.path().canonicalize().expect("canonical").join("eshop");
    copy_dir(&source, &root);
    (dir, root)
}

/// A server started on a fresh copy of the e-shop and initialized with `options`.
pub fn eshop_session(binary: &str, options: Value) -> (tempfile::TempDir, PathBuf, Client) {
    let (dir, root) = eshop_copy();
    let mut client = Client::spawn(binary);
    client.initialize(&root, options);
    (dir, root, client)
}

impl Client {
    /// Opens a project file with its text from disk and waits for its first diagnostics; returns
    /// its URI and text.
    pub fn open_file(&mut self, root: &Path, rel: &str) -> (String, String) {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let uri = file_uri(&path);
        self.open(&uri, &text);
        self.diagnostics_until(&uri, |_| true);
        (uri, text)
    }
}

/// `text` with LSP `TextEdit`s (`{range, newText}`, UTF-16 positions) applied, as an editor does.
pub fn apply_text_edits(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| -> usize {
        let (line, col) = (p["line"].as_u64().unwrap() as usize, p["character"].as_u64().unwrap() as usize);
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= col || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut ranged: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap()))
        .collect();
    ranged.sort_by_key(|(s, _, _)| std::cmp::Reverse(*s));
    let mut out = text.to_string();
    for (s, e, t) in ranged {
        out.replace_range(s..e, t);
    }
    out
}

/// The (line, UTF-16 column) of the first occurrence of `needle` in `text`.
pub fn pos_of(text: &str, needle: &str) -> (u32, u32) {
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].encode_utf16().count() as u32;
    (line, col)
}
