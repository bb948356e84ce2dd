/**
 * The commands code lenses carry, and what the extension does with them.
 *
 * The server (`coworks-lsp`) puts one {@link Invocation} in each lens command's arguments: the
 * action, its resolved `cws` argument vector, the same as one shell line, the directory to run it in
 * (the project root), whether its stage is production, and for an invoke what the entry takes. The
 * extension runs that argument vector; it builds no command line of its own. An invoke whose path,
 * query or body the user filled in is sent back through `workspace/executeCommand` as an action, and
 * the server answers its checked invocation.
 */

/** The lens command ids, as the server sends them. */
export const RUN = 'coworks.run';
export const DEPLOY = 'coworks.deploy';
export const INVOKE = 'coworks.invoke';
export const ROUTES = 'coworks.routes';
export const CHECK = 'coworks.check';
export const DEBUG = 'coworks.debug';
export const BUILD = 'coworks.build';
export const DEPLOYED = 'coworks.deployed';
export const RUN_WORKFLOW = 'coworks.runWorkflow';
export const LENS_COMMANDS = [RUN, DEPLOY, INVOKE, ROUTES, CHECK, DEBUG, BUILD, DEPLOYED, RUN_WORKFLOW] as const;
export type LensCommandId = (typeof LENS_COMMANDS)[number];

/** An action on the project, as the core describes it. */
export interface Action {
  action: 'run' | 'deploy' | 'invoke' | 'routes' | 'check' | 'build' | 'deployed' | 'debug' | 'workflow';
  service?: string;
  /** For `workflow`: the workflow file, relative to the project root. */
  file?: string;
  method?: string;
  path?: string;
  stage?: string | null;
  query?: [string, string][];
  json?: string;
  /** check: one line a diagnostic (`--message-format short`). */
  short?: boolean;
}

/** The server command of each action (what `workspace/executeCommand` is sent with). */
export const COMMAND_OF: Record<Action['action'], LensCommandId> = {
  run: RUN,
  deploy: DEPLOY,
  invoke: INVOKE,
  routes: ROUTES,
  check: CHECK,
  build: BUILD,
  deployed: DEPLOYED,
  debug: DEBUG,
  workflow: RUN_WORKFLOW,
};

/** What an invoked entry takes. */
export interface InvokeRoute {
  method: string;
  path: string;
  path_params: string[];
  query: string[];
  body: boolean;
}

/** A lens command's argument, and what the server answers to `workspace/executeCommand`. */
export interface Invocation {
  action: Action;
  /** The argument vector, `cws` first. */
  argv: string[];
  /** The same as one shell-quoted line. */
  command: string;
  /** The directory to run it in: the project root. */
  cwd: string;
  /** Whether the action's stage is marked `production: true`. */
  production: boolean;
  /** For an invoke: what the entry takes. */
  route?: InvokeRoute;
}

/** Whether `id` is one of the lens commands. */
export function isLensCommand(id: string): id is LensCommandId {
  return (LENS_COMMANDS as readonly string[]).includes(id);
}

/** Reads an invocation (a lens argument or a server answer); an error message when it is unusable. */
export function invocationOf(value: unknown): Invocation | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `expected an invocation from the server, got ${JSON.stringify(value ?? null)}`;
  }
  const o = value as Record<string, unknown>;
  const action = o.action as Action | undefined;
  if (!action || typeof action !== 'object' || typeof action.action !== 'string') return 'the invocation has no action';
  if (!Array.isArray(o.argv) || o.argv.length === 0 || !o.argv.every((s) => typeof s === 'string')) return 'the invocation has no argument vector';
  if (typeof o.cwd !== 'string' || typeof o.command !== 'string') return 'the invocation has no directory or command line';
  const out: Invocation = { action, argv: o.argv as string[], command: o.command, cwd: o.cwd, production: o.production === true };
  if (o.route && typeof o.route === 'object') out.route = o.route as InvokeRoute;
  return out;
}

/** The client command of the `used by N workflow tasks` lens: show the locations it carries. */
export const SHOW_REFERENCES = 'coworks.showReferences';

/** An LSP position and location, as the server sends them. */
export interface LspPosition {
  line: number;
  character: number;
}
export interface LspLocation {
  uri: string;
  range: { start: LspPosition; end: LspPosition };
}

/** What a `coworks.showReferences` lens carries: `[uri, position, locations]`. */
export interface References {
  uri: string;
  position: LspPosition;
  locations: LspLocation[];
}

function isPosition(p: unknown): p is LspPosition {
  return !!p && typeof (p as LspPosition).line === 'number' && typeof (p as LspPosition).character === 'number';
}

/** Reads the arguments of a `coworks.showReferences` lens; an error message when they are unusable. */
export function referencesOf(args: unknown): References | string {
  if (!Array.isArray(args) || args.length < 3) return 'expected [uri, position, locations]';
  const [uri, position, locations] = args as unknown[];
  if (typeof uri !== 'string' || !isPosition(position) || !Array.isArray(locations)) return 'expected [uri, position, locations]';
  const ok = locations.every((l) => l && typeof l.uri === 'string' && isPosition(l.range?.start) && isPosition(l.range?.end));
  if (!ok) return 'a location has no uri or range';
  return { uri, position, locations: locations as LspLocation[] };
}

/** Replaces `cws` (argv[0]) by the configured CLI executable; other programs (cargo) stay. */
export function withCli(argv: readonly string[], cli: string): string[] {
  return argv[0] === 'cws' ? [cli || 'cws', ...argv.slice(1)] : [...argv];
}

/**
 * The integrated terminal an invocation runs in: one per service for `run` (a running server keeps
 * its terminal), one per service and stage for `deploy` and `build`.
 */
export function terminalName(i: Invocation): string {
  const a = i.action;
  switch (a.action) {
    case 'run':
      return `CoWorks: run ${a.service}`;
    case 'deploy':
    case 'build':
      return `CoWorks: ${a.action} ${a.service} (${a.stage})`;
    case 'workflow':
      return `CoWorks: workflow ${a.file} (${a.stage})`;
    default:
      return `CoWorks: ${a.action}`;
  }
}

/** What to do with unsaved files before a terminal run: save them, ask first, or leave them. */
export type SaveBeforeRun = 'save' | 'ask' | 'leave';

/**
 * How unsaved files are treated before `cws run`, `build`, `deploy` or a workflow run reads the
 * project from disk: as VS Code's tasks treat them, by the user's `task.saveBeforeRun` setting
 * (`always`, the default, saves; `prompt` asks; `never` leaves them).
 */
export function saveBeforeRun(setting: unknown): SaveBeforeRun {
  if (setting === 'never') return 'leave';
  if (setting === 'prompt') return 'ask';
  return 'save';
}

/** The question asked before a deploy to a production stage, or `undefined` when none is needed. */
export function deployConfirmation(i: Invocation): string | undefined {
  if (i.action.action !== 'deploy' || !i.production) return undefined;
  return `Deploy ${i.action.service} to the production stage '${i.action.stage}'?`;
}
