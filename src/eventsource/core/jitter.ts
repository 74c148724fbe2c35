/**
 * Jitter: a tick's delivery is delayed by a pseudo-random amount in [0, jitter), spreading schedules that share a
 * fire time (every `0 * * * *` of a thousand schedules) over the jitter window. The amount is derived from the tick
 * itself (a hash of schedule name, generation and scheduled time), not drawn at random, so every replay of an
 * orchestration computes the same delay. Only the send is delayed: the event's `time` and id stay those of the
 * scheduled time.
 */
import { createHash } from 'node:crypto';

const DOMAIN = 'durable-event-source/jitter/v1';
const SPAN = 2 ** 48;

/** The delay (whole ms, 0 <= delay < jitterMs; 0 when jitterMs is 0) of the tick of `name`/`generation` at `scheduledMs`. */
export function jitterDelay(jitterMs: number, name: string, generation: string, scheduledMs: number): number {
  if (!(jitterMs > 0)) return 0;
  const digest = createHash('sha256').update(`${DOMAIN}\n${name}\n${generation}\n${new Date(scheduledMs).toISOString()}`).digest();
  const fraction = digest.readUIntBE(0, 6) / SPAN; // 48 bits: exact in a double, uniform in [0, 1)
  return Math.min(Math.floor(fraction * Math.floor(jitterMs)), Math.floor(jitterMs) - 1);
}
