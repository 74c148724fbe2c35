/**
 * The reference model: what the README promises about each schedule, kept from the API's answers only (never from
 * the app's state). A schedule name has lifetimes (create → delete); each has its generation, its specs over time,
 * its pauses, and the triggers and backfills it was asked for. invariants.ts checks the sink's history against it.
 */
export type CatchUpPolicy = 'all' | 'latest' | 'skip';

export interface SpecInForce {
  /** Virtual time of the answer that set it. */
  from: number;
  /** Its place among the model's changes (several calls may answer at one virtual time; they apply in call order). */
  order?: number;
  everyMs: number;
  policy: CatchUpPolicy;
}

export interface Pause {
  from: number;
  to?: number;
  /** The resume's place among the model's changes (see SpecInForce.order). */
  toOrder?: number;
}

export interface Lifetime {
  name: string;
  generation?: string;
  instanceId?: string;
  createdAt: number;
  deletedAt?: number;
  specs: SpecInForce[];
  pauses: Pause[];
  /** Manual trigger ids the API answered, with when. */
  triggers: Map<string, number>;
  backfills: Array<{ at: number; from: number; to: number }>;
  /** A state-changing call's answer was lost or unclear from here on: only the checks that hold whatever it did run. */
  uncertainFrom?: number;
}

/** Promised bounds (virtual ms), from the README and issue #16. */
export const BOUNDS = {
  /** A pause (or resume) is applied this long after its 202 at most: the attempt in flight may finish. */
  eventApplied: 2_000,
  /** A tick less than this late counts as on time (catch-up `skip`), so it may still go out after a resume. */
  onTime: 5_000,
  /** After the last call, the sink healthy, this much virtual time lets every owed tick arrive. */
  drain: 30_000,
};

export class Model {
  readonly lifetimes: Lifetime[] = [];
  private changes = 0;

  current(name: string): Lifetime | undefined {
    const last = [...this.lifetimes].reverse().find((l) => l.name === name);
    return last && last.deletedAt === undefined ? last : undefined;
  }

  created(name: string, at: number, spec: Omit<SpecInForce, 'from'>): Lifetime {
    const life: Lifetime = { name, createdAt: at, specs: [{ ...spec, from: at, order: ++this.changes }], pauses: [], triggers: new Map(), backfills: [] };
    this.lifetimes.push(life);
    return life;
  }

  replaced(life: Lifetime, at: number, spec: Omit<SpecInForce, 'from'>): void {
    life.specs.push({ ...spec, from: at, order: ++this.changes });
  }

  paused(life: Lifetime, at: number): void {
    if (!this.isPaused(life)) life.pauses.push({ from: at });
  }

  resumed(life: Lifetime, at: number): void {
    const open = life.pauses[life.pauses.length - 1];
    if (open && open.to === undefined) {
      open.to = at;
      open.toOrder = ++this.changes;
    }
  }

  isPaused(life: Lifetime): boolean {
    const last = life.pauses[life.pauses.length - 1];
    return last !== undefined && last.to === undefined;
  }

  /** The spec in force when pause `p` ended: the last one set before its resume (by time, then by call order). */
  specAtResume(life: Lifetime, p: Pause): SpecInForce | undefined {
    const to = p.to ?? Infinity;
    return [...life.specs].reverse().find((s) => s.from < to || (s.from === to && (s.order ?? 0) < (p.toOrder ?? Infinity)));
  }

  uncertain(life: Lifetime, at: number): void {
    life.uncertainFrom ??= at;
  }

  /** The spec in force for a tick at `time`, and whether `time` is near a change (either grid may apply there). */
  specAt(life: Lifetime, time: number): { spec: SpecInForce; nearChange: boolean } {
    let index = 0;
    life.specs.forEach((s, i) => {
      if (s.from <= time) index = i;
    });
    const spec = life.specs[index] as SpecInForce;
    const previous = life.specs[index - 1];
    const settle = (previous?.everyMs ?? 0) + spec.everyMs + BOUNDS.eventApplied;
    const next = life.specs[index + 1];
    const nearChange = (index > 0 && time < spec.from + settle) || (next !== undefined && time > next.from - spec.everyMs - BOUNDS.eventApplied);
    return { spec, nearChange };
  }
}
