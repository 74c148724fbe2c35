/** A schedule state of the version before the schedules file, read across the upgrade. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkScheduleState } from '../../../src/eventsource/core/schedule-schema.js';
import { upgradeLegacyState } from '../../../src/eventsource/core/legacy-state.js';
import { unreportedSkips } from '../../../src/eventsource/core/schedule-state.js';
import { fireAt } from '../../../src/eventsource/core/schedule-state.js';
import { nextTick } from '../../../src/eventsource/core/fire-times.js';
import { timelineOf } from '../../../src/eventsource/core/schedule-state.js';

/** As that version's orchestrator carried its state (src/eventsource/schedule-state.ts at the last stop). */
const legacy = {
  name: 'default',
  spec: { schedule: '2s', timeZone: 'UTC', catchUpWindowMs: 60_000, retry: { maxAttempts: 5, backoffPolicy: 'exponential', backoffDelayMs: 1_000, maxBackoffMs: 30_000 } },
  generation: '2026-11-30T16:20:53.001Z',
  sequence: 31,
  nextFireTime: '2026-11-30T16:21:53.349Z',
  skippedTicks: 2,
  rejectedTicks: 1,
  lastDelivery: { sequence: 30, id: '29ba5e3f-8387-5428-b95b-e630d5186503', scheduledTime: '2026-11-30T16:21:51.349Z', outcome: 'delivered', status: 200, attempts: 1 },
};

test('an old state keeps its generation, sequence, next tick and counters; its interval keeps the next tick\'s phase', () => {
  const checked = checkScheduleState(legacy, 'default', 'schedule-default');
  assert.ok(checked.ok, checked.ok ? '' : checked.problem);
  const state = checked.value;
  assert.equal(state.generation, legacy.generation);
  assert.equal(state.sequence, 31);
  assert.equal(state.nextFireTime, legacy.nextFireTime);
  assert.deepEqual([state.counters.skipped, state.counters.rejected], [2, 1]);
  assert.equal(unreportedSkips(state), 0, 'the skips before the upgrade are not counted in the metrics as new');
  assert.equal(state.lastDelivery?.sequence, 30);
  assert.deepEqual(state.spec.trigger, { kind: 'every', everyMs: 2_000, offsetMs: Date.parse(legacy.nextFireTime) % 2_000 });
  assert.equal(state.spec.delivery.retry, 4, 'five attempts: four retries');
  assert.equal(state.spec.catchUp.windowMs, 60_000);
  // The tick after the next one is one interval later, as before the upgrade.
  const after = nextTick(timelineOf(state), Date.parse(legacy.nextFireTime));
  assert.equal(after, Date.parse(legacy.nextFireTime) + 2_000);
  assert.equal(fireAt(state, Date.parse(legacy.nextFireTime)), Date.parse(legacy.nextFireTime), 'no jitter');
});

test('a cron state keeps its expression and zone; a state that is neither old nor new is still refused, naming the field', () => {
  const cron = { ...legacy, spec: { ...legacy.spec, schedule: '0 30 2 * * *', timeZone: 'Europe/Berlin' } };
  const checked = checkScheduleState(cron, 'default', 'schedule-default');
  assert.ok(checked.ok);
  assert.deepEqual(checked.value.spec.trigger, { kind: 'cron', expression: '0 30 2 * * *', timeZone: 'Europe/Berlin' });

  assert.equal(upgradeLegacyState({ ...legacy, spec: { ...legacy.spec, schedule: 'every now and then' } }), undefined);
  const forged = checkScheduleState({ ...legacy, spec: { ...legacy.spec, schedule: 'nonsense' } }, 'default', 'schedule-default');
  assert.equal(forged.ok, false);
  const otherName = checkScheduleState(legacy, 'other', 'schedule-other');
  assert.ok(!otherName.ok && /name/.test(otherName.problem), 'the name must still belong to the instance');
});
