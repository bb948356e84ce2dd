// Test support: the real coworks-lsp and cws binaries (built with cargo), and an LSP client over
// stdio made of vscode-languageclient's own protocol layer.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  InitializeRequest,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';

export const repo = path.resolve(__dirname, '..', '..', '..');
export const eshop = path.join(repo, 'examples', 'eshop');
export const uriOf = (p: string) => pathToFileURL(p).toString();

let built: { lsp: string; cws: string } | undefined;

/**
 * The binaries: `$COWORKS_LSP` / `$COWORKS_CWS` when set, else `cargo build -p coworks-lsp -p
 * coworks-cli --bins` in the workspace and its target directory (from `cargo metadata`).
 */
export function binaries(): { lsp: string; cws: string } {
  if (built) return built;
  const fromEnv = { lsp: process.env.COWORKS_LSP, cws: process.env.COWORKS_CWS };
  if (fromEnv.lsp && fromEnv.cws) return (built = { lsp: fromEnv.lsp, cws: fromEnv.cws });
  try {
    execFileSync('cargo', ['build', '-q', '--locked', '-p', 'coworks-lsp', '-p', 'coworks-cli', '--bins'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    throw new Error(`building coworks-lsp failed (cargo and a Rust toolchain are needed: see README's Quickstart): ${(e as Error).message}`);
  }
  const dir = path.join(targetDir(), 'debug');
  return (built = { lsp: fromEnv.lsp ?? path.join(dir, 'coworks-lsp'), cws: fromEnv.cws ?? path.join(dir, 'cws') });
}

let target: string | undefined;

/** The workspace's cargo target directory (`cargo metadata`: `$CARGO_TARGET_DIR` or `target/`). */
export function targetDir(): string {
  if (target) return target;
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: repo, encoding: 'utf8' }));
  return (target = meta.target_directory as string);
}

/** A running server and the client side of the connection. */
export interface Session {
  child: ChildProcess;
  conn: ProtocolConnection;
  init: InitializeResult;
  diagnostics: Map<string, PublishDiagnosticsParams>;
  /** Methods of the requests the server sent the client. */
  serverRequests: string[];
  /** Resolves when the server sends the client a request `method` (after this call). */
  nextServerRequest(method: string): Promise<void>;
  /** Resolves with the params of the next notification `method` the server sends (after this call). */
  nextNotification(method: string): Promise<unknown>;
  /** Resolves when diagnostics for `uri` arrive (after this call) satisfying `ok`. */
  nextDiagnostics(uri: string, ok?: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams>;
  close(): Promise<number | null>;
}

/** Starts coworks-lsp on a project as the extension does: workspace folder + initialization options. */
export async function startServer(root: string, initializationOptions: object): Promise<Session> {
  const child = spawn(binaries().lsp, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const diagnostics = new Map<string, PublishDiagnosticsParams>();
  const waiters: { uri: string; ok: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  const serverRequests: string[] = [];
  const requestWaiters: { method: string; resolve: () => void }[] = [];
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    diagnostics.set(p.uri, p);
    for (const w of [...waiters]) {
      if (w.uri === p.uri && w.ok(p)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(p);
      }
    }
  });
  // Star handlers (every other notification, every server request), as vscode-jsonrpc allows.
  const notificationWaiters: { method: string; resolve: (params: unknown) => void }[] = [];
  const star = conn as unknown as { onNotification(h: (method: string, params: unknown) => void): void; onRequest(h: (method: string) => unknown): void };
  star.onNotification((method: string, params: unknown) => {
    for (const w of notificationWaiters.filter((x) => x.method === method)) {
      notificationWaiters.splice(notificationWaiters.indexOf(w), 1);
      w.resolve(params);
    }
  });
  star.onRequest((method: string) => {
    serverRequests.push(method);
    for (const w of requestWaiters.filter((x) => x.method === method)) {
      requestWaiters.splice(requestWaiters.indexOf(w), 1);
      w.resolve();
    }
    return null;
  });
  conn.listen();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.on('exit', () => {
    if (waiters.length) for (const w of waiters) w.resolve({ uri: w.uri, diagnostics: [] });
  });
  const died = exited.then((code) => {
    throw new Error(`coworks-lsp (${binaries().lsp}) exited with code ${code} before answering initialize: ${stderr || 'no output'}`);
  });
  const init = await Promise.race([died, conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    clientInfo: { name: 'coworks-vscode-test' },
    rootUri: uriOf(root),
    workspaceFolders: [{ uri: uriOf(root), name: path.basename(root) }],
    initializationOptions,
    capabilities: {
      general: { positionEncodings: ['utf-16'] },
      textDocument: {
        synchronization: { dynamicRegistration: true, didSave: true },
        publishDiagnostics: { relatedInformation: true, versionSupport: true },
        codeLens: { dynamicRegistration: true },
        hover: { contentFormat: ['markdown', 'plaintext'] },
      },
      workspace: {
        workspaceFolders: true,
        configuration: true,
        didChangeConfiguration: { dynamicRegistration: true },
        didChangeWatchedFiles: { dynamicRegistration: true },
        executeCommand: { dynamicRegistration: true },
        codeLens: { refreshSupport: true },
      },
    },
  })]);
  died.catch(() => undefined);
  await conn.sendNotification('initialized', {});
  return {
    child,
    conn,
    init,
    diagnostics,
    serverRequests,
    nextServerRequest: (method) => new Promise((resolve) => requestWaiters.push({ method, resolve })),
    nextNotification: (method) => new Promise((resolve) => notificationWaiters.push({ method, resolve })),
    nextDiagnostics: (uri, ok = () => true) => new Promise((resolve) => waiters.push({ uri, ok, resolve })),
    async close() {
      await conn.sendRequest('shutdown');
      await conn.sendNotification('exit');
      const code = await exited;
      conn.dispose();
      if (code !== 0) throw new Error(`coworks-lsp exited with ${code}: ${stderr}`);
      return code;
    },
  };
}
