/**
 * Tasks of type `coworks`: `cws check` per stage, and `build`, `deploy`, `run` per stage and
 * service, so that CoWorks actions run as VS Code tasks (an exit status, a problem matcher, a place
 * in *Run Task* and `tasks.json`). The tasks offered are the actions of the server's project tree;
 * a task written in `tasks.json` (`{"type": "coworks", "action": "check", "stage": "dev"}`) is
 * resolved by the server like a lens (`workspace/executeCommand`). Either way the command line is
 * the server's invocation: nothing is built here.
 *
 * `cws check` runs with `--message-format short`: one line a diagnostic,
 * `file:line:col: severity[CODE]: message` (related places indented below), which the problem
 * matcher `$coworks` of package.json reads ({@link PROBLEM_PATTERN} is the same expression).
 */

import type { Action, Invocation } from './lens';
import { type ProjectTree, walk } from './tree';

/** The task type. */
export const TASK_TYPE = 'coworks';
/** The problem matcher of `cws check --message-format short` (contributed by package.json). */
export const PROBLEM_MATCHER = '$coworks';
/** The actions a task runs. */
export const TASK_ACTIONS = ['check', 'build', 'deploy', 'run'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** The pattern of `$coworks` (package.json holds it as a string; a test keeps them equal). */
export const PROBLEM_PATTERN = /^([^\s].*?):(\d+):(\d+): (error|warning|info|hint)\[(CWS\d+)\]: (.*)$/;

/** What `tasks.json` holds for a CoWorks task. */
export interface CoWorksTaskDefinition {
  type: typeof TASK_TYPE;
  action: TaskAction;
  /** The stage; absent: the active stage. */
  stage?: string;
  /** The service (build, deploy, run). */
  service?: string;
}

/** A task to offer: its definition, name and the server's invocation. */
export interface TaskSpec {
  definition: CoWorksTaskDefinition;
  name: string;
  invocation: Invocation;
  /** `cws run` serves until stopped. */
  background: boolean;
  /** The problem matchers (the check's `$coworks`). */
  matchers: string[];
}

/** The task's name, as *Run Task* lists it (after the source `coworks:`). */
export function taskName(d: { action: string; stage?: string; service?: string }): string {
  return [d.action, d.service, d.stage ? `(${d.stage})` : undefined].filter(Boolean).join(' ');
}

function spec(definition: CoWorksTaskDefinition, invocation: Invocation): TaskSpec {
  return {
    definition,
    name: taskName(definition),
    invocation,
    background: definition.action === 'run',
    matchers: definition.action === 'check' ? [PROBLEM_MATCHER] : [],
  };
}

/** The tasks of a project tree: for each stage its check, then build, deploy and run per service. */
export function tasksOfTree(tree: ProjectTree): TaskSpec[] {
  const out: TaskSpec[] = [];
  for (const node of walk(tree.nodes)) {
    if (node.kind !== 'stage' && node.kind !== 'service') continue;
    for (const a of node.actions) {
      const act = a.invocation.action;
      if (!(TASK_ACTIONS as readonly string[]).includes(act.action) || !act.stage) continue;
      const definition: CoWorksTaskDefinition = { type: TASK_TYPE, action: act.action as TaskAction, stage: act.stage };
      if (act.service) definition.service = act.service;
      out.push(spec(definition, a.invocation));
    }
  }
  return out;
}

/**
 * The action a task definition (from `tasks.json`) asks the server for; `active` is the stage used
 * when the definition names none. An error message for a definition that cannot be a task.
 */
export function actionOfDefinition(d: Partial<CoWorksTaskDefinition>, active: string | undefined): Action | string {
  if (!d.action || !(TASK_ACTIONS as readonly string[]).includes(d.action)) {
    return `a coworks task needs "action": one of ${TASK_ACTIONS.join(', ')} (got ${JSON.stringify(d.action ?? null)})`;
  }
  const stage = d.stage || active;
  if (!stage) return 'no stage: set "stage" in the task, or let the server start first';
  if (d.action === 'check') return { action: 'check', stage, short: true };
  if (!d.service) return `a coworks ${d.action} task needs "service"`;
  return { action: d.action, service: d.service, stage };
}

/** The task of a definition once the server resolved its invocation. */
export function resolvedTask(d: CoWorksTaskDefinition, invocation: Invocation): TaskSpec {
  return spec(d, invocation);
}

/** One problem `$coworks` reads from a line of `cws check --message-format short`. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  severity: string;
  code: string;
  message: string;
}

/** The problems of `cws check --message-format short`'s output, as the problem matcher reads them. */
export function problemsOf(output: string): Problem[] {
  const out: Problem[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = PROBLEM_PATTERN.exec(line);
    if (m) out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), severity: m[4], code: m[5], message: m[6] });
  }
  return out;
}
