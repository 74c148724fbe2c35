/**
 * A tick whose sink is known down (the delivery activity answered `sinkDown`, nothing was sent): it spends no
 * attempt, is never given up or dead-lettered for it, comes back after the probe interval instead of the back-off or
 * the park, and a manual or backfilled event keeps its place in the queue.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterTick,
  countsAsAttempt,
  newScheduleState,
  nextStep,
  probeWait,
  retryAfter,
  type DeliveryResult,
} from '../../../src/eventsource/core/schedule-state.js';
import { checkScheduleState } from '../../../src/eventsource/core/schedule-schema.js';
import { tickOutcomeOf } from '../../../src/eventsource/observability/tick-report.js';
import { TEN_SECONDS } from '../../support/specs.js';

const t0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const SINK_DOWN: DeliveryResult = { ok: false, reason: 'sink http://127.0.0.1:1 is down', retryable: true, sinkDown: true, sinkDownRetryMs: 1_000 };
const HTTP_503: DeliveryResult = { ok: false, status: 503, reason: 'HTTP 503', retryable: true };
/** A probe (a real attempt) that failed while the origin is down: an attempt like any other, but parked only briefly. */
const PROBE_503: DeliveryResult = { ...HTTP_503, sinkDownRetryMs: 1_000 };

test('a "sink down" answer spends no attempt and comes back after the probe interval, even past the last attempt', () => {
  const state = newScheduleState('default', TEN_SECONDS, t0);
  assert.equal(countsAsAttempt(SINK_DOWN), false);
  assert.equal(countsAsAttempt(HTTP_503), true);
  assert.equal(countsAsAttempt({ ok: true, status: 200 }), true);
  // TEN_SECONDS has 3 attempts: a real failure on the third ends the tick; "sink down" does not.
  assert.equal(retryAfter(state, 3, HTTP_503), undefined);
  assert.equal(retryAfter(state, 3, SINK_DOWN, 0), 1_000);
  assert.equal(retryAfter(state, 1, SINK_DOWN, 5_000), 1_000, 'not the back-off');
  // Within one execution for up to 30 s (or maxBackoff if longer), which bounds its history; then the tick is kept.
  assert.equal(retryAfter(state, 1, SINK_DOWN, 29_000), 1_000);
  assert.equal(retryAfter(state, 1, SINK_DOWN, 29_001), undefined);
  const shortBackoff = { ...state, spec: { ...state.spec, delivery: { ...state.spec.delivery, maxBackoffMs: 500 } } };
  assert.equal(retryAfter(shortBackoff, 1, SINK_DOWN, 20_000), 500, 'waits at most maxBackoff, rides 30 s all the same');
  assert.equal(retryAfter(shortBackoff, 1, SINK_DOWN, 29_600), undefined);
  assert.equal(tickOutcomeOf(SINK_DOWN, true), undefined, 'never counted as the tick failing, even on its last attempt');
  assert.equal(countsAsAttempt(PROBE_503), true, 'a probe is a real attempt');
  assert.equal(retryAfter(state, 3, PROBE_503), undefined);
});

test('a failed probe (a real attempt while the origin is down) comes back after the probe interval, not the back-off', () => {
  // Found by the bench's sink outage (200 schedules, 503 for 20 s): the ticks that happened to probe sat out their
  // exponential back-off (4 s, 8 s, ...) after the sink had recovered, while every other schedule went on at once.
  const state = newScheduleState('default', TEN_SECONDS, t0);
  const delay = retryAfter(state, 2, PROBE_503);
  assert.equal(delay, 2_000, 'its back-off (the second of 3 attempts: 2 s), as for any failure');
  assert.deepEqual(probeWait(state, PROBE_503, 2_000, 50_000), { waitMs: 1_000, probeNotBefore: 52_000 }, 'back after the probe interval; no probe of its own before its back-off is over');
  assert.deepEqual(probeWait(state, PROBE_503, 800, 50_000), { waitMs: 800 }, 'never later than its back-off');
  assert.deepEqual(probeWait(state, HTTP_503, 2_000, 50_000), { waitMs: 2_000 }, 'a plain failure (the origin up) backs off');
  assert.deepEqual(probeWait(state, SINK_DOWN, 1_000, 50_000), { waitMs: 1_000 }, 'not sent: the probe interval retryAfter gave');
  assert.equal(retryAfter(state, 3, PROBE_503), undefined, 'its attempts are spent all the same: kept, and parked briefly');
});

