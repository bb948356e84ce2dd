/**
 * Invoke: the user edits the path parameters, the query and the body of an entry before calling it,
 * and the reply is shown in an output channel. The command line follows `cws invoke`:
 * `cws invoke <service> <METHOD> <path> [--query k=v]... [--json '{...}'] -s <stage>`.
 */

import { shellLine } from './shell';

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

/** Methods that usually carry a body. */
export function takesBody(method: string): boolean {
  return ['POST', 'PUT', 'PATCH'].includes(method.toUpperCase());
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
export function queryPairs(query: string): string[] {
  return query
    .replace(/^\?/, '')
    .split('&')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.endsWith('=') && p.includes('='));
}

/**
 * The argument vector of an invocation after the user's edit: the route template of `base`
 * (`cws invoke <service> <METHOD> <template> ...`) replaced by the filled path, then `--query` and
 * `--json` options.
 */
export function invokeArgv(base: readonly string[], edit: InvokeEdit): string[] {
  const out = [...base];
  const at = out.findIndex((a, i) => i >= 3 && a.startsWith('/'));
  if (at >= 0) out[at] = edit.path;
  for (const p of queryPairs(edit.query)) out.push('--query', p);
  if (edit.body.trim() !== '') out.push('--json', JSON.stringify(JSON.parse(edit.body)));
  return out;
}

/** The text the output channel shows for one call. */
export function formatReply(argv: readonly string[], stdout: string, stderr: string, code: number | null): string {
  const parts = [`$ ${shellLine(argv)}`];
  if (stdout !== '') parts.push(stdout.replace(/\n$/, ''));
  if (stderr !== '') parts.push(stderr.replace(/\n$/, ''));
  parts.push(code === 0 ? '[done]' : `[exit code ${code ?? 'killed'}]`);
  return parts.join('\n') + '\n';
}
