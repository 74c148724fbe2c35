/**
 * End to end in one process: the embedded host runs the app on a real Azurite and a 1 s schedule delivers
 * CloudEvents to a real hello-events; the management API answers; pause stops deliveries; resume continues the
 * sequence without a gap.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createServer } from '../../src/hello-events/server.js';
import { createTestEnvironment, type TestEnvironment } from '../../src/host/testing/test-environment.js';
import { until } from '../support/host-process.js';
import { listenLoopback, type Loopback } from '../support/loopback.js';

const root = path.resolve(__dirname, '..', '..', '..');

interface Received {
  msg: string;
  event?: { id: string; sequence: string; data: { sequence: number; scheduledTime: string } };
}

const received: Received[] = [];
let hello: Loopback | undefined;
let env: TestEnvironment;

function delivered(): Array<NonNullable<Received['event']>> {
  return received.filter((r) => r.msg === 'event received' && r.event).map((r) => r.event as NonNullable<Received['event']>);
}

before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) received.push(JSON.parse(line) as Received);
      done();
    },
  });
  hello = await listenLoopback(createServer({ logDestination: sink }));
  env = await createTestEnvironment({
    appDir: root,
    taskHubName: 'EventFlow',
    env: { K_SINK: `${hello.origin}/`, SCHEDULE: '1s', SCHEDULE_NAME: 'default', LOG_LEVEL: 'silent' },
  });
});

after(async () => {
  await env?.teardown();
  await hello?.close();
});

test('a 1 s schedule delivers CloudEvents to hello-events, in sequence, one second apart', async () => {
  await until('three events at hello-events', () => (delivered().length >= 3 ? true : undefined), 20_000);
  const events = delivered().slice(0, 3);
  assert.deepEqual(events.map((e) => e.data.sequence), [1, 2, 3]);
  assert.deepEqual(events.map((e) => e.sequence), ['0000000000000001', '0000000000000002', '0000000000000003']);
  const times = events.map((e) => Date.parse(e.data.scheduledTime));
  assert.deepEqual([times[1]! - times[0]!, times[2]! - times[1]!], [1000, 1000]);
  assert.equal(new Set(events.map((e) => e.id)).size, 3);
});

test('the management API lists and shows the schedule, and answers 404/400 for unknown and invalid names', async () => {
  const health = await env.getJson<{ status: string }>('/api/healthz');
  assert.deepEqual([health.status, health.body], [200, { status: 'ok' }]);

  const list = await env.getJson<{ schedules: Array<Record<string, unknown>> }>('/api/schedules');
  assert.equal(list.status, 200);
  assert.equal(list.body.schedules.length, 1);
  const listed = list.body.schedules[0] as Record<string, unknown>;
  assert.equal(listed.name, 'default');
  // A summary: the trigger in the definition's own fields; describe has the rest (spec, recent, upcoming, instance).
  assert.equal(listed.status, 'running');
  assert.equal(listed.every, '1s');
  assert.equal(typeof listed.nextFireTime, 'string');
  assert.equal((listed.lastDelivery as { outcome: string }).outcome, 'delivered');
  for (const rest of ['spec', 'recent', 'upcoming', 'instance', 'runtimeStatus']) assert.equal(listed[rest], undefined, rest);

  const one = await env.getJson<Record<string, unknown>>('/api/schedules/default');
  assert.equal(one.status, 200);
  assert.equal(one.body.instanceId, 'schedule-default');
  assert.equal((one.body.instance as { runtimeStatus: string }).runtimeStatus, 'Running');
  assert.equal(one.body.status, 'running');
  assert.equal(one.body.runtimeStatus, undefined, 'the Durable runtime status only as instance.runtimeStatus');

  assert.equal((await env.getJson('/api/schedules/nothing-here')).status, 404);
  assert.equal((await env.getJson('/api/schedules/Not_A_Name')).status, 400);
  assert.equal((await env.postJson('/api/schedules/nothing-here/pause', {})).status, 404);
});

/** Pause and resume are events the orchestration handles: it stays Running and answers events while paused. */
test('pause stops deliveries; resume continues the sequence with no gap', async () => {
  const paused = await env.postJson<{ accepted: string }>('/api/schedules/default/pause', { note: 'maintenance' });
  assert.equal(paused.status, 202);
  await until('the schedule to show paused', async () => {
    const one = await env.getJson<{ paused?: { note?: string } }>('/api/schedules/default');
    return one.body.paused?.note === 'maintenance' ? true : undefined;
  }, 20_000);
  // A delivery already under way when the pause landed may still finish; after that, nothing.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const countWhilePaused = delivered().length;
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(delivered().length, countWhilePaused, 'no delivery while paused');

  assert.equal((await env.postJson('/api/schedules/default/resume', {})).status, 202);
  await until('deliveries after resume', () => (delivered().length >= countWhilePaused + 3 ? true : undefined), 20_000);
  const sequences = delivered().map((e) => e.data.sequence);
  const distinct = [...new Set(sequences)];
  assert.deepEqual(distinct, distinct.map((_, i) => i + 1), 'the sequence has no gap and no reordering');
  const running = await env.getJson<{ status: string; paused?: unknown }>('/api/schedules/default');
  assert.equal(running.body.status, 'running');
  assert.equal(running.body.paused, undefined);
});
