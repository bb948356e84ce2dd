/**
 * Invoke: the user fills in the path parameters, the query and the body of an entry before calling
 * it, and the reply is shown in an output channel. The filled-in call goes back to the server as an
 * action; the server answers the `cws invoke` line to run.
 */

import type { Action, Invocation } from './lens';

/** What the user typed. */
export interface InvokeEdit {
  /** The path with its `{params}` filled in. */
  path: string;
  /** `k=v` pairs separated by `&` (a leading `?` is allowed). */
  query: string;
  /** A JSON body, or empty for none. */
  body: string;
}

/** The `{names}` of a route path template, in order. */
export function templateParams(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
}

/** A starting query for the entry's query parameters: `page=&customer=`. */
export function queryTemplate(names: readonly string[]): string {
  return names.map((n) => `${n}=`).join('&');
}

/** Why the path cannot be called, or `undefined` when it can. */
export function checkPath(path: string): string | undefined {
  if (!path.startsWith('/')) return 'the path must start with /';
  const left = templateParams(path);
  if (left.length > 0) return `fill in ${left.map((p) => `{${p}}`).join(', ')}`;
  if (/\s/.test(path)) return 'the path must not contain blanks';
  return undefined;
}

/** Why the body is not JSON, or `undefined` when it is (or empty). */
export function checkBody(body: string): string | undefined {
  if (body.trim() === '') return undefined;
  try {
    JSON.parse(body);
    return undefined;
  } catch (e) {
    return `the body is not JSON: ${(e as Error).message}`;
  }
}

/** The `k=v` pairs of a query; pairs without a value are dropped. */
export function queryPairs(query: string): [string, string][] {
  return query
    .replace(/^\?/, '')
    .split('&')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.endsWith('=') && p.includes('='))
    .map((p) => {
      const at = p.indexOf('=');
      return [p.slice(0, at), p.slice(at + 1)];
    });
}

/** The invoke action of a lens with the user's values filled in. */
export function filledAction(lens: Invocation, edit: InvokeEdit): Action {
  const action: Action = { ...lens.action, path: edit.path, query: queryPairs(edit.query) };
  delete action.json;
  if (edit.body.trim() !== '') action.json = JSON.stringify(JSON.parse(edit.body));
  return action;
}

/** The text the output channel shows for one call (`line`: the command line the server gave). */
export function formatReply(line: string, stdout: string, stderr: string, code: number | null): string {
  const parts = [`$ ${line}`];
  if (stdout !== '') parts.push(stdout.replace(/\n$/, ''));
  if (stderr !== '') parts.push(stderr.replace(/\n$/, ''));
  parts.push(code === 0 ? '[done]' : `[exit code ${code ?? 'killed'}]`);
  return parts.join('\n') + '\n';
}
