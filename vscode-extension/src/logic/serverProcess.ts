/**
 * The `coworks-lsp` process, started by the extension itself (not by vscode-languageclient) so that
 * it knows how each run ended: a run it stopped is not an error ("Server process exited with code 0"
 * is not logged on every restart), a binary that exits before answering `initialize` (a wrong but
 * executable `coworks.server.path`) is reported once with its exit code and first output lines, and a
 * server that crashes while running is restarted a few times, then left stopped with one message.
 */

import { type ChildProcess, spawn } from 'child_process';

/** What the client does when the server's connection closes. */
export interface CloseDecision {
  restart: boolean;
  /** A message for the user, when there is one to show (at most once per failure). */
  message?: string;
}

/** How many crashes of a running server within {@link CRASH_WINDOW_MS} are restarted. */
export const MAX_RESTARTS = 4;
export const CRASH_WINDOW_MS = 3 * 60 * 1000;
/** How long a stopped server may take to exit before it is killed. */
const KILL_AFTER_MS = 2000;
/** How much of the server's output a start failure quotes. */
const QUOTED_LINES = 3;

/** One run of the server binary, and the policy over all runs. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private stopping = false;
  private answered = false;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private readonly crashes: number[] = [];

  /**
   * @param path the server binary
   * @param log where lines about the process go (the extension's output channel)
   */
  constructor(
    readonly path: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the binary with stdio pipes; rejects when it cannot be started at all. */
  async start(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
    this.stopping = false;
    this.answered = false;
    this.output = '';
    const child = spawn(this.path, [], { env, stdio: 'pipe' });
    this.child = child;
    child.stderr.on('data', (d: Buffer) => {
      if (this.output.length < 4096) this.output += d.toString();
    });
    this.exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        if (!this.stopping) this.log(`coworks-lsp exited (${how(code, signal)})`);
        resolve({ code, signal });
      });
      child.on('error', () => resolve({ code: null, signal: null }));
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`cannot start ${this.path}: ${e.message}`)));
    });
    return child;
  }

  /** The server answered `initialize`: from now on its exits are crashes. */
  started(): void {
    this.answered = true;
  }

  /** What to do when the connection closes without the extension asking. */
  closed(now = Date.now()): CloseDecision {
    if (!this.answered) return { restart: false }; // a start failure: reported by startFailure
    this.crashes.push(now);
    while (this.crashes.length && now - this.crashes[0] > CRASH_WINDOW_MS) this.crashes.shift();
    if (this.crashes.length <= MAX_RESTARTS) {
      this.log(`coworks-lsp stopped unexpectedly: restarting it (${this.crashes.length} of ${MAX_RESTARTS} in ${CRASH_WINDOW_MS / 60_000} minutes)`);
      return { restart: true };
    }
    return {
      restart: false,
      message: `CoWorks: the language server ${this.path} stopped ${this.crashes.length} times in ${CRASH_WINDOW_MS / 60_000} minutes; it is not restarted. See the CoWorks output, then run "CoWorks: Restart server".`,
    };
  }

  /** The extension is stopping the server: its exit is expected. */
  stop(): void {
    this.stopping = true;
  }

  /** Kills the process if it is still running {@link KILL_AFTER_MS} after it was asked to stop. */
  async reap(): Promise<void> {
    const child = this.child;
    if (!child || !this.exit) return;
    const timer = setTimeout(() => child.kill(), KILL_AFTER_MS);
    await this.exit;
    clearTimeout(timer);
  }

  /** The one message for a server that did not start, once the process has ended (or 1 s). */
  async startFailure(error: unknown): Promise<string> {
    const ended = this.exit ? await Promise.race([this.exit, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]) : undefined;
    return startFailureMessage(this.path, error, ended, this.output);
  }
}

function how(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/**
 * The message for a server that did not start: what happened to the process, the first lines it
 * printed, and what to change.
 */
export function startFailureMessage(
  path: string,
  error: unknown,
  ended: { code: number | null; signal: NodeJS.Signals | null } | undefined,
  output: string,
): string {
  const reason = (error as Error)?.message ?? String(error);
  const what = reason.startsWith('cannot start')
    ? reason
    : ended
      ? `${path} exited (${how(ended.code, ended.signal)}) before answering as a language server`
      : `${path} did not answer as a language server (${reason})`;
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const quoted = lines.length ? ` It printed: "${lines.slice(0, QUOTED_LINES).join(' ')}${lines.length > QUOTED_LINES ? ' …' : ''}".` : '';
  return `CoWorks: the language server did not start: ${what}.${quoted} Set coworks.server.path to the coworks-lsp binary (empty: coworks-lsp on PATH), then run "CoWorks: Restart server".`;
}
