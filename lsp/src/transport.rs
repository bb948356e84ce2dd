//! The stdio transport around tower-lsp-server: frames are checked before the server sees them.
//!
//! tower-lsp-server's decoder ends the input stream at the first undecodable message (a tokio-util
//! `FramedRead` stops after an error), which would make one garbage message fatal. So the server
//! reads from an in-process pipe that only well-formed JSON-RPC messages reach; anything else is
//! answered here — `-32700` (parse error) or `-32600` (invalid request), as JSON-RPC 2.0 says — and
//! the session goes on. Output frames of the server and these answers are written to stdout whole,
//! one at a time, so they never interleave.
//!
//! Framing errors cost at most the message they broke ([`FrameReader`]): header blocks and bodies
//! are bounded ([`FrameLimits`]); after an oversized one the input is skipped, without being
//! buffered, up to the next `Content-Length:` header; garbage before a header is skipped; a body
//! whose `Content-Length` overshoots into the next header gives the overshoot back.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{ClientSocket, LanguageServer, LspService, Server};

/// Size of the in-process pipes.
const PIPE: usize = 1 << 20;

/// Bytes read from the input at a time.
const CHUNK: usize = 64 * 1024;

/// The header every frame starts with (compared case-insensitively).
const CONTENT_LENGTH: &[u8] = b"content-length:";

/// Bounds of incoming frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Largest header block, in bytes (`--max-header-bytes`).
    pub max_header: usize,
    /// Largest message body, in bytes (`--max-message-bytes`).
    pub max_body: usize,
}

impl Default for FrameLimits {
    fn default() -> Self {
        // A header block is `Content-Length` and perhaps `Content-Type`; the largest messages are
        // whole documents (the core skips files over 4 MiB anyway).
        FrameLimits { max_header: 8 * 1024, max_body: 64 * 1024 * 1024 }
    }
}

impl FrameLimits {
    /// No practical bound (the server's own output).
    pub const UNBOUNDED: FrameLimits = FrameLimits { max_header: usize::MAX / 2, max_body: usize::MAX / 2 };

    /// Reads `--max-header-bytes N` and `--max-message-bytes N` (or `--name=N`) from the
    /// program's arguments; other arguments (`--stdio`, ...) are left to the caller.
    pub fn from_args(args: &[String]) -> Result<FrameLimits, String> {
        let mut limits = FrameLimits::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let slot = match name {
                "--max-header-bytes" => &mut limits.max_header,
                "--max-message-bytes" => &mut limits.max_body,
                _ => continue,
            };
            let value = inline
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a number of bytes"))?;
            *slot = value
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} `{value}` is not a positive number of bytes"))?;
        }
        Ok(limits)
    }
}

/// One read from a framed stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A message body.
    Body(Vec<u8>),
    /// A header block without a usable `Content-Length`, or a frame over the limits: skipped.
    Bad(String),
    /// The stream ended.
    End,
}

/// Where `needle` (lowercase ASCII) starts in `hay`, compared case-insensitively.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `line` is a `Name: value` header (the name an HTTP token).
fn is_header_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else { return false };
    colon > 0 && line[..colon].iter().all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The end of a header block at the start of `data` (after the blank line), if it is all there.
fn header_end(data: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    while let Some(nl) = data[line_start..].iter().position(|&b| b == b'\n') {
        let line = &data[line_start..line_start + nl];
        let next = line_start + nl + 1;
        if line.strip_suffix(b"\r").unwrap_or(line).is_empty() {
            return Some(next);
        }
        line_start = next;
    }
    None
}

/// What a complete header block holds.
#[derive(Debug, PartialEq, Eq)]
enum Header {
    /// The `Content-Length`.
    Length(usize),
    /// Junk before the first header line (up to a `Content-Length:` inside it, or a whole line).
    Junk(usize),
    /// No (usable) `Content-Length`.
    Bad(String),
}

fn parse_header(block: &[u8]) -> Header {
    let mut length = None;
    let mut line_start = 0;
    for raw in block.split(|&b| b == b'\n') {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let here = line_start;
        line_start += raw.len() + 1;
        if line.is_empty() {
            break;
        }
        if !is_header_line(line) {
            // Garbage: skip to a `Content-Length:` inside the line (the end of a short frame's body
            // before the next header), or past the line.
            return Header::Junk(here + find_ci(line, CONTENT_LENGTH).unwrap_or(raw.len() + 1));
        }
        if line.len() >= CONTENT_LENGTH.len()
            && line[..CONTENT_LENGTH.len()].eq_ignore_ascii_case(CONTENT_LENGTH)
        {
            let value = String::from_utf8_lossy(&line[CONTENT_LENGTH.len()..]).trim().to_string();
            length = Some(value.parse::<usize>().map_err(|e| format!("bad Content-Length `{value}`: {e}")));
        }
    }
    match length {
        None => Header::Bad("missing Content-Length header".into()),
        Some(Err(e)) => Header::Bad(e),
        Some(Ok(n)) => Header::Length(n),
    }
}

