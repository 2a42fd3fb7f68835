/** Event columns a goal may test besides `ename` (config.ts offers exactly these; stores quote only these into SQL). */
export const GOAL_FIELDS = ['etyp', 'url', 'outcome', 'sink', 'app', 'rel', 'ptyp', 'content', 'campaign', 'source', 'medium', 'aff', 'rcode', 'host', 'channel'] as const;
export type GoalField = (typeof GOAL_FIELDS)[number];

/** What results are computed from: a store counts, experiments/results.ts does the statistics. */
export interface ExperimentQuery {
  readonly experiment: string;
  /** The event column that identifies a unit when joining its goals: "sid" for session experiments, else "vid". */
  readonly key: 'vid' | 'sid';
  /** Exposures from this time on (the experiment's start); a store that reads by day needs a first day. */
  readonly since?: Date;
  readonly goals: readonly { readonly name: string; readonly ename: string; readonly field?: GoalField; readonly equals?: string }[];
}

export interface ExperimentCounts {
  /** Units counted, by variant (`split`). */
  readonly units: Readonly<Record<string, number>>;
  /** Units that converted after their exposure, by goal, then variant. */
  readonly conversions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Units left out: QA overrides, units seen in more than one variant (a ramp moved them), bots. */
  readonly excluded: { readonly override: number; readonly moved: number; readonly bots: number };
}
