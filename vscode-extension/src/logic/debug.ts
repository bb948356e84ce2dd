/**
 * Debugging a service: the launch configuration of type `coworks` (`{"type": "coworks", "request":
 * "launch", "service": "billing", "stage": "dev"}`, also what the `Debug` lens starts) becomes a
 * CodeLLDB (`lldb`) or C/C++ (`cppdbg`) configuration, whichever is installed, after the service's
 * crate is built.
 *
 * The server answers `workspace/executeCommand` `coworks.debug` with the invocation — its argument
 * vector is cargo's build of the crate, with JSON messages on stdout — and the launch: the crate's
 * manifest, the executable's arguments (where it listens) and environment (the stage's env files and
 * `CWS_STAGE`, as under `cws run`, secrets included). The executable is the binary artifact cargo
 * reports for that manifest. Secret values go to the debugger only: what the extension logs names
 * variables, never their values.
 */

/** The launch configuration type the extension contributes. */
export const DEBUG_TYPE = 'coworks';

/** The debuggers a service can run under, in order of preference. */
export const DEBUGGERS = [
  { extension: 'vadimcn.vscode-lldb', type: 'lldb', name: 'CodeLLDB' },
  { extension: 'ms-vscode.cpptools', type: 'cppdbg', name: 'C/C++' },
] as const;
export type DebuggerType = (typeof DEBUGGERS)[number]['type'];

/** What the extension says when neither debugger is installed. */
export const NO_DEBUGGER =
  'Debugging a CoWorks service needs a native debugger extension: CodeLLDB (vadimcn.vscode-lldb) or C/C++ (ms-vscode.cpptools). Install one of them, then start the debug session again.';

/** How the server says to start the service. */
export interface DebugLaunch {
  build: string[];
  manifest: string;
  args: string[];
  env: Record<string, string>;
  secrets: string[];
  cwd: string;
}

/** The debugger to use: the first installed of {@link DEBUGGERS}. */
export function pickDebugger(installed: (extensionId: string) => boolean): DebuggerType | undefined {
  return DEBUGGERS.find((d) => installed(d.extension))?.type;
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Reads the launch of the server's answer to `coworks.debug`; an error message when it has none. */
export function launchOf(answer: unknown): DebugLaunch | string {
  const d = (answer as { debug?: unknown } | null)?.debug as Record<string, unknown> | undefined;
  if (!d || typeof d !== 'object') return 'the server answered no debug launch';
  const env = d.env as Record<string, unknown> | undefined;
  if (!strings(d.build) || d.build.length === 0 || typeof d.manifest !== 'string' || typeof d.cwd !== 'string') {
    return 'the debug launch has no build or manifest';
  }
  if (!strings(d.args) || !env || typeof env !== 'object' || !Object.values(env).every((v) => typeof v === 'string') || !strings(d.secrets)) {
    return 'the debug launch has no arguments or environment';
  }
  return { build: d.build, manifest: d.manifest, args: d.args, env: env as Record<string, string>, secrets: d.secrets, cwd: d.cwd };
}

/**
 * The executable cargo built from `manifest`: the last `compiler-artifact` message of a binary
 * target of that manifest, in cargo's `--message-format=json*` output.
 */
export function executableOf(stdout: string, manifest: string): string | undefined {
  let found: string | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let msg: { reason?: string; manifest_path?: string; executable?: string | null; target?: { kind?: string[] } };
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.reason !== 'compiler-artifact' || msg.manifest_path !== manifest || !msg.executable) continue;
    if (msg.target?.kind?.includes('bin')) found = msg.executable;
  }
  return found;
}

/** The debug configuration VS Code starts: CodeLLDB's or cpptools' launch of the executable. */
export function launchConfiguration(type: DebuggerType, name: string, program: string, launch: DebugLaunch): Record<string, unknown> {
  const common = { name, request: 'launch', program, args: [...launch.args], cwd: launch.cwd };
  if (type === 'lldb') {
    return { ...common, type: 'lldb', env: { ...launch.env }, sourceLanguages: ['rust'], terminal: 'console' };
  }
  return {
    ...common,
    type: 'cppdbg',
    environment: Object.entries(launch.env).map(([k, v]) => ({ name: k, value: v })),
    MIMode: 'gdb',
    externalConsole: false,
    stopAtEntry: false,
  };
}

/** What the extension logs of an environment: the names, secrets marked — no value. */
export function envSummary(launch: DebugLaunch): string {
  const names = Object.keys(launch.env).sort();
  if (names.length === 0) return 'no variables';
  return names.map((n) => (launch.secrets.includes(n) ? `${n} (secret)` : n)).join(', ');
}

/** The session's name. */
export function sessionName(service: string, stage: string): string {
  return `Debug ${service} (${stage})`;
}

/** What a `coworks` launch configuration asks for; an error message when it names no service. */
export function requested(config: Record<string, unknown>, active: string | undefined): { service: string; stage: string } | string {
  const service = config.service;
  if (typeof service !== 'string' || !service) return 'a "coworks" launch configuration needs "service" (the service to debug, as `cws routes` lists it)';
  const stage = typeof config.stage === 'string' && config.stage ? config.stage : active;
  if (!stage) return 'no stage: set "stage" in the launch configuration';
  return { service, stage };
}
