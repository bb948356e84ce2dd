#!/usr/bin/env python3
"""The e-shop billing API served by this runtime and by the Python peers users would pick instead,
measured side by side in one run: cold start, warm latency, throughput, memory.

    python3 bench/peers/run.py [--rounds N] [--cold N] [--quick] [--markdown] [--check-only]

Implementations (see bench/peers/README.md for why each is set up as it is):

- this runtime: `examples/eshop/services/billing` (release build) as a local HTTP server, and the
  same binary as a Lambda function under a Lambda Runtime API emulator (below);
- upstream CoWorks 0.9.4 (`apps/upstream_coworks`): Flask's server (`flask run`), gunicorn
  (through `wsgi.py`), and as a Lambda function under awslambdaric;
- Chalice 1.34 (`apps/chalice_billing`): `chalice local` with keep-alive and with
  `Connection: close`, and as a Lambda function under awslambdaric.

Before timing, every HTTP implementation answers a list of requests (every entry, bad tokens, bad
parameters) on a fresh process; one that answers differently from this runtime is not timed.
Then, in rounds, each rotating the order of the implementations so that machine noise hits all alike:
cold starts (spawn -> first 200 to `GET /health`; for Lambda, spawn -> first answered invocation),
then per server: 10,000 requests on 64 connections and the resident memory of its processes, warm
latency over one connection (p50/p99), throughput on 64 connections. wrk generates the load.
Figures are medians over rounds with [min-max]; ratios are medians of the per-round ratios.

Set-up is idempotent: the virtual environments live under `target/bench-peers/` and are
(re)installed from the pinned `requirements-*.txt` when missing or changed. Needs python3 (>= 3.11),
cargo, and wrk (`apt-get install wrk`). Nothing here runs in CI.
"""

import argparse
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = ROOT / "target" / "bench-peers"
APPS = HERE / "apps"
TOKEN = "bench-token"
STAGE = "dev"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

# What the timed phases send, in turn: every request answers 2xx whatever the service's state (the
# store stays empty), so that gunicorn's workers, which each hold their own store, answer alike.
TIMED_MIX = [
    ("GET", "/invoices?page=0&customer=bench", {"Authorization": f"Bearer {TOKEN}"}),
    ("GET", "/invoice/pdf/7", {"Authorization": f"Bearer {TOKEN}", "Accept": "application/pdf"}),
    ("GET", "/health", {}),
    ("DELETE", "/invoice/7", {"Authorization": f"Bearer {TOKEN}"}),
]


def load_checks():
    """The requests of `checks.txt` (see its header), then the timed ones: (method, path, token,
    content type, body, compare). Unknown routes and methods are not among them: deployed behind API
    Gateway, the Python peers never see them (API Gateway answers), and `chalice local` imitates that."""
    types = {"json": JSON, "form": FORM, "-": None}
    checks = []
    for line in (HERE / "checks.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            method, path, token, ctype, body, compare = line.split()
            body = b"" if body == "-" else body.encode()
            checks.append((method, path, None if token == "-" else token, types[ctype], body, compare))
    return checks + [(m, p, "mix", None, b"", "full") for m, p, _ in TIMED_MIX]


CHECKS = load_checks()


# ---------------------------------------------------------------------------------------------
# Set-up


def run(cmd, **kwargs):
    """Runs a set-up command, failing loudly."""
    done = subprocess.run(cmd, check=False, **kwargs)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(map(str, cmd))}")
    return done


def venv(name, requirements):
    """A virtual environment under target/bench-peers with the pinned requirements; reinstalled only
    when they changed. Returns its bin directory."""
    path = WORK / f"venv-{name}"
    pinned = (HERE / requirements).read_bytes()
    stamp = path / ".requirements.sha256"
    digest = hashlib.sha256(pinned).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return path / "bin"
    print(f"setting up {path.relative_to(ROOT)} from {requirements}", file=sys.stderr)
    if path.exists():
        shutil.rmtree(path)
    run([sys.executable, "-m", "venv", str(path)])
    run(
        [
            str(path / "bin" / "pip"),
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(HERE / requirements),
        ]
    )
    stamp.write_text(digest)
    return path / "bin"


