//! The stdio transport around tower-lsp-server: frames are checked before the server sees them.
//!
//! tower-lsp-server's decoder ends the input stream at the first undecodable message (a tokio-util
//! `FramedRead` stops after an error), which would make one garbage message fatal. So the server
//! reads from an in-process pipe that only well-formed JSON-RPC messages reach; anything else is
//! answered here — `-32700` (parse error) or `-32600` (invalid request), as JSON-RPC 2.0 says — and
//! the session goes on. Output frames of the server and these answers are written to stdout whole,
//! one at a time, so they never interleave.

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{ClientSocket, LanguageServer, LspService, Server};

/// Bodies larger than this are refused (and skipped) without being parsed.
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// Size of the in-process pipes.
const PIPE: usize = 1 << 20;

/// One read from a framed stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A message body.
    Body(Vec<u8>),
    /// A header block without a usable `Content-Length` (or a body too large): skipped.
    Bad(String),
    /// The stream ended.
    End,
}

/// Reads one `Content-Length` framed message.
pub async fn read_frame<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> Frame {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        match r.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return Frame::End,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            if saw_header {
                break;
            }
            continue; // Stray blank lines between messages.
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(value.trim().parse::<usize>().map_err(|e| format!("bad Content-Length: {e}")));
            }
        }
    }
    let length = match length {
        None => return Frame::Bad("missing Content-Length header".into()),
        Some(Err(e)) => return Frame::Bad(e),
        Some(Ok(n)) => n,
    };
    if length > MAX_BODY {
        let skipped = tokio::io::copy(&mut (&mut *r).take(length as u64), &mut tokio::io::sink()).await;
        return match skipped {
            Ok(n) if n == length as u64 => Frame::Bad(format!("message of {length} bytes is too large")),
            _ => Frame::End,
        };
    }
    let mut body = vec![0; length];
    match r.read_exact(&mut body).await {
        Ok(_) => Frame::Body(body),
        Err(_) => Frame::End,
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

/// Serves `service` on `input`/`output`, checking every incoming frame first. Returns when the
/// server ends (after `exit`, or when the input ends).
pub async fn serve<I, O, S>(input: I, output: O, service: LspService<S>, socket: ClientSocket)
where
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
        let mut input = BufReader::new(input);
        loop {
            let answer = match read_frame(&mut input).await {
                Frame::End => break,
                Frame::Bad(why) => error(Value::Null, -32700, format!("parse error: {why}")),
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
        let mut from_server = BufReader::new(from_server);
        while let Frame::Body(body) = read_frame(&mut from_server).await {
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

    async fn frames(bytes: &[u8]) -> Vec<Frame> {
        let mut r = BufReader::new(bytes);
        let mut out = Vec::new();
        loop {
            match read_frame(&mut r).await {
                Frame::End => return out,
                f => out.push(f),
            }
        }
    }

    #[tokio::test]
    async fn frames_are_read_and_bad_headers_skipped() {
        let mut input = frame(b"{}");
        input.extend_from_slice(b"X-Nothing: 1\r\n\r\n");
        input.extend_from_slice(b"Content-Length: abc\r\n\r\n");
        input.extend(frame("é".as_bytes()));
        let got = frames(&input).await;
        assert_eq!(got[0], Frame::Body(b"{}".to_vec()));
        assert!(matches!(&got[1], Frame::Bad(m) if m.contains("missing")));
        assert!(matches!(&got[2], Frame::Bad(m) if m.contains("bad Content-Length")));
        assert_eq!(got[3], Frame::Body("é".as_bytes().to_vec()));
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
