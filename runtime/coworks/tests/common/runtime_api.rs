//! A local Lambda Runtime API (the `2018-06-01` interface Lambda's runtimes poll), enough to run a
//! service binary as a Lambda function in a test: each `next` is answered with the following event
//! (request id `req-N`, X-Ray trace id [`trace_id`]`(N)`, deadline, function ARN headers); `response` /
//! `error` posts are collected, and the function's stdout lines (its logs). Once the events are used
//! up, `next` is held open, so the function stays alive (its memory can be read).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One event to hand out, with the invocation's time budget.
pub struct Invocation {
    /// The event's JSON text.
    pub event: Vec<u8>,
    /// The invocation's timeout (the deadline is now + this when the event is handed out).
    pub timeout: Duration,
}

/// An HTTP API (payload 2.0) event: `method` `path` with the bearer `token` and a JSON `body`.
pub fn http_api_event(method: &str, path: &str, token: &str, body: &str) -> Vec<u8> {
    let event = serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": { "authorization": format!("Bearer {token}"), "content-type": "application/json" },
        "requestContext": { "accountId": "123456789012", "apiId": "api", "domainName": "api.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "api", "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
            "requestId": "id", "routeKey": "$default", "stage": "$default", "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64 },
        "body": body, "isBase64Encoded": false
    });
    serde_json::to_vec(&event).expect("event")
}

/// The `Lambda-Runtime-Trace-Id` of invocation `n` (the `_X_AMZN_TRACE_ID` format Lambda sends).
pub fn trace_id(n: usize) -> String {
    format!("Root=1-67a0b1c2-{n:024x};Parent=53995c3f42cd8ad8;Sampled=1")
}

/// What the function posted for one invocation.
#[derive(Debug)]
pub struct Posted {
    /// `response` or `error`.
    pub kind: String,
    /// The body.
    pub body: Vec<u8>,
}

/// A function process under the emulator; killed on drop.
pub struct Function {
    pub child: Child,
    pub posted: mpsc::Receiver<Posted>,
    /// The function's stdout, line by line (where Lambda's log subscriber writes).
    pub stdout: mpsc::Receiver<String>,
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Function {
    /// Starts `binary` as a Lambda function (Runtime API on a free port of 127.0.0.1) with `env`,
    /// handing out `invocations` in order.
    pub fn start(binary: &Path, env: &[(&str, &str)], invocations: Vec<Invocation>) -> Function {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let api = listener.local_addr().expect("addr").to_string();
        let (tx, posted) = mpsc::channel();
        std::thread::spawn(move || serve(listener, invocations, tx));
        let mut cmd = Command::new(binary);
        cmd.env("AWS_LAMBDA_RUNTIME_API", api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "test-function")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env_remove("TOKEN")
            .env_remove("CWS_STAGE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("function starts");
        let out = child.stdout.take().expect("piped");
        let (lines, stdout) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Function { child, posted, stdout }
    }

    /// The next posted answer (bounded wait).
    pub fn next_posted(&self) -> Posted {
        self.posted.recv_timeout(Duration::from_secs(120)).expect("the function answers")
    }

    /// A line of `/proc/PID/status` (e.g. `VmHWM`), in bytes.
    pub fn status_bytes(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).expect("field");
        let kb: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("kB");
        kb * 1024
    }
}

/// Reads one HTTP request: the request line and the body.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().ok()?;
            } else if k.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((request_line, body))
}

fn serve(listener: TcpListener, invocations: Vec<Invocation>, posted: mpsc::Sender<Posted>) {
    let mut pending = invocations.into_iter().enumerate();
    let mut held = Vec::new();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        // Each answer goes out in one write, at once (no Nagle delay against the runtime's ACKs).
        let _ = stream.set_nodelay(true);
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut stream = stream;
        while let Some((request_line, body)) = read_request(&mut reader) {
            if request_line.starts_with("GET /2018-06-01/runtime/invocation/next") {
                let Some((i, inv)) = pending.next() else {
                    // No more events: hold the function here (it stays alive, idle).
                    held.push(stream);
                    break;
                };
                let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
                let deadline = (now + inv.timeout).as_millis();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: req-{i}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
                     Lambda-Runtime-Trace-Id: {}\r\n\
                     Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:test-function\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    trace_id(i),
                    inv.event.len()
                );
                let mut answer = head.into_bytes();
                answer.extend_from_slice(&inv.event);
                if stream.write_all(&answer).is_err() {
                    break;
                }
            } else {
                let kind = if request_line.contains("/response") { "response" } else { "error" };
                let _ = posted.send(Posted { kind: kind.into(), body });
                if stream.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n").is_err() {
                    break;
                }
            }
        }
    }
}
