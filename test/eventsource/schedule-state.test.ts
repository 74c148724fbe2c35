import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterTick,
  newScheduleState,
  nextStep,
  stateFromStatus,
  statusOf,
  withSpec,
  type ScheduleSpec,
  type ScheduleState,
} from '../../src/eventsource/schedule-state.js';
import { reconcile } from '../../src/eventsource/schedule-reconcile.js';
import { originKeyFrom, originMarker } from '../../src/eventsource/schedule-origin.js';
import { eventId } from '../../src/eventsource/event.js';

const spec: ScheduleSpec = {
  schedule: '10s',
  timeZone: 'UTC',
  catchUpWindowMs: 60_000,
  retry: { maxAttempts: 3, backoffPolicy: 'exponential', backoffDelayMs: 1_000, maxBackoffMs: 30_000 },
};
const t0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

function deliverStep(state: ScheduleState, now: Date) {
  const step = nextStep(state, now);
  assert.equal(step.kind, 'deliver', `expected a delivery at ${now.toISOString()}, got ${step.kind}`);
  if (step.kind !== 'deliver') throw new Error('unreachable');
  return step;
}

test('a new schedule anchors its first tick one interval after the orchestration starts', () => {
  const step = nextStep(newScheduleState('default', spec, t0), t0);
  assert.deepEqual(step.kind, 'wait');
  if (step.kind !== 'wait') return;
  assert.equal(step.until.toISOString(), at(10_000).toISOString());
  assert.equal(step.state.nextFireTime, at(10_000).toISOString());
});

test('ticks are fixed-rate: the next fire time comes from the scheduled time, not from when delivery ended', () => {
  let state = newScheduleState('default', spec, t0);
  const wait = nextStep(state, t0);
  if (wait.kind !== 'wait') throw new Error('expected wait');
  state = wait.state;
  // Delivery happens 2.7 s late and takes a while: the following tick is still exactly 10 s after the first.
  const step = deliverStep(state, at(12_700));
  assert.equal(step.tick.scheduledTime, at(10_000).toISOString());
  assert.equal(step.tick.sequence, 1);
  const next = afterTick(step.state, step.tick, 1, { ok: true, status: 202 }, at(13_900));
  assert.equal(next.nextFireTime, at(20_000).toISOString());
  assert.equal(next.sequence, 2);
  assert.deepEqual(next.lastDelivery, {
    sequence: 1,
    id: eventId(step.tick),
    scheduledTime: at(10_000).toISOString(),
    attempts: 1,
    status: 202,
    outcome: 'delivered',
  });
});

test('missed ticks inside the catch-up window are delivered late and in order; older ones are skipped and counted', () => {
  let state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: at(10_000).toISOString() };
  // The host was down for 100 s: ticks at 10..40 s are older than the 60 s window at t=100 s.
  const now = at(100_000);
  const first = deliverStep(state, now);
  assert.equal(first.tick.scheduledTime, at(40_000).toISOString());
  assert.equal(first.state.skippedTicks, 3);
  state = afterTick(first.state, first.tick, 1, { ok: true, status: 200 }, now);
  const sequences: number[] = [first.tick.sequence];
  const times: string[] = [first.tick.scheduledTime];
  for (;;) {
    const step = nextStep(state, now);
    if (step.kind !== 'deliver') break;
    sequences.push(step.tick.sequence);
    times.push(step.tick.scheduledTime);
    state = afterTick(step.state, step.tick, 1, { ok: true, status: 200 }, now);
  }
  assert.deepEqual(sequences, [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(times, [40, 50, 60, 70, 80, 90, 100].map((s) => at(s * 1000).toISOString()));
  assert.equal(state.skippedTicks, 3);
});

test('a tick whose retries ran out is kept, retried after a pause, and keeps its sequence and id', () => {
  const state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: at(10_000).toISOString() };
  const step = deliverStep(state, at(10_000));
  const failed = afterTick(step.state, step.tick, 3, { ok: false, status: 503, reason: 'HTTP 503', retryable: true }, at(17_000));
  assert.equal(failed.sequence, 1, 'sequence not consumed');
  assert.equal(failed.nextFireTime, at(10_000).toISOString(), 'same tick again');
  assert.equal(failed.lastDelivery?.outcome, 'failed');
  const pause = nextStep(failed, at(17_000));
  assert.equal(pause.kind, 'wait');
  if (pause.kind === 'wait') assert.equal(pause.until.toISOString(), at(47_000).toISOString());
  const again = deliverStep(failed, at(47_000));
  assert.equal(eventId(again.tick), eventId(step.tick));
});

test('a tick the sink refuses for good (non-retryable) is counted and the schedule moves on', () => {
  const state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: at(10_000).toISOString() };
  const step = deliverStep(state, at(10_000));
  const next = afterTick(step.state, step.tick, 1, { ok: false, status: 400, reason: 'HTTP 400', retryable: false }, at(10_100));
  assert.equal(next.sequence, 2);
  assert.equal(next.rejectedTicks, 1);
  assert.equal(next.nextFireTime, at(20_000).toISOString());
  assert.equal(next.lastDelivery?.outcome, 'rejected');
});