/// When `body` is not one JSON value but starts with one followed by the start of a header (its
/// `Content-Length` overshot into the next frame), the length of that value.
fn overshoot(body: &[u8]) -> Option<usize> {
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<IgnoredAny>();
    values.next()?.ok()?;
    let end = values.byte_offset();
    let rest = body[end..].trim_ascii_start();
    if rest.is_empty() {
        return None;
    }
    let n = rest.len().min(CONTENT_LENGTH.len());
    let header_like = rest[..n].eq_ignore_ascii_case(&CONTENT_LENGTH[..n])
        || rest.get(..8).is_some_and(|h| h.eq_ignore_ascii_case(b"content-"));
    header_like.then_some(end)
}

/// Reads `Content-Length` framed messages within [`FrameLimits`], recovering from broken frames.
pub struct FrameReader<R> {
    input: R,
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
    limits: FrameLimits,
    /// After a bad frame: skip to the next `Content-Length:` at or after this offset from `start`.
    resync: Option<usize>,
    eof: bool,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader of `input` under `limits`.
    pub fn new(input: R, limits: FrameLimits) -> Self {
        FrameReader { input, buf: Vec::new(), start: 0, limits, resync: None, eof: false }
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Reads more input; `false` at its end.
    async fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if self.buf.capacity() > 16 * CHUNK && self.buf.len() < CHUNK {
            // A large message has gone: do not keep its buffer.
            self.buf.shrink_to(2 * CHUNK);
        }
        self.buf.reserve(CHUNK);
        match self.input.read_buf(&mut self.buf).await {
            Ok(0) | Err(_) => {
                self.eof = true;
                false
            }
            Ok(_) => true,
        }
    }

    /// Drops input up to the next `Content-Length:` starting at least `from` bytes ahead, keeping
    /// only a few bytes buffered while it searches; `false` at the end of input.
    async fn skip_to_header(&mut self, mut from: usize) -> bool {
        loop {
            let data = self.data();
            if let Some(i) = data.get(from..).and_then(|d| find_ci(d, CONTENT_LENGTH)) {
                self.start += from + i;
                return true;
            }
            // Keep what could be the start of a split `Content-Length:`.
            let keep = (CONTENT_LENGTH.len() - 1).min(data.len().saturating_sub(from));
            let dropped = data.len() - keep;
            self.start += dropped;
            from = from.saturating_sub(dropped);
            if !self.fill().await {
                return false;
            }
        }
    }

    /// Reads the next frame.
    pub async fn read_frame(&mut self) -> Frame {
        loop {
            if let Some(from) = self.resync.take() {
                if !self.skip_to_header(from).await {
                    return Frame::End;
                }
            }
            // Stray line ends between messages.
            loop {
                match self.data().first().copied() {
                    Some(b'\r' | b'\n') => self.start += 1,
                    Some(_) => break,
                    None if self.fill().await => {}
                    None => return Frame::End,
                }
            }
            let max_header = self.limits.max_header;
            let end = loop {
                let data = self.data();
                match header_end(&data[..data.len().min(max_header.saturating_add(2))]) {
                    Some(end) => break end,
                    None if data.len() > max_header => {
                        self.resync = Some(1);
                        return Frame::Bad(format!(
                            "a header block is larger than {max_header} bytes (--max-header-bytes): skipped up \
                             to the next Content-Length header"
                        ));
                    }
                    None if self.fill().await => {}
                    None => return Frame::End,
                }
            };
            let length = match parse_header(&self.data()[..end]) {
                Header::Junk(n) => {
                    eprintln!("coworks-lsp: skipped {n} byte(s) of garbage before a header");
                    self.start += n;
                    continue;
                }
                Header::Bad(why) => {
                    self.start += end;
                    return Frame::Bad(why);
                }
                Header::Length(n) => n,
            };
            self.start += end;
            if length > self.limits.max_body {
                self.resync = Some(0);
                return Frame::Bad(format!(
                    "a message of {length} bytes is larger than the limit of {} bytes (--max-message-bytes): \
                     skipped up to the next Content-Length header",
                    self.limits.max_body
                ));
            }
            while self.data().len() < length {
                if !self.fill().await {
                    return Frame::End;
                }
            }
            // An overshooting length took the start of the next header: give it back.
            let take = overshoot(&self.data()[..length]).unwrap_or(length);
            let body = self.data()[..take].to_vec();
            self.start += take;
            return Frame::Body(body);
        }
    }
}

