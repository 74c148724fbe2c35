/**
 * The schedule owns its id (issue #8), end to end on the embedded host with virtual time and a real sink: a key
 * holder starts `scheduleOrchestrator` with a forged state through the Durable HTTP API.
 * - Under another instance id with the real schedule's name, generation, marker and a later sequence: the instance
 *   fails at once and the sink never receives the ids the real schedule will use later.
 * - Over the terminated schedule, with its generation and sequence 1: when the starter next runs, it does not
 *   "restart where it stopped" (which re-sent ids the sink already had) but starts a new generation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordingSink } from '../support/recording-sink.js';
import { useAppEnvironment } from '../support/app-environment.js';

const start = Date.UTC(2030, 0, 1, 0, 0, 0);
const MINUTE = 60_000;
const API = '/runtime/webhooks/durabletask';

interface InstanceStatus {
  runtimeStatus: string;
  customStatus: Record<string, unknown> | null;
  output: unknown;
}

const app = useAppEnvironment({ taskHubName: 'ForgedSchedule', startTime: start });
const sink = app.sinks[0] as RecordingSink;

async function status(instanceId: string): Promise<InstanceStatus> {
  const reply = await app.env.getJson<InstanceStatus>(`${API}/instances/${instanceId}`);
  assert.ok(reply.status === 200 || reply.status === 202, `status of ${instanceId}: HTTP ${reply.status}`);
  return reply.body;
}

async function waitFor(instanceId: string, check: (s: InstanceStatus) => boolean, what: string): Promise<InstanceStatus> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const reply = await app.env.getJson<InstanceStatus>(`${API}/instances/${instanceId}`);
    if ((reply.status === 200 || reply.status === 202) && check(reply.body)) return reply.body;
    if (Date.now() > deadline) throw new Error(`${instanceId}: ${what} did not happen (last: ${JSON.stringify(reply.body)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a forged schedule state neither pre-empts nor reuses the schedule\'s event ids', async () => {
  await waitFor('schedule-default', (s) => typeof s.customStatus?.['nextFireTime'] === 'string', 'the first status');
  await app.env.advanceTime(2 * MINUTE);
  await sink.waitFor(2, 20_000);
  const copied = (await status('schedule-default')).customStatus ?? {};

  // 1. Another instance id, the real schedule's name and marker, a later sequence: refused, nothing delivered.
  const preempt = {
    name: 'default', spec: copied['normalizedSpec'], generation: copied['generation'], origin: copied['origin'],
    sequence: 1_000, nextFireTime: new Date(start).toISOString(), counters: copied['counters'], recent: [], consecutiveFailures: 0, queue: [],
  };
  const started = await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-evil`, preempt);
  assert.equal(started.status, 202);
  const evil = await waitFor('schedule-evil', (s) => s.runtimeStatus === 'Failed', 'failing');
  assert.match(JSON.stringify(evil.output), /name: \\"default\\" does not belong to instance \\"schedule-evil\\"/);

  // 2. Over the terminated schedule: its generation, sequence 1 (its ids again), no marker.
  assert.equal((await app.env.fetch(`${API}/instances/schedule-default/terminate?reason=test`, { method: 'POST' })).status, 202);
  await waitFor('schedule-default', (s) => s.runtimeStatus === 'Terminated', 'terminating');
  const reset = { ...preempt, origin: undefined, sequence: 1, nextFireTime: undefined };
  assert.equal((await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-default`, reset)).status, 202);
  await waitFor('schedule-default', (s) => s.runtimeStatus === 'Running' && s.customStatus?.['nextSequence'] === 1, 'the forged start');
  // The operator notices and terminates it before its first tick; the hourly starter run takes over.
  assert.equal((await app.env.fetch(`${API}/instances/schedule-default/terminate?reason=forged`, { method: 'POST' })).status, 202);
  await waitFor('schedule-default', (s) => s.runtimeStatus === 'Terminated', 'terminating the forged one');
  await app.env.advanceTime(60 * MINUTE);
  const restarted = await waitFor('schedule-default', (s) => s.runtimeStatus === 'Running' && s.customStatus?.['generation'] !== copied['generation'], 'a new generation');
  assert.equal(restarted.customStatus?.['nextSequence'], 1);
  await app.env.advanceTime(3 * MINUTE);
  await sink.waitFor(4, 20_000);

  const ids = sink.events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, `no event id twice: ${JSON.stringify(sink.events.map((e) => [e.data.sequence, e.id]))}`);
  assert.ok(sink.events.every((e) => e.data.sequence < 1_000), 'no pre-empted sequence reached the sink');
});
