/**
 * The schedule's events end to end, on the embedded host's virtual clock with real loopback sinks: backfill (the
 * ids of the original ticks), trigger (its own id, trigger=manual) under each overlap policy while a tick is being
 * retried, pause with a note and resume (catch-up), an `at` schedule that completes, and the describe status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventId, manualEventId } from '../../src/eventsource/core/event.js';
import { newScheduleState } from '../../src/eventsource/core/schedule-state.js';
import { describeStatus, type ScheduleStatus } from '../../src/eventsource/core/schedule-status.js';
import type { RecordingSink } from '../support/recording-sink.js';
import { useAppEnvironment } from '../support/app-environment.js';
import { specOf } from '../support/specs.js';

const start = Date.UTC(2030, 0, 1, 0, 0, 0);
const MINUTE = 60_000;
const API = '/runtime/webhooks/durabletask';

const app = useAppEnvironment({ taskHubName: 'ScheduleOps', startTime: start, extraSinks: 1 });
const sink = app.sinks[0] as RecordingSink;
const flaky = app.sinks[1] as RecordingSink;

async function status(name: string): Promise<{ runtimeStatus: string; customStatus?: ScheduleStatus }> {
  return (await app.env.getJson<{ runtimeStatus: string; customStatus?: ScheduleStatus }>(`${API}/instances/schedule-${name}`)).body;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function raise(name: string, event: string, payload: unknown): Promise<void> {
  const reply = await app.env.postJson(`${API}/instances/schedule-${name}/raiseEvent/${event}`, payload);
  assert.equal(reply.status, 202, `${event}: ${JSON.stringify(reply.body)}`);
  // Let the host take the event at the current virtual instant.
  await app.env.advanceTime(0);
}

test('backfill sends the ticks of [from, to) again with their original ids; trigger sends one event with its own id', async () => {
  const first = Date.parse((await until('the first status', async () => (await status('default')).customStatus?.nextFireTime)));
  assert.equal(first, start + MINUTE);
  await app.env.advanceTime(3 * MINUTE);
  await sink.waitFor(3, 20_000);
  const originals = sink.events.slice(0, 3);
  const generation = (await status('default')).customStatus?.generation ?? '';

  await raise('default', 'backfill', { from: new Date(first).toISOString(), to: new Date(first + 3 * MINUTE).toISOString() });
  await sink.waitFor(6, 20_000);
  const backfilled = sink.events.slice(3, 6);
  assert.deepEqual(backfilled.map((e) => e.id), originals.map((e) => e.id), 'the ids the ticks had');
  assert.deepEqual(backfilled.map((e) => e.time), originals.map((e) => e.time));
  assert.ok(backfilled.every((e) => e.extensions['trigger'] === 'backfill' && Number(e.sequence) === 0));
  assert.deepEqual(originals.map((e) => e.id), originals.map((e) => eventId({ scheduleName: 'default', generation, scheduledTime: e.time })));

  await raise('default', 'trigger', { requestId: 'req-1' });
  await sink.waitFor(7, 20_000);
  const manual = sink.events[6]!;
  assert.equal(manual.extensions['trigger'], 'manual');
  assert.equal(manual.id, manualEventId({ scheduleName: 'default', generation, requestId: 'req-1' }));

  const described = (await status('default')).customStatus!;
  assert.deepEqual({ ...described.counters }, { delivered: 7, rejected: 0, failed: 0, deadLettered: 0, skipped: 0, triggered: 1, backfilled: 3 });
  assert.equal(described.nextSequence, 4, 'backfilled and manual events take no place in the sequence');
  assert.equal(described.recent[0]?.trigger, 'manual');
  const view = describeStatus(described);
  assert.equal(view.upcoming.length, 10);
  assert.equal((view.spec as { every?: string }).every, '1m');
});

test('pause with a note holds the schedule (it still answers events); resume catches up by the policy', async () => {
  const before = sink.events.length;
  await raise('default', 'pause', { note: 'maintenance window' });
  const paused = (await status('default')).customStatus!;
  assert.equal(paused.paused?.note, 'maintenance window');
  await app.env.advanceTime(5 * MINUTE);
  assert.equal(sink.events.length, before, 'nothing is sent while paused');
  await raise('default', 'resume', {});
  await sink.waitFor(before + 2, 20_000);
  const resumed = (await status('default')).customStatus!;
  assert.equal(resumed.paused, undefined);
  // The default catch-up: window 1m, policy all: the missed ticks of the last minute go out; older ones are skipped.
  assert.ok(resumed.counters.skipped >= 3, JSON.stringify(resumed.counters));
});

test('trigger while a tick is being retried honours the overlap policy: bufferAll both, bufferOne the newest, skip none', async () => {
  const now = app.env.clock.now();
  const policies = ['bufferAll', 'bufferOne', 'skip'] as const;
  flaky.failWith = 503;
  for (const overlap of policies) {
    const name = `ovl-${overlap.toLowerCase()}`;
    const spec = specOf({
      name, every: '1m', overlap, sink: flaky.url,
      event: { source: `urn:test:${name}` },
      delivery: { retry: 2, backoffPolicy: 'linear', backoffDelay: '15s', maxBackoff: '15s' },
    });
    const state = newScheduleState(name, spec, new Date(now));
    assert.equal((await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-${name}`, state)).status, 202);
  }
  const firstTick = Math.ceil((now + 1) / MINUTE) * MINUTE;
  // The first tick fails (503): its second attempt comes 15 s later. Two triggers arrive in between.
  await app.env.advanceTime(firstTick + 5_000 - app.env.clock.now());
  for (const overlap of policies) {
    await raise(`ovl-${overlap.toLowerCase()}`, 'trigger', { requestId: 'a' });
    await raise(`ovl-${overlap.toLowerCase()}`, 'trigger', { requestId: 'b' });
  }
  flaky.failWith = undefined;
  await app.env.advanceTime(firstTick + MINUTE + 1_000 - app.env.clock.now());
  const expected = { bufferAll: ['tick', 'a', 'b', 'tick'], bufferOne: ['tick', 'b', 'tick'], skip: ['tick', 'tick'] };
  for (const overlap of policies) {
    const name = `ovl-${overlap.toLowerCase()}`;
    const got = flaky.events.filter((e) => e.source === `urn:test:${name}`);
    const generation = (await status(name)).customStatus?.generation ?? '';
    const shape = got.map((e) => (e.extensions['trigger'] === 'manual' ? ['a', 'b'].find((r) => manualEventId({ scheduleName: name, generation, requestId: r }) === e.id) : 'tick'));
    assert.deepEqual(shape, expected[overlap], `${overlap}: ${JSON.stringify(got.map((e) => [e.time, e.extensions['trigger']]))}`);
    if (overlap === 'skip') assert.equal((await status(name)).customStatus?.counters.skipped, 2);
  }
});

test('an at schedule fires once and completes', async () => {
  const at = new Date(Math.ceil(app.env.clock.now() / MINUTE) * MINUTE + 30_000).toISOString();
  const spec = specOf({ name: 'launch', at, sink: flaky.url, event: { source: 'urn:test:launch' } });
  assert.equal((await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-launch`, newScheduleState('launch', spec, new Date(app.env.clock.now())))).status, 202);
  await app.env.advanceTime(2 * MINUTE);
  const done = await until('completion', async () => {
    const s = await status('launch');
    return s.runtimeStatus === 'Completed' ? s : undefined;
  });
  assert.equal(done.customStatus?.completed, true);
  assert.deepEqual(flaky.events.filter((e) => e.source === 'urn:test:launch').map((e) => e.time), [at]);
});

test('pauseOnFailure: after N ticks in a row refused, the schedule pauses with a note saying why', async () => {
  const spec = specOf({ name: 'fragile', every: '1m', pauseOnFailure: 2, sink: flaky.url, event: { source: 'urn:test:fragile' } });
  assert.equal((await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-fragile`, newScheduleState('fragile', spec, new Date(app.env.clock.now())))).status, 202);
  flaky.failWith = 400;
  try {
    await app.env.advanceTime(5 * MINUTE);
  } finally {
    flaky.failWith = undefined;
  }
  const paused = (await status('fragile')).customStatus!;
  assert.match(paused.paused?.note ?? '', /^paused after 2 ticks in a row failed or were dead-lettered \(last rejected: HTTP 400/);
  assert.equal(paused.counters.rejected, 2, 'nothing was tried after the pause');
  assert.equal(paused.recent.length, 2);
  await app.env.advanceTime(3 * MINUTE);
  assert.equal((await status('fragile')).customStatus?.counters.rejected, 2, 'still paused');
});

test('a one-off `at` that fired is re-armed by a PUT with a new `at` in the future: it fires once more, then completes again', async () => {
  const put = async (at: string): Promise<number> => (await app.env.fetch('/api/schedules/relaunch', {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ at, sink: flaky.url, event: { source: 'urn:test:relaunch' } }),
  })).status;
  const first = new Date(Math.ceil(app.env.clock.now() / MINUTE) * MINUTE + 30_000).toISOString();
  assert.equal(await put(first), 201);
  await app.env.advanceTime(2 * MINUTE);
  await until('completion', async () => ((await status('relaunch')).runtimeStatus === 'Completed' ? true : undefined));
  const second = new Date(Math.ceil(app.env.clock.now() / MINUTE) * MINUTE + 30_000).toISOString();
  assert.ok([200, 202].includes(await put(second)), 'replaced');
  await app.env.advanceTime(2 * MINUTE);
  const done = await until('completion again', async () => {
    const s = await status('relaunch');
    return s.runtimeStatus === 'Completed' && s.customStatus?.nextSequence === 3 ? s : undefined;
  });
  assert.deepEqual(flaky.events.filter((e) => e.source === 'urn:test:relaunch').map((e) => [e.time, Number(e.sequence)]), [[first, 1], [second, 2]]);
  assert.equal(done.customStatus?.completed, true);
});
