/**
 * What the delivery activity is given for one attempt, and where it posts. The orchestrator passes the tick plus
 * what only it knows: whether this is the tick's last attempt, and the schedule's own sink and delivery policy
 * (absent: the environment's K_SINK, DELIVERY_TIMEOUT, DEAD_LETTER_SINK).
 */
import type { SpecEvent } from '../core/normalized-spec.js';
import type { TickInput } from '../core/schedule-state.js';
import { checkSink } from './sink-guard.js';

export interface TickRequest extends TickInput {
  /** This attempt is the tick's last (attempts >= maxAttempts): a failure ends the tick, to the dead-letter sink if set. */
  lastAttempt?: boolean;
  /** The schedule's own event attributes and data; absent: the environment's CE_* and K_CE_OVERRIDES. */
  event?: SpecEvent;
  /** The schedule's own sink; absent: K_SINK. */
  sink?: string;
  /** The schedule's own OIDC token file (a name in SINK_OIDC_TOKENS_DIR); absent: K_SINK's token to K_SINK's origin only. */
  oidcTokenFile?: string;
  /**
   * The schedule's delivery policy (core/delivery-policy.ts), as far as one attempt needs it: its timeoutMs as
   * `timeout`, the field name activity inputs already in flight carry.
   */
  delivery?: { timeout: number; deadLetterSink?: string };
  /**
   * false: this attempt may not be the sink breaker's probe (the tick's own probe failed and its back-off is not over);
   * while the sink is down it is answered "sink down" at once. Absent: it may.
   */
  mayProbe?: boolean;
  /** Which attempt of the tick this is in its execution, from 1 (a span attribute). */
  attempt?: number;
  /** The orchestration's time when it sent this attempt (ISO): overload warnings are rate-limited on it. */
  dispatchedAt?: string;
  /** The first attempt of a scheduled tick: dispatch time minus scheduled time (ms), the tick's lateness. */
  lateMs?: number;
  /** Ticks the schedule skipped since its last request, for the metrics (skips are decided in replayed code). */
  skipped?: number;
  /** Of `skipped`, the ticks a pause or a restart held back on purpose: counted, but no sign of overload. */
  skippedOnPurpose?: number;
}

interface SinkDefaults {
  sink: URL;
  timeoutMs: number;
  deadLetterSink?: URL;
  allowlist: readonly string[];
}

interface Targets {
  sink: URL;
  timeoutMs: number;
  deadLetterSink?: URL;
}

/**
 * The sink, dead-letter sink and timeout of one attempt. A schedule's own sink and dead-letter sink are checked
 * against the allowlist again here, although the schedule's schema checked them when it was accepted: anyone with
 * a Durable API key can start an orchestration with any state. The environment's own sinks need no entry.
 */
export function targetsOf(request: TickRequest, defaults: SinkDefaults): { ok: true; targets: Targets } | { ok: false; problem: string } {
  let sink = defaults.sink;
  if (request.sink !== undefined) {
    const checked = checkSink(request.sink, defaults.allowlist);
    if (!checked.ok) return { ok: false, problem: `sink: ${checked.problem}` };
    sink = checked.url;
  }
  let deadLetterSink = defaults.deadLetterSink;
  const own = request.delivery?.deadLetterSink;
  if (own !== undefined) {
    const checked = checkSink(own, defaults.allowlist);
    if (!checked.ok) return { ok: false, problem: `deadLetterSink: ${checked.problem}` };
    deadLetterSink = checked.url;
  }
  const timeoutMs = request.delivery?.timeout ?? defaults.timeoutMs;
  return { ok: true, targets: { sink, timeoutMs, ...(deadLetterSink !== undefined ? { deadLetterSink } : {}) } };
}
