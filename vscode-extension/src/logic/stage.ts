/**
 * The active stage. The status bar shows it; switching it re-computes diagnostics and lenses.
 *
 * Contract with the server (documented in README.md):
 * - at start, `initializationOptions: {"stage": "<stage>"}`;
 * - on a switch, `workspace/didChangeConfiguration` with `{"settings": {"coworks": {"stage": "<stage>"}}}`;
 *   when the server does not announce it handles that (`capabilities.experimental.coworks.stageChange`
 *   is `"didChangeConfiguration"`), the extension restarts it with the new initialization options.
 * - the stages come from the custom request `coworks/stages` when the server lists it in
 *   `capabilities.experimental.coworks.customRequests` (answer: `{"active", "stages": [{"name",
 *   "production"}]}`), or from `capabilities.experimental.coworks.stages`; else from what the
 *   server's answers mention (lens arguments, entries' `stages` in `coworks/routes`).
 */

/** The custom request listing the stages. */
export const STAGES_REQUEST = 'coworks/stages';

/** What the server said about one stage. */
export interface StageInfo {
  name: string;
  production?: boolean;
}

/** How a stage switch reaches the server. */
export type SwitchAction = 'notify' | 'restart';

/** The `initializationOptions` the client starts the server with. */
export function initializationOptions(stage: string | undefined): { stage?: string } {
  return stage ? { stage } : {};
}

/** The `workspace/didChangeConfiguration` parameters for a stage. */
export function configurationChange(stage: string): { settings: { coworks: { stage: string } } } {
  return { settings: { coworks: { stage } } };
}

function coworksExperimental(capabilities: unknown): Record<string, unknown> | undefined {
  const exp = (capabilities as { experimental?: { coworks?: unknown } } | undefined)?.experimental?.coworks;
  return exp && typeof exp === 'object' ? (exp as Record<string, unknown>) : undefined;
}

/** Whether the server applies a stage switch sent as a configuration change (else: restart). */
export function switchAction(capabilities: unknown): SwitchAction {
  return coworksExperimental(capabilities)?.stageChange === 'didChangeConfiguration' ? 'notify' : 'restart';
}

/** Whether the server answers a custom request (listed in `experimental.coworks.customRequests`). */
export function hasCustomRequest(capabilities: unknown, method: string): boolean {
  const list = coworksExperimental(capabilities)?.customRequests;
  return Array.isArray(list) && list.includes(method);
}

/** The stages the server announced in its capabilities, if it did. */
export function announcedStages(capabilities: unknown): StageInfo[] | undefined {
  return stageList(coworksExperimental(capabilities)?.stages);
}

/** The answer of `coworks/stages`: the stages and the one the server uses now. */
export function stagesAnswer(answer: unknown): { active?: string; stages: StageInfo[] } | undefined {
  if (!answer || typeof answer !== 'object') return undefined;
  const o = answer as { active?: unknown; stages?: unknown };
  const stages = stageList(o.stages);
  if (!stages) return undefined;
  return typeof o.active === 'string' ? { active: o.active, stages } : { stages };
}

function stageList(list: unknown): StageInfo[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: StageInfo[] = [];
  for (const s of list) {
    if (typeof s === 'string') out.push({ name: s });
    else if (s && typeof s === 'object' && typeof (s as StageInfo).name === 'string') {
      const info: StageInfo = { name: (s as StageInfo).name };
      if (typeof (s as StageInfo).production === 'boolean') info.production = (s as StageInfo).production;
      out.push(info);
    }
  }
  return out;
}

/** The stages and the active one. */
export class Stages {
  private known = new Map<string, StageInfo>();
  private announced = false;

  /** @param current the active stage (`undefined`: the server's default, its first stage). */
  constructor(public current: string | undefined) {}

  /** Replaces what is known by what the server announced. */
  announce(list: readonly StageInfo[]): void {
    this.known.clear();
    for (const s of list) this.known.set(s.name, { ...s });
    this.announced = true;
  }

  /** Whether the server gave the complete list (then no other stage can be typed). */
  get complete(): boolean {
    return this.announced;
  }

  /** Learns a stage from a server answer (unless the server announced the list). */
  learn(name: string | null | undefined, production?: boolean): void {
    if (!name) return;
    const had = this.known.get(name);
    if (had) {
      if (production !== undefined) had.production = production;
    } else if (!this.announced) {
      this.known.set(name, production === undefined ? { name } : { name, production });
    }
  }

  /** Learns the stages `coworks/routes` mentions (entries limited to stages). */
  learnFromRoutes(routes: { services?: { entries?: { stages?: unknown }[] }[] }): void {
    for (const s of routes.services ?? []) {
      for (const e of s.entries ?? []) {
        if (Array.isArray(e.stages)) for (const st of e.stages) if (typeof st === 'string') this.learn(st);
      }
    }
  }

  /** The stages to offer, sorted as announced (or by name), the active one included. */
  list(): StageInfo[] {
    const out = [...this.known.values()];
    if (!this.announced) out.sort((a, b) => a.name.localeCompare(b.name));
    if (this.current && !this.known.has(this.current)) out.unshift({ name: this.current });
    return out;
  }

  /** Whether a stage is production, when the server told (announced list or lens arguments). */
  isProduction(stage: string): boolean | undefined {
    return this.known.get(stage)?.production;
  }

  /** Switches; `false` when it is already the active stage. */
  switchTo(stage: string): boolean {
    if (stage === this.current) return false;
    this.current = stage;
    this.learn(stage);
    return true;
  }

  /** The status bar text. */
  label(): string {
    const prod = this.current && this.known.get(this.current)?.production ? ' (production)' : '';
    return `$(cloud) ${this.current ?? 'default stage'}${prod}`;
  }
}

/** Stage names as `project.cws.yml` allows them: letters, digits, `-` and `_`. */
export function checkStageName(name: string): string | undefined {
  return /^[A-Za-z0-9_-]+$/.test(name) ? undefined : 'a stage name uses letters, digits, - and _';
}
