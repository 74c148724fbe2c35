/**
 * Schedules that share a sink resume together once it is back, also those whose tick happened to be the probe (found
 * by the bench's sink outage, `npm run bench -- --only sinkOutage`: with 200 schedules and 20 s of 503, the slowest
 * schedule delivered again 6.7 s after the recovery). A probe that fails is a real attempt, and its tick waited its
 * back-off (2 s, 4 s, 8 s, ...) while every other tick came back after the probe interval; now it comes back after
 * the probe interval too, and goes out as soon as the sink is up (it may not be the probe again before its back-off
 * is over, so its own attempts keep the policy's spacing). On the virtual clock, so the timing is exact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newScheduleState } from '../../src/eventsource/core/schedule-state.js';
import { useAppEnvironment } from '../support/app-environment.js';
import type { RecordingSink } from '../support/recording-sink.js';
import { specOf } from '../support/specs.js';

const start = Date.UTC(2030, 0, 1, 0, 0, 0);
const API = '/runtime/webhooks/durabletask';
const SCHEDULES = 8;
const OUTAGE_MS = 20_000;
const app = useAppEnvironment({ taskHubName: 'BreakerProbe', startTime: start, schedule: '1h' });
const sink = app.sinks[0] as RecordingSink;

test('sink down 20 s under 8 schedules: every schedule delivers again within 2 s of the recovery, the probes\' too', { timeout: 180_000 }, async (t) => {
  const names = Array.from({ length: SCHEDULES }, (_, i) => `p${i}`);
  for (const [i, name] of names.entries()) {
    // The default delivery policy (5 attempts, exponential back-off from 1 s); phases spread over the second.
    const spec = specOf({ name, every: '1s', event: { source: `urn:test:${name}` }, catchUp: { window: '1h', policy: 'all' } });
    const phased = spec.trigger.kind === 'every' ? { ...spec, trigger: { ...spec.trigger, offsetMs: i * 125 } } : spec;
    const state = newScheduleState(name, phased, new Date(start));
    assert.equal((await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-${name}`, state)).status, 202);
  }
  await app.env.advanceTime(3_000);
  const of = (name: string): number => sink.events.filter((e) => e.data.schedule === name).length;
  assert.ok(names.every((name) => of(name) >= 2), `every schedule delivered before the outage: ${names.map(of).join(' ')}`);

  // The sink's receive times on the host's (virtual) clock.
  const clock = app.env.clock;
  sink.now = () => clock.now();
  sink.failWith = 503;
  await app.env.advanceTime(OUTAGE_MS);
  const probes = sink.attempts.filter((a) => a.status === 503).length;
  sink.failWith = undefined;
  const recovered = clock.now();
  await app.env.advanceTime(3_000);
  const resumedMs = names.map((name) => Math.min(...sink.events.filter((e) => e.data.schedule === name && e.receivedAt >= recovered).map((e) => e.receivedAt)) - recovered);
  const late = names.filter((_, i) => !((resumedMs[i] ?? Infinity) <= 2_000));
  assert.deepEqual(late, [], `every schedule delivers within 2 s of the recovery; ms after it: ${resumedMs.join(' ')} (${probes} POSTs answered 503 in the outage)`);
  t.diagnostic(`first delivery after the recovery, ms: ${resumedMs.join(' ')}; POSTs answered 503: ${probes}`);
});