test('paused: the schedule\'s own tick stops waiting for the sink (it is kept); a manual trigger still does', () => {
  const paused = { ...newScheduleState('default', TEN_SECONDS, t0), paused: { note: 'x', since: t0.toISOString() } };
  const own = { scheduleName: 'default', generation: t0.toISOString(), sequence: 1, scheduledTime: t0.toISOString() };
  assert.equal(retryAfter(paused, 1, SINK_DOWN, 0, own), undefined);
  assert.equal(retryAfter(paused, 1, SINK_DOWN, 0, { ...own, sequence: 0, trigger: 'manual', requestId: 'r' }), 1_000);
});

test('a kept tick whose sink is down is tried again after the probe interval, not after the 30 s park, with the same sequence', () => {
  const fresh = newScheduleState('default', TEN_SECONDS, t0);
  const first = nextStep(fresh, at(0));
  const step = nextStep(first.state, at(10_000));
  assert.equal(step.kind, 'deliver');
  if (step.kind !== 'deliver') return;
  const kept = afterTick(step.state, step.tick, 1, SINK_DOWN, at(40_000), at(10_000));
  assert.equal(kept.retryNotBefore, at(41_000).toISOString());
  assert.equal(kept.pendingSince, at(10_000).toISOString(), 'sent once (one real attempt): pending, never skipped');
  // Never sent at all (every answer "sink down"): not pending; it comes back as a tick not sent yet, same sequence.
  const unsent = afterTick(step.state, step.tick, 0, SINK_DOWN, at(40_000), at(10_000));
  assert.equal(unsent.pendingSince, undefined);
  assert.equal(unsent.retryNotBefore, at(41_000).toISOString());
  assert.deepEqual([unsent.recent, unsent.counters, unsent.lastDelivery], [step.state.recent, step.state.counters, step.state.lastDelivery], 'nothing recorded as a delivery');
  // The next execution takes it as its input: a state the orchestrator's input check accepts (found by the simulation:
  // a recent entry with 0 attempts failed the schedule).
  assert.ok(checkScheduleState(unsent, 'default', 'schedule-default').ok);
  const back = nextStep(unsent, at(41_000));
  assert.deepEqual(back.kind === 'deliver' && back.tick, step.tick);
  const again = nextStep(kept, at(41_000));
  assert.equal(again.kind, 'deliver');
  assert.deepEqual(again.kind === 'deliver' && again.tick, step.tick);
  // A real failure still parks for maxBackoff; a failed probe (the origin is down) for the probe interval only.
  assert.equal(afterTick(step.state, step.tick, 3, HTTP_503, at(40_000), at(10_000)).retryNotBefore, at(70_000).toISOString());
  assert.equal(afterTick(step.state, step.tick, 3, PROBE_503, at(40_000), at(10_000)).retryNotBefore, at(41_000).toISOString());
});

test('a manual trigger that was never sent (sink down) stays at the head of the queue, uncounted', () => {
  const fresh = nextStep(newScheduleState('default', TEN_SECONDS, t0), at(0)).state;
  const queued = { ...fresh, queue: [{ kind: 'manual' as const, requestId: 'r-1', time: at(1_000).toISOString() }] };
  const step = nextStep(queued, at(1_000));
  assert.equal(step.kind === 'deliver' && step.tick.trigger, 'manual');
  if (step.kind !== 'deliver') return;
  const after = afterTick(step.state, step.tick, 0, SINK_DOWN, at(31_000), at(1_000));
  assert.deepEqual(after.queue, queued.queue);
  assert.deepEqual(after.counters, queued.counters);
  // A real failure ends a manual event as before.
  assert.deepEqual(afterTick(step.state, step.tick, 3, HTTP_503, at(31_000), at(1_000)).queue, []);
});
