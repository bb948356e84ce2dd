/**
 * The active stage. The server owns it; the extension shows what the server says and asks it to
 * switch.
 *
 * Contract with the server (documented in README.md):
 * - at start, `initializationOptions: {"stage": "<stage>", "debugLens": true}` (the stage last picked in this
 *   workspace, or the `coworks.stage` setting; the server uses it while the project defines it);
 * - the notification `coworks/stageChanged` and the answers of `coworks/stages` and
 *   `coworks/setStage` carry `{"root", "active", "stages": [{"name", "production"}]}`: the project
 *   root, the stage the server uses, and the project's stages in file order;
 * - a switch is the request `coworks/setStage` `{"stage": "<stage>"}`; an unknown stage is refused.
 */

/** The request listing the stages. */
export const STAGES_REQUEST = 'coworks/stages';
/** The request switching the stage. */
export const SET_STAGE_REQUEST = 'coworks/setStage';
/** The notification telling the active stage. */
export const STAGE_NOTIFICATION = 'coworks/stageChanged';

/** One stage of the project. */
export interface StageEntry {
  name: string;
  production: boolean;
}

/** What the server says about the project's stages. */
export interface ProjectStages {
  /** The project root (where `cws` runs). */
  root: string;
  /** The stage the server uses. */
  active: string;
  /** The project's stages in file order. */
  stages: StageEntry[];
}

/**
 * The `initializationOptions` the client starts the server with: the stage asked for, and
 * `debugLens` (the extension starts debug sessions, so the server adds the `Debug` lens).
 */
export function initializationOptions(stage: string | undefined): { stage?: string; debugLens: true } {
  return stage ? { stage, debugLens: true } : { debugLens: true };
}

/** Reads what the server said; `undefined` when it is not that. */
export function parseStages(answer: unknown): ProjectStages | undefined {
  if (!answer || typeof answer !== 'object') return undefined;
  const o = answer as Record<string, unknown>;
  if (typeof o.root !== 'string' || typeof o.active !== 'string' || !Array.isArray(o.stages)) return undefined;
  const stages: StageEntry[] = [];
  for (const s of o.stages) {
    if (s && typeof s === 'object' && typeof (s as StageEntry).name === 'string') {
      stages.push({ name: (s as StageEntry).name, production: (s as StageEntry).production === true });
    }
  }
  return { root: o.root, active: o.active, stages };
}

/** The stage the user asked for and what the server says. */
export class Stages {
  /** What the server said last. */
  told: ProjectStages | undefined;

  /** @param requested the stage the user picked (sent at start; the server may not have it). */
  constructor(public requested: string | undefined) {}

  /** Takes what the server said. */
  update(told: ProjectStages): void {
    this.told = told;
  }

  /** The active stage: the server's, else (before it spoke) the one asked for. */
  get current(): string | undefined {
    return this.told?.active ?? this.requested;
  }

  /** The project's stages, as the server listed them. */
  list(): StageEntry[] {
    return this.told?.stages ?? [];
  }

  /** Whether a stage is production, as the server said. */
  isProduction(stage: string): boolean {
    return this.list().some((s) => s.name === stage && s.production);
  }

  /** The status bar text. */
  label(): string {
    const current = this.current;
    const prod = current && this.isProduction(current) ? ' (production)' : '';
    return `$(cloud) ${current ?? 'default stage'}${prod}`;
  }
}