/// `Content-Length` framing of a body.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn error(id: Value, code: i64, message: String) -> Vec<u8> {
    let msg = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    serde_json::to_vec(&msg).unwrap_or_default()
}

/// Checks a body: `Ok` when the server can decode it, else the error response to send back.
pub fn check(body: &[u8]) -> Result<(), Vec<u8>> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Err(error(Value::Null, -32700, format!("parse error: {e}"))),
    };
    if Request::deserialize(&value).is_ok() || Response::deserialize(&value).is_ok() {
        return Ok(());
    }
    let id = match value.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => Value::Null,
    };
    Err(error(id, -32600, "invalid request: not a JSON-RPC 2.0 request, notification or response".into()))
}

/// Whether a frame is the `exit` notification.
fn is_exit(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .is_ok_and(|v| v.get("method").and_then(Value::as_str) == Some("exit"))
}

/// Output of the writer task.
enum Out {
    Frame(Vec<u8>),
    Stop,
}

/// A `window/logMessage` notification of type error.
fn log_error(message: &str) -> Vec<u8> {
    let msg =
        json!({"jsonrpc": "2.0", "method": "window/logMessage", "params": {"type": 1, "message": message}});
    serde_json::to_vec(&msg).unwrap_or_default()
}

/// Serves `service` on `input`/`output`, checking every incoming frame (within `limits`) first.
/// Returns when the server ends (after `exit`, or when the input ends).
pub async fn serve<I, O, S>(
    input: I,
    output: O,
    service: LspService<S>,
    socket: ClientSocket,
    limits: FrameLimits,
) where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
    S: LanguageServer,
{
    let (server_in, mut to_server) = tokio::io::duplex(PIPE);
    let (server_out, from_server) = tokio::io::duplex(PIPE);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
    let (exit_tx, exit_rx) = tokio::sync::oneshot::channel::<()>();

    // stdin → checks → server (or an error answer → stdout).
    let answers = out_tx.clone();
    tokio::spawn(async move {
        let mut exit_tx = Some(exit_tx);
        let mut input = FrameReader::new(input, limits);
        loop {
            let answer = match input.read_frame().await {
                Frame::End => break,
                Frame::Bad(why) => {
                    let message = format!("coworks-lsp: bad message from the client: {why}");
                    eprintln!("{message}");
                    if answers.send(Out::Frame(log_error(&message))).is_err() {
                        break;
                    }
                    error(Value::Null, -32700, format!("parse error: {why}"))
                }
                Frame::Body(body) => match check(&body) {
                    Ok(()) => {
                        if to_server.write_all(&frame(&body)).await.is_err() {
                            break;
                        }
                        if is_exit(&body) {
                            // `exit` ends the server whatever else is still running.
                            if let Some(tx) = exit_tx.take() {
                                let _ = tx.send(());
                            }
                        }
                        continue;
                    }
                    Err(answer) => answer,
                },
            };
            if answers.send(Out::Frame(answer)).is_err() {
                break;
            }
        }
        // Dropping `to_server` ends the server's input.
    });

    // server → stdout, whole frames.
    let forwarded = out_tx.clone();
    let forward = tokio::spawn(async move {
        let mut from_server = FrameReader::new(from_server, FrameLimits::UNBOUNDED);
        while let Frame::Body(body) = from_server.read_frame().await {
            if forwarded.send(Out::Frame(body)).is_err() {
                break;
            }
        }
    });

    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(Out::Frame(body)) = out_rx.recv().await {
            if output.write_all(&frame(&body)).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });

    let ended = tokio::select! {
        _ = Server::new(server_in, server_out, socket).serve(service) => true,
        _ = exit_rx => false,
    };
    if ended {
        // The server dropped its output: forward what is left.
        let _ = forward.await;
    } else {
        // `exit` came: give the server a moment to finish, then stop forwarding.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(200), forward).await;
    }
    let _ = out_tx.send(Out::Stop);
    let _ = writer.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frames of `bytes`: bodies as text, bad frames as `!why`.
    async fn frames(bytes: &[u8], limits: FrameLimits) -> Vec<String> {
        let mut r = FrameReader::new(bytes, limits);
        let mut out = Vec::new();
        loop {
            match r.read_frame().await {
                Frame::End => return out,
                Frame::Body(b) => out.push(String::from_utf8_lossy(&b).into_owned()),
                Frame::Bad(why) => out.push(format!("!{why}")),
            }
        }
    }

    /// A frame of `body` with `Content-Length` off by `delta`.
    fn off_by(body: &str, delta: i64) -> Vec<u8> {
        let mut out = format!("Content-Length: {}\r\n\r\n", body.len() as i64 + delta).into_bytes();
        out.extend_from_slice(body.as_bytes());
        out
    }

    #[tokio::test]
    async fn broken_frames_cost_at_most_their_own_message() {
        let (one, two) = (r#"{"id":1}"#, r#"{"id":2}"#);
        let small = FrameLimits { max_header: 100, max_body: 100 };
        let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
            ("well formed", [frame(one.as_bytes()), frame(two.as_bytes())].concat(), vec![one, two]),
            ("one byte short", [off_by(one, -1), frame(two.as_bytes())].concat(), vec![r#"{"id":1"#, two]),
            ("one byte long", [off_by(one, 1), frame(two.as_bytes())].concat(), vec![one, two]),
            ("long into the next body", [off_by(one, 25), frame(two.as_bytes())].concat(), vec![one, two]),
            ("1 TB", [b"Content-Length: 1000000000000\r\n\r\n".to_vec(), frame(two.as_bytes())].concat(), vec!["!larger than the limit of 100 bytes", two]),
            ("body over the limit, sent", [off_by(&"x".repeat(150), 0), frame(two.as_bytes())].concat(), vec!["!150 bytes", two]),
            ("header too large", [format!("X-Pad: {}\r\n\r\n", "a".repeat(150)).into_bytes(), frame(two.as_bytes())].concat(), vec!["!larger than 100 bytes", two]),
            ("huge Content-Length line", [format!("Content-Length: {}\r\n\r\n", "9".repeat(150)).into_bytes(), frame(two.as_bytes())].concat(), vec!["!larger than 100 bytes", two]),
            ("garbage before", [b"\x00\xffgarbage".to_vec(), frame(two.as_bytes())].concat(), vec![two]),
            ("garbage lines", [b"what\r\never\r\n".to_vec(), frame(two.as_bytes())].concat(), vec![two]),
            ("no Content-Length", [b"X-Nothing: 1\r\n\r\n".to_vec(), frame(two.as_bytes())].concat(), vec!["!missing Content-Length", two]),
            ("bad Content-Length", [b"Content-Length: abc\r\n\r\n".to_vec(), frame(two.as_bytes())].concat(), vec!["!bad Content-Length `abc`", two]),
            ("Content-Type first, lowercase", format!("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 8\r\n\r\n{two}").into_bytes(), vec![two]),
            ("stray line ends, UTF-8", [b"\r\n\n".to_vec(), frame("\"é\"".as_bytes())].concat(), vec!["\"é\""]),
            ("cut at the end", off_by(one, 5), vec![]),
        ];
        for (what, input, want) in cases {
            let got = frames(&input, small).await;
            assert_eq!(got.len(), want.len(), "{what}: {got:?}");
            for (g, w) in got.iter().zip(&want) {
                match w.strip_prefix('!') {
                    Some(why) => assert!(g.starts_with('!') && g.contains(why), "{what}: {g} lacks {why}"),
                    None => assert_eq!(g, w, "{what}"),
                }
            }
        }
    }

    #[test]
    fn limits_come_from_the_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(FrameLimits::from_args(&args(&["--stdio"])), Ok(FrameLimits::default()));
        let l =
            FrameLimits::from_args(&args(&["--max-message-bytes", "10", "--stdio", "--max-header-bytes=20"]));
        assert_eq!(l, Ok(FrameLimits { max_header: 20, max_body: 10 }));
        assert!(FrameLimits::from_args(&args(&["--max-message-bytes"]))
            .unwrap_err()
            .contains("needs a number"));
        assert!(FrameLimits::from_args(&args(&["--max-header-bytes=0"])).unwrap_err().contains("`0`"));
    }

    #[test]
    fn bodies_are_checked() {
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","method":"exit"}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"result":null}"#).is_ok());
        let parse: Value = serde_json::from_slice(&check(b"{{").unwrap_err()).unwrap();
        assert_eq!(parse["error"]["code"], -32700);
        let invalid: Value =
            serde_json::from_slice(&check(br#"{"jsonrpc":"2.0","id":7,"method":1}"#).unwrap_err()).unwrap();
        assert_eq!((invalid["id"].clone(), invalid["error"]["code"].clone()), (json!(7), json!(-32600)));
    }
}
