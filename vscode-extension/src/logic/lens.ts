/**
 * The commands code lenses carry, and what the extension does with them.
 *
 * The server (`coworks-lsp`) puts one JSON object in each lens command's arguments:
 *
 * | command          | argument                                  | command line                                      |
 * |------------------|-------------------------------------------|---------------------------------------------------|
 * | `coworks.run`    | `{service, stage}`                        | `cws run <service> -s <stage>`                    |
 * | `coworks.deploy` | `{service, stage}`                        | `cws deploy <service> -s <stage>`                 |
 * | `coworks.invoke` | `{service, method, path, stage}`          | `cws invoke <service> <METHOD> <path> -s <stage>` |
 * | `coworks.routes` | `{stage}` (`null`: every stage)           | `cws routes [-s <stage>] --json`                  |
 *
 * `workspace/executeCommand` on these answers an {@link Invocation}: the argument vector the server
 * checked against the project, and the project root to run it in. The extension runs that; the
 * argument vector built here from the lens argument is the fallback when the server answers nothing,
 * and a test checks both agree.
 */

import { shellLine } from './shell';

/** The lens command ids, as the server sends them. */
export const RUN = 'coworks.run';
export const DEPLOY = 'coworks.deploy';
export const INVOKE = 'coworks.invoke';
export const ROUTES = 'coworks.routes';
export const LENS_COMMANDS = [RUN, DEPLOY, INVOKE, ROUTES] as const;
export type LensCommandId = (typeof LENS_COMMANDS)[number];

/** The argument of a lens command. `production` is optional: see {@link isProduction}. */
export interface LensArgs {
  service?: string;
  method?: string;
  path?: string;
  stage?: string | null;
  /** Whether `stage` is marked `production: true` in `project.cws.yml`, when the server says. */
  production?: boolean;
}

/** What the server answers to `workspace/executeCommand`. */
export interface Invocation {
  /** The argument vector, `cws` first. */
  argv: string[];
  /** The same as one shell-quoted line. */
  command: string;
  /** The directory to run it in: the project root. */
  cwd: string;
}

/** Whether `id` is one of the lens commands. */
export function isLensCommand(id: string): id is LensCommandId {
  return (LENS_COMMANDS as readonly string[]).includes(id);
}

/** Reads the lens argument out of a command's arguments; an error message when it is unusable. */
export function lensArgs(id: LensCommandId, args: readonly unknown[] | undefined): LensArgs | string {
  const a = args?.[0];
  if (a === null || typeof a !== 'object' || Array.isArray(a)) {
    return `${id}: expected one object argument, got ${JSON.stringify(a ?? null)}`;
  }
  const o = a as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const out: LensArgs = {
    service: str('service'),
    method: str('method'),
    path: str('path'),
    stage: o.stage === null ? null : str('stage'),
  };
  if (typeof o.production === 'boolean') {
    out.production = o.production;
  }
  const need = (k: keyof LensArgs) => (out[k] === undefined || out[k] === null ? `${id}: missing \`${k}\`` : undefined);
  const missing =
    id === RUN || id === DEPLOY
      ? need('service') ?? need('stage')
      : id === INVOKE
        ? need('service') ?? need('method') ?? need('path') ?? need('stage')
        : undefined;
  return missing ?? out;
}

/** The `cws` argument vector of a lens command (the same the server answers). */
export function argvOf(id: LensCommandId, a: LensArgs): string[] {
  switch (id) {
    case RUN:
      return ['cws', 'run', a.service!, '-s', a.stage!];
    case DEPLOY:
      return ['cws', 'deploy', a.service!, '-s', a.stage!];
    case INVOKE:
      return ['cws', 'invoke', a.service!, a.method!.toUpperCase(), a.path!, '-s', a.stage!];
    case ROUTES:
      return a.stage ? ['cws', 'routes', '-s', a.stage, '--json'] : ['cws', 'routes', '--json'];
  }
}

/** Reads the server's answer to `workspace/executeCommand`; `undefined` when it is not an invocation. */
export function invocationOf(answer: unknown): Invocation | undefined {
  if (answer === null || typeof answer !== 'object') return undefined;
  const o = answer as Record<string, unknown>;
  if (!Array.isArray(o.argv) || !o.argv.every((s) => typeof s === 'string') || typeof o.cwd !== 'string') {
    return undefined;
  }
  const argv = o.argv as string[];
  return { argv, cwd: o.cwd, command: typeof o.command === 'string' ? o.command : shellLine(argv) };
}

/** Replaces `cws` (argv[0]) by the configured CLI path. */
export function withCli(argv: readonly string[], cli: string): string[] {
  return [cli || 'cws', ...argv.slice(1)];
}

/**
 * The integrated terminal a lens command runs in: one per service for `run` (a running server
 * keeps its terminal), one per service and stage for `deploy`.
 */
export function terminalName(id: LensCommandId, a: LensArgs): string {
  switch (id) {
    case RUN:
      return `CoWorks: run ${a.service}`;
    case DEPLOY:
      return `CoWorks: deploy ${a.service} (${a.stage})`;
    case INVOKE:
      return `CoWorks: invoke ${a.service}`;
    case ROUTES:
      return 'CoWorks: routes';
  }
}

/**
 * Whether a stage is production, from what the server said: the lens argument's `production` first,
 * then the stages the server announced. `undefined` when nothing tells.
 */
export function isProduction(
  a: LensArgs,
  production: (stage: string) => boolean | undefined,
): boolean | undefined {
  if (typeof a.production === 'boolean') return a.production;
  return a.stage ? production(a.stage) : undefined;
}

/** The question asked before a deploy, or `undefined` when none is needed. */
export function deployConfirmation(a: LensArgs, production: boolean | undefined): string | undefined {
  if (production === true) {
    return `Deploy ${a.service} to the production stage '${a.stage}'?`;
  }
  if (production === undefined) {
    return `Deploy ${a.service} to stage '${a.stage}'? The language server did not say whether '${a.stage}' is a production stage.`;
  }
  return undefined;
}
