/**
 * Property-based runs of the orchestrator's first episode, through the real `durable-functions` replay code, with
 * whatever a Durable API caller can send as input to whatever instance id: either a refusal that names the field
 * (no action at all), or a run whose deliveries are all of the schedule its instance id belongs to.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { loadApp } from '../../src/host/worker/load-app.js';
import { AppInvoker } from '../../src/host/worker/app-invoker.js';
import { newScheduleState, type TickInput } from '../../src/eventsource/core/schedule-state.js';
import { ActionType, History, flatActions } from '../support/history.js';
import { fuzzParameters } from '../support/fuzz.js';
import { TEN_SECONDS } from '../support/specs.js';

const root = path.resolve(__dirname, '..', '..', '..');
const ORCHESTRATOR = 'scheduleOrchestrator';
const t0 = new Date('2030-01-01T00:00:00.000Z');
const spec = TEN_SECONDS;

let invoker: AppInvoker;

before(async () => {
  process.env.K_SINK = 'http://127.0.0.1:9/';
  process.env.LOG_LEVEL = 'silent';
  invoker = new AppInvoker(await loadApp(root, { logger: pino({ level: 'silent' }) }));
});

test('orchestrator input fuzz: refused naming the field, or delivering only its own schedule\'s ticks', async () => {
  const names = fc.constantFrom('default', 'evil', 'a', 'x-1');
  const valid = fc.tuple(names, fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: -120_000, max: 120_000 })).map(([name, sequence, offset]) => ({
    ...newScheduleState(name, spec, t0),
    sequence,
    nextFireTime: new Date(t0.getTime() + offset).toISOString(),
  }));
  const field = fc.constantFrom('name', 'spec', 'generation', 'sequence', 'nextFireTime', 'retryNotBefore', 'counters', 'recent', 'queue', 'paused', 'overlapWindow', 'lastDelivery', 'origin');
  const mutated = fc.tuple(valid, field, fc.jsonValue()).map(([state, key, value]) => ({ ...state, [key]: value }));
  const input = fc.oneof(valid, mutated, fc.jsonValue());
  const instanceId = fc.oneof(names.map((n) => `schedule-${n}`), fc.constantFrom('schedule-', 'x', 'schedule-A', 'schedule-a/b'));

  await fc.assert(
    fc.asyncProperty(input, instanceId, async (value, instance) => {
      const state = await invoker.invokeOrchestration(ORCHESTRATOR, new History().started(t0, ORCHESTRATOR, value).payload(instance, value));
      const actions = flatActions(state);
      if (state.error !== undefined) {
        assert.match(String(state.error), /refused the orchestration input: [\w.()\s]+: \S/, String(state.error));
        assert.equal(actions.length, 0, 'a refused input schedules nothing');
        return;
      }
      const name = instance.slice('schedule-'.length);
      for (const call of actions.filter((a) => a.actionType === ActionType.CallActivity)) {
        assert.equal((call.input as TickInput).scheduleName, name, `instance ${instance} delivers only schedule ${name}'s ticks`);
      }
    }),
    fuzzParameters({ numRuns: 150 }, 'orchestrator inputs'),
  );
});