def build_billing():
    """Builds the billing example in release mode and returns its executable."""
    out = run(
        [
            "cargo",
            "build",
            "-q",
            "--release",
            "-p",
            "eshop-billing",
            "--message-format=json-render-diagnostics",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    for line in out.stdout.decode().splitlines():
        msg = json.loads(line)
        if (
            msg.get("reason") == "compiler-artifact"
            and msg["target"]["name"] == "eshop-billing"
            and msg["executable"]
        ):
            return msg["executable"]
    sys.exit("cargo built no eshop-billing executable")


# ---------------------------------------------------------------------------------------------
# Processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": os.environ.get("HOME", "/"),
        "TOKEN": TOKEN,
        "CWS_STAGE": STAGE,
        "PYTHONPATH": str(APPS / "shared"),
    }
    env.update(extra)
    return env


def spawn(argv, cwd, env):
    """Starts an implementation in its own process group (stopped as a whole by `stop`)."""
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(proc):
    """Stops a process started by `spawn` and its children (its process group), politely first."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children that outlived their parent
    except ProcessLookupError:
        pass


def tree_rss_mib(pid):
    """Resident memory of a process and all its descendants (MiB): gunicorn's master and workers."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, grew = {pid}, True
    while grew:
        more = {p for p, pp in parents.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    kib = 0
    for p in tree:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kib += int(line.split()[1])
        except OSError:
            pass
    return kib / 1024


def probe(port, method="GET", path="/health", headers=None, body=b""):
    """One request on a fresh connection with `Connection: close`: the status, or None when the
    server does not answer yet."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n" if body or method == "POST" else "\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(head.encode() + body)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    except OSError:
        return None
    if not data.startswith(b"HTTP/1."):
        return None
    return int(data[9:12])


def wait_http(proc, port, started, limit=60.0):
    """Spawn -> first 200 to `GET /health`, in seconds. Polls often at first, then at 0.5% of the
    time waited so far (at most 2 ms), so that polling neither delays nor slows the start."""
    while True:
        if probe(port) == 200:
            return time.perf_counter() - started
        waited = time.perf_counter() - started
        if proc.poll() is not None or waited > limit:
            raise RuntimeError(f"no 200 from GET /health after {waited:.1f} s (exit code {proc.poll()})")
        time.sleep(min(0.002, max(0.0002, waited / 200)))


# ---------------------------------------------------------------------------------------------
# A Lambda Runtime API emulator


class RuntimeApi:
    """A Lambda Runtime API on 127.0.0.1 that hands one event to the function and records its answer,
    as Lambda does: `GET /2018-06-01/runtime/invocation/next` answers the event with the
    `Lambda-Runtime-*` headers; `POST .../invocation/{id}/response` (202) is the answer;
    `.../error` and `/init/error` are failures. Further `next` calls wait, as a frozen sandbox's would."""

    def __init__(self, event):
        self.event = json.dumps(event).encode()
        self.answered = threading.Event()
        self.closing = threading.Event()
        self.answer, self.answer_at, self.error, self.handed = None, None, None, False
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

            def log_message(self, *_args):
                pass

            def _reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self._reply(404, b'{"errorType":"UnknownPath"}')
                if api.handed:
                    api.closing.wait(60)
                    return self._reply(410, b'{"errorType":"ShuttingDown"}')
                api.handed = True
                deadline = int(time.time() * 1000) + 29_000
                self._reply(
                    200,
                    api.event,
                    [
                        ("Lambda-Runtime-Aws-Request-Id", "bench-request-1"),
                        ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                        (
                            "Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:eu-west-1:123456789012:function:billing",
                        ),
                        (
                            "Lambda-Runtime-Trace-Id",
                            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0",
                        ),
                    ],
                )

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.perf_counter()
                self._reply(202, b'{"status":"OK"}')
                if self.path.endswith("/response"):
                    api.answer, api.answer_at = body, now
                else:
                    api.error = f"{self.path}: {body[:500]!r}"
                api.answered.set()

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # the function was stopped while a `next` call waited: expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


def lambda_env(api, task_root, handler):
    """The variables Lambda gives a function (and the runtime interface clients read)."""
    return base_env(
        {
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "billing",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/billing",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "LAMBDA_TASK_ROOT": str(task_root),
            "_HANDLER": handler,
        }
    )


def rest_event(path):
    """An API Gateway REST (proxy, payload 1.0) event: what this runtime and Chalice receive."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "abc.execute-api.eu-west-1.amazonaws.com", "Accept": "*/*"},
        "multiValueHeaders": {"Host": ["abc.execute-api.eu-west-1.amazonaws.com"], "Accept": ["*/*"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "r1",
            "stage": STAGE,
            "requestId": "rq1",
            "identity": {"sourceIp": "192.0.2.1"},
            "resourcePath": path,
            "httpMethod": "GET",
            "apiId": "abc",
            "path": f"/{STAGE}{path}",
            "protocol": "HTTP/1.1",
            "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
        },
    }


def upstream_event(path):
    """The event upstream CoWorks' API Gateway integration sends (its request mapping template,
    `cws/templates/terraform/request_templates.j2` in coworks 0.9.4), for a GET without body."""
    host = "abc.execute-api.eu-west-1.amazonaws.com"
    return {
        "type": "LAMBDA",
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"host": host, "accept": "*/*"},
        "multiValueHeaders": {},
        "body": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": {},
        "entryPathParameters": {},
        "stageVariables": None,
        "isBase64Encoded": False,
        "requestContext": {
            "httpMethod": "GET",
            "resourceId": "r1",
            "entryPath": path,
            "extendedRequestId": "x1",
            "requestTime": "30/Nov/2026:18:00:00 +0000",
            "path": f"/{STAGE}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "abc",
            "requestTimeEpoch": 1796061600000,
            "requestId": "rq1",
            "domainName": host,
            "apiId": "abc",
        },
        "params": {"path": {}, "querystring": {}, "header": {"host": host, "accept": "*/*"}},
        "context": {"stage": STAGE, "resourcePath": path, "httpMethod": "GET"},
    }


# ---------------------------------------------------------------------------------------------
# Implementations


class Http:
    """An implementation served over HTTP. `modes`: the client behaviours measured against it."""

    def __init__(self, key, label, argv, cwd, env=None, modes=(("keep-alive", {}),), note=""):
        self.key, self.label, self.argv, self.cwd, self.env = key, label, argv, cwd, env or {}
        self.modes, self.note = modes, note

    def start(self):
        port = free_port()
        argv = [a.replace("{port}", str(port)) for a in self.argv]
        started = time.perf_counter()
        proc = spawn(argv, self.cwd, base_env(self.env))
        try:
            return proc, port, wait_http(proc, port, started)
        except RuntimeError:
            stop(proc)
            raise


class Lambda:
    """An implementation run as a Lambda function: `argv` talks to the Runtime API."""

    def __init__(self, key, label, argv, cwd, handler, event):
        self.key, self.label, self.argv, self.cwd, self.handler, self.event = (
            key,
            label,
            argv,
            cwd,
            handler,
            event,
        )

    def cold_start(self):
        """Spawn -> first answered invocation (s), and the function's resident memory then (MiB)."""
        api = RuntimeApi(self.event)
        try:
            started = time.perf_counter()
            proc = spawn(self.argv, self.cwd, lambda_env(api, self.cwd, self.handler))
            try:
                if not api.answered.wait(60):
                    raise RuntimeError(f"{self.label}: no answer from the function within 60 s")
                rss = tree_rss_mib(proc.pid)
            finally:
                stop(proc)
        finally:
            api.close()
        if api.error:
            raise RuntimeError(f"{self.label}: the function failed: {api.error}")
        answer = json.loads(api.answer)
        if answer.get("statusCode") != 200 or answer.get("body") != "ok":
            raise RuntimeError(f"{self.label}: GET /health answered {answer}")
        return api.answer_at - started, rss


def implementations(binary, cw_bin, ch_bin):
    upstream, chalice = APPS / "upstream_coworks", APPS / "chalice_billing"
    close = ("Connection: close", {"Connection": "close"})
    servers = [
        Http("rust", "CoWorks (Rust), local server", [binary, "--port", "{port}"], ROOT),
        Http(
            "up-flask",
            "upstream CoWorks 0.9.4, flask run",
            [str(cw_bin / "flask"), "--app", "app:app", "run", "--port", "{port}"],
            upstream,
            note="Flask's server closes every connection",
        ),
        Http(
            "up-gunicorn",
            "upstream CoWorks 0.9.4, gunicorn 2×4 gthread",
            [
                str(cw_bin / "gunicorn"),
                "-w",
                "2",
                "-k",
                "gthread",
                "--threads",
                "4",
                "-b",
                "127.0.0.1:{port}",
                "wsgi:application",
            ],
            upstream,
        ),
        Http(
            "chalice",
            "Chalice 1.34, chalice local",
            [str(ch_bin / "chalice"), "local", "--port", "{port}", "--stage", STAGE, "--no-autoreload"],
            chalice,
            modes=(("keep-alive", {}), close),
        ),
    ]
    lambdas = [
        Lambda(
            "rust-lambda",
            "CoWorks (Rust), Lambda Runtime API",
            [binary],
            ROOT,
            "bootstrap",
            rest_event("/health"),
        ),
        Lambda(
            "up-lambda",
            "upstream CoWorks 0.9.4, Lambda (awslambdaric)",
            [str(cw_bin / "python"), "-m", "awslambdaric", "app.app"],
            upstream,
            "app.app",
            upstream_event("/health"),
        ),
        Lambda(
            "chalice-lambda",
            "Chalice 1.34, Lambda (awslambdaric)",
            [str(ch_bin / "python"), "-m", "awslambdaric", "app.app"],
            chalice,
            "app.app",
            rest_event("/health"),
        ),
    ]
    return servers, lambdas


# ---------------------------------------------------------------------------------------------
# Same answers


def answers(port):
    """The normalised answers of one implementation to CHECKS, in order, on one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    mix = {(m, p): h for m, p, h in TIMED_MIX}
    out = []
    for method, path, token, ctype, body, compare in CHECKS:
        if token == "mix":
            headers = dict(mix[(method, path)])
        else:
            headers = {
                "good": {"Authorization": f"Bearer {TOKEN}"},
                "raw": {"Authorization": TOKEN},
                "bad": {"Authorization": "Bearer wrong"},
                None: {},
            }[token]
        if ctype:
            headers["Content-Type"] = ctype
        if method == "GET" and "/pdf/" in path:
            headers.setdefault("Accept", "application/pdf")
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        got_type = (resp.getheader("Content-Type") or "").lower() if data else ""
        value = data
        if got_type.startswith("application/json"):
            value = json.loads(data)
            if compare == "shape" and isinstance(value, dict):
                value.pop("message", None)
        out.append(
            (
                f"{method} {path} [{token or 'no token'}{', ' + ctype if ctype else ''}]",
                resp.status,
                got_type,
                value,
            )
        )
    conn.close()
    return out


def check_same(impl, reference):
    """Differences between an implementation's answers and the reference's (empty: same)."""
    proc, port, _ = impl.start()
    try:
        got = answers(port)
    finally:
        stop(proc)
    if reference is None:
        return got, []
    diffs = [f"  {r[0]}: expected {r[1:]!r}, got {g[1:]!r}" for r, g in zip(reference, got) if r[1:] != g[1:]]
    return got, diffs


# ---------------------------------------------------------------------------------------------
# Load (wrk)

LUA = """-- Generated by bench/peers/run.py: the timed requests in turn; stops after BENCH_LIMIT answers.
local limit = tonumber(os.getenv("BENCH_LIMIT") or "0")
local mix, turn, answered = {}, 0, 0

function init(args)
  for _, r in ipairs({%(requests)s}) do
    local headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    for k, v in pairs(r[3]) do headers[k] = v end
    table.insert(mix, wrk.format(r[1], r[2], headers))
  end
end

function request()
  turn = turn %% #mix + 1
  return mix[turn]
end

if limit > 0 then
  -- wrk runs for its whole duration even when its thread stops: tell run.py, which interrupts it.
  function response(status, headers, body)
    answered = answered + 1
    if answered == limit then
      wrk.thread:stop()
      io.stderr:write("BENCH-LIMIT\\n")
      io.stderr:flush()
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50_us": %%d, "p99_us": %%d}\\n', summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def lua_script():
    def lua_str(s):
        return json.dumps(s)

    def lua_request(method, path, headers):
        pairs = ", ".join(f"[{lua_str(k)}] = {lua_str(v)}" for k, v in headers.items())
        return f"{{{lua_str(method)}, {lua_str(path)}, {{{pairs}}}}}"

    reqs = ", ".join(lua_request(*r) for r in TIMED_MIX)
    path = WORK / "mix.lua"
    path.write_text(LUA % {"requests": reqs})
    return path


def wrk(port, connections, seconds, limit, headers):
    """Runs wrk (one thread) for `seconds`, or until `limit` answers when `limit` > 0 (more than
    `seconds` is then an error), and returns its
    figures: requests, req/s, p50/p99 latency (µs). Refuses errors and non-2xx answers, except read
    errors when the client asks `Connection: close` of a server that closes without saying so
    (`chalice local`): wrk then sends its next request on the closed connection, counts a read error,
    reconnects and sends it again; those requests are counted once, when answered."""
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(WORK / "mix.lua"),
    ]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    argv.append(f"http://127.0.0.1:{port}")
    proc = subprocess.Popen(
        argv,
        env={**os.environ, "BENCH_LIMIT": str(limit)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if limit:
        for line in proc.stderr:
            if line.startswith("BENCH-LIMIT"):
                proc.send_signal(signal.SIGINT)
                break
    out, err = proc.communicate(timeout=seconds + 60)
    line = next((x for x in out.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures: {out[-500:]} {err[-500:]}")
    fig = json.loads(line[6:])
    closing = headers.get("Connection") == "close"
    bad = fig["connect"] + fig["write"] + fig["status"] + fig["timeout"] + (0 if closing else fig["read"])
    if bad or not fig["requests"]:
        raise RuntimeError(f"wrk: {fig['requests']} answers, errors {fig}")
    if limit and fig["requests"] < limit:
        raise RuntimeError(f"wrk: {fig['requests']} answers within {seconds} s, {limit} wanted")
    fig["rps"] = fig["requests"] / (fig["duration_us"] / 1e6)
    return fig


# ---------------------------------------------------------------------------------------------
# Measurement


def rotated(items, r):
    r %= len(items)
    return items[r:] + items[:r]


def measure_server(impl, plan, sample):
    """One full run of a server: spawn (a cold start), 10k requests on 64 connections, RSS, then per
    client mode warm latency (one connection) and throughput (64 connections), each for the same time
    whatever the implementation, so that each is exposed alike to the machine's noise."""
    proc, port, cold = impl.start()
    try:
        sample.setdefault(("cold", impl.key), []).append(cold * 1e3)
        wrk(port, 64, plan["rss_cap_s"], plan["rss_requests"], impl.modes[0][1])
        rss = tree_rss_mib(proc.pid)
        for name, headers in impl.modes:
            key = f"{impl.key}/{name}"
            sample.setdefault(("rss", key), []).append(rss)
            lat = wrk(port, 1, plan["latency_s"], 0, headers)
            sample.setdefault(("p50", key), []).append(lat["p50_us"])
            sample.setdefault(("p99", key), []).append(lat["p99_us"])
            thr = wrk(port, 64, plan["throughput_s"], 0, headers)
            sample.setdefault(("rps", key), []).append(thr["rps"])
    finally:
        stop(proc)


def cold_server(impl, sample):
    proc, _, cold = impl.start()
    stop(proc)
    sample.setdefault(("cold", impl.key), []).append(cold * 1e3)


def cold_lambda(impl, sample):
    cold, rss = impl.cold_start()
    sample.setdefault(("cold", impl.key), []).append(cold * 1e3)
    sample.setdefault(("rss", impl.key), []).append(rss)


def one_round(r, servers, lambdas, plan, failures):
    """One round: every implementation measured once (cold starts `plan['cold']` times), in an order
    rotated by the round number. Returns {(figure, key): median}. A failed measurement is noted in
    `failures` and leaves a gap: that implementation has no figure (and no ratio) in this round."""
    sample = {}
    steps = [(cold_server, impl) for _ in range(plan["cold"] - 1) for impl in rotated(servers, r)]
    steps += [(cold_lambda, impl) for _ in range(plan["cold"]) for impl in rotated(lambdas, r)]
    steps += [(lambda i, smp: measure_server(i, plan, smp), impl) for impl in rotated(servers, r)]
    for step, impl in steps:
        try:
            step(impl, sample)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            failures.append(f"round {r + 1}, {impl.label}: {e}")
            print(f"  failed: {failures[-1]}", file=sys.stderr)
    return {k: statistics.median(v) for k, v in sample.items()}


# ---------------------------------------------------------------------------------------------
# Report

FIGURES = [  # (figure, column title, better when lower)
    ("cold", "cold start ms", True),
    ("p50", "warm p50 µs", True),
    ("p99", "warm p99 µs", True),
    ("rps", "req/s (64 conns)", False),
    ("rss", "RSS MiB", True),
]


def rows(servers, lambdas):
    """(row key, label, cold-start key, baseline key per figure) in table order."""
    out = []
    for impl in servers:
        for i, (mode, _) in enumerate(impl.modes):
            label = impl.label + (f", {mode}" if len(impl.modes) > 1 else "")
            out.append((f"{impl.key}/{mode}", label, impl.key if i == 0 else None, "rust/keep-alive"))
    for impl in lambdas:
        out.append((impl.key, impl.label, impl.key, "rust-lambda"))
    return out


def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def table(rounds, servers, lambdas, markdown):
    """The figures (median [min-max] over rounds) and ratios to this runtime (median of the per-round
    ratios; for each figure, the factor by which this runtime is better: >1 is better)."""
    head = ["implementation"]
    for _, title, _ in FIGURES:
        head += [title, "×"]
    body = []
    for key, label, cold_key, base in rows(servers, lambdas):
        cells = [label]
        for fig, _, lower in FIGURES:
            k, b = (cold_key, base.split("/")[0]) if fig == "cold" else (key, base)
            pairs = [(r[(fig, k)], r[(fig, b)]) for r in rounds if (fig, k) in r and (fig, b) in r]
            if k is None or not pairs:
                cells += ["", ""]
                continue
            values = [v for v, _ in pairs]
            ratios = [v / ours if lower else ours / v for v, ours in pairs]
            spread = f" [{fmt(min(values))}–{fmt(max(values))}]" if len(values) > 1 else ""
            cells += [fmt(statistics.median(values)) + spread, f"{statistics.median(ratios):.1f}"]
        body.append(cells)
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head] + body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="rounds of measurements (default 5)")
    ap.add_argument(
        "--cold", type=int, default=5, help="cold starts per implementation and round (default 5)"
    )
    ap.add_argument("--quick", action="store_true", help="2 rounds, shorter phases: a smoke run")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--check-only", action="store_true", help="only check that the answers are the same")
    args = ap.parse_args()
    plan = {
        "rounds": args.rounds,
        "cold": args.cold,
        "rss_requests": 10_000,
        "rss_cap_s": 60,
        "latency_s": 3,
        "throughput_s": 3,
    }
    if args.quick:
        plan.update(rounds=2, cold=2, latency_s=1, throughput_s=1)
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (Debian/Ubuntu)")

    WORK.mkdir(parents=True, exist_ok=True)
    binary = build_billing()
    cw_bin = venv("coworks", "requirements-coworks.txt")
    ch_bin = venv("chalice", "requirements-chalice.txt")
    lua_script()
    servers, lambdas = implementations(binary, cw_bin, ch_bin)

    reference, refused = None, []
    for impl in servers:
        got, diffs = check_same(impl, reference)
        reference = reference or got
        if diffs:
            refused.append(impl)
            print(f"{impl.label} answers differently from this runtime; not timed:\n" + "\n".join(diffs))
    print(
        f"answers checked: {len(CHECKS)} requests, {len(servers) - len(refused)}/{len(servers)} servers "
        "answer like this runtime",
        file=sys.stderr,
    )
    servers = [s for s in servers if s not in refused]
    for impl in lambdas:  # GET /health must answer 200 "ok"; also compiles the apps' byte code
        try:
            impl.cold_start()
        except RuntimeError as e:
            refused.append(impl)
            print(f"{e}; not timed")
    lambdas = [x for x in lambdas if x not in refused]
    if args.check_only or refused:
        return 1 if refused else 0

    for impl in servers[1:]:  # warm-up (unmeasured): page cache, byte code
        stop(impl.start()[0])
    rounds, failures = [], []
    for r in range(plan["rounds"]):
        t = time.perf_counter()
        rounds.append(one_round(r, servers, lambdas, plan, failures))
        print(f"round {r + 1}/{plan['rounds']} done in {time.perf_counter() - t:.0f} s", file=sys.stderr)

    (WORK / "last.json").write_text(
        json.dumps([{"|".join(k): v for k, v in r.items()} for r in rounds], indent=1)
    )
    py = sys.version.split()[0]
    print(
        f"\nbilling API side by side ({plan['rounds']} rounds interleaved, {plan['cold']} cold starts each; "
        f"Python {py}, {os.cpu_count()} CPUs; median [min–max]; × = how many times this runtime is better, "
        "median of the per-round ratios; Lambda rows against this runtime under the same Runtime API)\n"
    )
    print(table(rounds, servers, lambdas, args.markdown))
    print(
        "\ncold start: spawn -> first 200 to GET /health (HTTP), spawn -> first answered invocation (Lambda). "
        "warm: one keep-alive connection (Flask's server closes each one). RSS: all processes of the server "
        "after 10,000 requests; Lambda rows: the function at its first answer."
    )
    for f in failures:
        print(f"failed (left out): {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
