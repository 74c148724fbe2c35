/**
 * What the worker has learnt about each sink origin, shared by every schedule that posts there: a circuit breaker
 * with a half-open probe. After FAILURES_TO_OPEN failures in a row that say the sink itself is away (no answer, or
 * 500/502/503/504), the origin is down: attempts to it are answered at once without a POST, except one real POST
 * (the probe) per probe interval. The first 2xx (probe or not) makes it up again. Pure: the caller passes the time.
 */

/** Consecutive sink-down failures (no success in between) that mark an origin down. */
export const FAILURES_TO_OPEN = 3;
/** Default time between two probes of a down origin, and the delay after which a tick answered "sink down" retries. */
const DEFAULT_PROBE_INTERVAL_MS = 1_000;

/**
 * Statuses that say the sink is away rather than that it refuses this one event. Not 500: a handler that fails on
 * every event is up, and its ticks go through their attempts to the dead-letter sink as Knative sends them.
 */
const DOWN_STATUSES = new Set([502, 503, 504]);

/** What one real attempt to the origin showed. */
type AttemptSignal = 'up' | 'down' | 'neutral';

/** An attempt's result as the breaker sees it: a 2xx is up; no answer, 502, 503 or 504 is down; the rest says nothing. */
export function signalOf(result: { ok: boolean; status?: number }): AttemptSignal {
  if (result.ok) return 'up';
  if (result.status === undefined) return 'down';
  return DOWN_STATUSES.has(result.status) ? 'down' : 'neutral';
}

export type Admission = { send: true; probe: boolean } | { send: false; since: number; lastReason: string };

interface OriginDown {
  origin: string;
  /** When it went down (epoch ms). */
  since: number;
  lastReason: string;
}

/** A change of an origin's state, for a log line. */
type Transition = { kind: 'down'; origin: string; reason: string } | { kind: 'up'; origin: string; downMs: number };

interface OriginState {
  failures: number;
  down?: { since: number; nextProbeAt: number; lastReason: string };
  /** Down time of earlier outages (ms); the current one is added when asked. */
  downMsBefore: number;
}

export class SinkBreaker {
  private readonly origins = new Map<string, OriginState>();

  constructor(readonly probeIntervalMs: number = DEFAULT_PROBE_INTERVAL_MS) {
    if (!Number.isSafeInteger(probeIntervalMs) || probeIntervalMs < 1) throw new RangeError(`probeIntervalMs must be a positive integer, got ${probeIntervalMs}`);
  }

  /**
   * Whether an attempt to `origin` at `now` makes a real POST (a probe, when the origin is down) or is answered at
   * once. One that may not probe (its own probe failed a moment ago) leaves the probe to another.
   */
  admit(origin: string, now: number, mayProbe = true): Admission {
    const down = this.origins.get(origin)?.down;
    if (down === undefined) return { send: true, probe: false };
    if (!mayProbe || now < down.nextProbeAt) return { send: false, since: down.since, lastReason: down.lastReason };
    down.nextProbeAt = now + this.probeIntervalMs;
    return { send: true, probe: true };
  }

  /** Records what a real attempt showed; returns the transition it caused, if any. */
  record(origin: string, signal: AttemptSignal, now: number, reason = ''): Transition | undefined {
    if (signal === 'neutral') return undefined;
    const state = this.origins.get(origin) ?? { failures: 0, downMsBefore: 0 };
    this.origins.set(origin, state);
    if (signal === 'up') {
      state.failures = 0;
      if (state.down === undefined) return undefined;
      const downMs = Math.max(0, now - state.down.since);
      state.downMsBefore += downMs;
      delete state.down;
      return { kind: 'up', origin, downMs };
    }
    state.failures += 1;
    if (state.down !== undefined) {
      state.down.lastReason = reason;
      return undefined;
    }
    if (state.failures < FAILURES_TO_OPEN) return undefined;
    state.down = { since: now, nextProbeAt: now + this.probeIntervalMs, lastReason: reason };
    return { kind: 'down', origin, reason };
  }

  isDown(origin: string): boolean {
    return this.origins.get(origin)?.down !== undefined;
  }

  /** The origins down now. */
  down(): OriginDown[] {
    const found: OriginDown[] = [];
    for (const [origin, state] of this.origins) {
      if (state.down !== undefined) found.push({ origin, since: state.down.since, lastReason: state.down.lastReason });
    }
    return found;
  }

  /** Every origin seen (up or down) with its total time down until `now`, in ms. */
  downTotals(now: number): Array<{ origin: string; up: boolean; downMs: number }> {
    return [...this.origins].map(([origin, state]) => ({
      origin,
      up: state.down === undefined,
      downMs: state.downMsBefore + (state.down === undefined ? 0 : Math.max(0, now - state.down.since)),
    }));
  }
}
