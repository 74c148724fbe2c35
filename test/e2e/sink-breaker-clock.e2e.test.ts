/**
 * The sink breaker keeps the orchestration's time (found by the simulation, seed 1707097226): with a virtual clock,
 * a sink down for a few seconds of it is probed again after the probe interval of THAT clock, and the ticks it held
 * back go out. It used the process's clock: under time skipping, ticks answered "sink down" waited for real time to
 * reach the next probe, and a history of virtual minutes delivered nothing after the outage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventId } from '../../src/eventsource/core/event.js';
import { newScheduleState } from '../../src/eventsource/core/schedule-state.js';
import { useAppEnvironment } from '../support/app-environment.js';
import type { RecordingSink } from '../support/recording-sink.js';
import { specOf } from '../support/specs.js';

const start = Date.UTC(2030, 0, 1, 0, 0, 0);
const API = '/runtime/webhooks/durabletask';
// A probe interval far longer than this test's real run time: only the virtual clock can reach it.
const app = useAppEnvironment({ taskHubName: 'BreakerClock', startTime: start, schedule: '1h', env: { SINK_PROBE_INTERVAL: '60s' } });
const sink = app.sinks[0] as RecordingSink;

test('regression: a sink down for 5 s of virtual time is probed after the virtual probe interval; the held-back ticks go out', { timeout: 120_000 }, async () => {
  const name = 'outage';
  const spec = specOf({ name, every: '1s', event: { source: `urn:test:${name}` }, catchUp: { window: '1h', policy: 'all' } });
  const state = newScheduleState(name, spec, new Date(start));
  assert.equal((await app.env.postJson(`${API}/orchestrators/scheduleOrchestrator/schedule-${name}`, state)).status, 202);
  sink.failWith = 503;
  await app.env.advanceTime(5_000);
  assert.ok(sink.attempts.length >= 3, `the sink was tried: ${sink.attempts.length} attempts`);
  sink.failWith = undefined;
  await app.env.advanceTime(90_000);
  const sent = new Set(sink.events.map((e) => e.id));
  const held = [1, 2, 3, 4, 5].map((s) => eventId({ scheduleName: name, generation: state.generation, scheduledTime: new Date(start + s * 1_000).toISOString() }));
  assert.deepEqual(held.filter((id) => !sent.has(id)), [], `every tick of the outage delivered (${sink.events.length} events in all)`);
});