test('a changed spec keeps sequence and generation and reckons the next tick from the last scheduled one', () => {
  const state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: at(10_000).toISOString() };
  const step = deliverStep(state, at(10_000));
  const delivered = afterTick(step.state, step.tick, 1, { ok: true, status: 200 }, at(10_050));
  const changed = withSpec(delivered, { ...spec, schedule: '1m' }, at(15_000));
  assert.equal(changed.sequence, 2);
  assert.equal(changed.generation, state.generation);
  assert.equal(changed.nextFireTime, at(70_000).toISOString());
});

test('reconcile: starts a missing schedule, leaves a running one alone, reschedules a changed one, restarts an ended one where it stopped', () => {
  const originKey = originKeyFrom('test secret');
  const marker = (name: string, generation: string): string => originMarker(originKey, name, generation);
  const base = { name: 'default', spec, originKey };
  const fresh = reconcile({ ...base, observed: undefined, now: t0 });
  assert.equal(fresh.action, 'start');
  const running = { ...newScheduleState('default', spec, t0, marker), sequence: 42, nextFireTime: at(10_000).toISOString() };
  const custom = statusOf(running);
  assert.deepEqual(reconcile({ ...base, observed: { runtimeStatus: 'Running', customStatus: custom }, now: t0 }), { action: 'none', runtimeStatus: 'Running' });
  assert.deepEqual(reconcile({ ...base, observed: { runtimeStatus: 'Suspended', customStatus: custom }, now: t0 }), { action: 'none', runtimeStatus: 'Suspended' });
  const changedSpec = { ...spec, schedule: '5s' };
  assert.deepEqual(reconcile({ ...base, spec: changedSpec, observed: { runtimeStatus: 'Running', customStatus: custom }, now: t0 }), { action: 'reschedule', spec: changedSpec });
  const restarted = reconcile({ ...base, observed: { runtimeStatus: 'Terminated', customStatus: custom }, now: at(5_000) });
  assert.equal(restarted.action, 'start');
  if (restarted.action === 'start') {
    assert.equal(restarted.why, 'restart');
    assert.equal(restarted.state.sequence, 42);
    assert.equal(restarted.state.generation, running.generation);
    assert.deepEqual(restarted.state, stateFromStatus(custom, spec, at(5_000)));
  }
});

test('regression: a tick that failed until it was older than the catch-up window is delivered late and never lends its id to a later tick', () => {
  let state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: at(10_000).toISOString() };
  const first = deliverStep(state, at(10_000));
  state = afterTick(first.state, first.tick, 3, { ok: false, reason: 'timeout after 10000 ms', retryable: true }, at(40_000));
  // The sink stays down: the same tick fails again and again until it is minutes old.
  // Each round fails 10 s after it starts and pauses DELIVERY_MAX_BACKOFF (30 s) before the next.
  for (const now of [70_000, 110_000, 150_000]) {
    const again = deliverStep(state, at(now));
    assert.equal(again.tick.scheduledTime, at(10_000).toISOString(), `at ${now} ms the attempted tick is retried, not skipped`);
    assert.equal(eventId(again.tick), eventId(first.tick));
    state = afterTick(again.state, again.tick, 3, { ok: false, reason: 'timeout after 10000 ms', retryable: true }, at(now + 10_000));
  }
  // The sink is back at 200 s: the attempted tick goes first, then the window applies to the ticks after it.
  const late = deliverStep(state, at(200_000));
  assert.equal(late.tick.scheduledTime, at(10_000).toISOString());
  state = afterTick(late.state, late.tick, 1, { ok: true, status: 200 }, at(200_000));
  const next = deliverStep(state, at(200_000));
  assert.equal(next.tick.sequence, 2);
  assert.equal(next.tick.scheduledTime, at(140_000).toISOString(), 'ticks older than 60 s after it are skipped');
  assert.equal(next.state.skippedTicks, 12);
  assert.notEqual(eventId(next.tick), eventId(first.tick));
});

test('regression: a changed spec does not drop a tick that is waiting for its retry', () => {
  let state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: at(10_000).toISOString() };
  const first = deliverStep(state, at(10_000));
  state = afterTick(first.state, first.tick, 3, { ok: false, status: 503, reason: 'HTTP 503', retryable: true }, at(17_000));
  const changed = withSpec(state, { ...spec, schedule: '1m' }, at(20_000));
  assert.equal(changed.nextFireTime, at(10_000).toISOString(), 'the failed tick is still next');
  assert.equal(changed.sequence, 1);
  const retried = deliverStep(changed, at(60_000));
  assert.equal(eventId(retried.tick), eventId(first.tick));
  const after = afterTick(retried.state, retried.tick, 1, { ok: true, status: 200 }, at(60_000));
  assert.equal(after.nextFireTime, at(70_000).toISOString(), 'the new 1m spec applies after it');
});
