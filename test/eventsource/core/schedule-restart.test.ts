/**
 * A schedule restarted where it stopped (from its last custom status, as the starter does): a kept tick keeps its
 * marks and so its sequence number and id; a changed `at` re-arms a one-off that fired; ticks a pause or a restart
 * held back on purpose are not reported as overload. The pure state machine, driven as the orchestrator drives it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  afterTick,
  excusedSkipsOf,
  idOf,
  isExcused,
  newScheduleState,
  nextStep,
  withSkipsReported,
  type DeliveryResult,
  type ScheduleState,
} from '../../../src/eventsource/core/schedule-state.js';
import { statusOf, stateFromStatus } from '../../../src/eventsource/core/schedule-status.js';
import { applyEvent } from '../../../src/eventsource/core/schedule-events.js';
import { checkScheduleStatus } from '../../../src/eventsource/core/schedule-schema.js';
import { OverloadMonitor } from '../../../src/eventsource/observability/overload.js';
import { eventSourceMetrics } from '../../../src/eventsource/observability/metrics.js';
import { reportTick } from '../../../src/eventsource/observability/tick-report.js';
import { captureLogger } from '../../host/capture-logger.js';
import { specOf } from '../../support/specs.js';
import { fuzzParameters } from '../../support/fuzz.js';

const t0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const iso = (ms: number): string => at(ms).toISOString();
const OK: DeliveryResult = { ok: true, status: 202 };
const DOWN: DeliveryResult = { ok: false, status: 503, reason: 'HTTP 503', retryable: true };

/** What the starter does: the status as stored (JSON), read back through its schema, the state rebuilt from it. */
function restarted(state: ScheduleState, now: number): ScheduleState {
  const checked = checkScheduleStatus(JSON.parse(JSON.stringify(statusOf(state))));
  assert.ok(checked.ok, checked.ok ? '' : checked.problem);
  return stateFromStatus(checked.value, state.spec, at(now));
}

type Op = { kind: 'tick'; answer: 'ok' | 'down' } | { kind: 'restart'; downtimeMs: number };

const ops = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), answer: fc.constantFrom('ok' as const, 'down' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), downtimeMs: fc.integer({ min: 0, max: 600_000 }) }) },
  ),
  { maxLength: 40 },
);

test('a sequence number never maps to two ids, across restarts from the status (fast-check)', () => {
  fc.assert(
    fc.property(ops, fc.constantFrom('all' as const, 'latest' as const, 'skip' as const), fc.integer({ min: 0, max: 120 }), (list: Op[], policy, windowS) => {
      const spec = specOf({ every: '10s', catchUp: { window: `${windowS}s`, policy }, delivery: { retry: 0, maxBackoff: '30s' } });
      let state = newScheduleState('default', spec, t0);
      let now = t0.getTime();
      const ids = new Map<number, string>();
      for (const op of list) {
        if (op.kind === 'restart') {
          now += op.downtimeMs;
          state = restarted(state, now);
          continue;
        }
        // Wait for the next step that sends something, then send it with the answer drawn.
        for (let guard = 0; guard < 10; guard++) {
          const step = nextStep(state, new Date(now));
          if (step.kind === 'complete') return;
          if (step.kind === 'wait') {
            assert.ok(step.until !== undefined, 'an every schedule always has a next tick');
            now = Math.max(now, step.until.getTime());
            state = step.state;
            continue;
          }
          const id = idOf(step.tick);
          const known = ids.get(step.tick.sequence);
          assert.ok(known === undefined || known === id, `sequence ${step.tick.sequence} was ${known}, now ${id} (${step.tick.scheduledTime})`);
          ids.set(step.tick.sequence, id);
          state = afterTick(step.state, step.tick, 1, op.answer === 'ok' ? OK : DOWN, new Date(now + 10), new Date(now));
          now += 10;
          break;
        }
      }
    }),
    fuzzParameters({ numRuns: 300 }, 'restart-from-status'),
  );
});

test('regression (#16 finding 7): a kept tick restarted from the status after its catch-up window is still sent, with its sequence and id', () => {
  const spec = specOf({ every: '10s', catchUp: { window: '60s', policy: 'all' }, delivery: { retry: 0, maxBackoff: '30s' } });
  let state = newScheduleState('default', spec, t0);
  const first = nextStep(state, at(0));
  assert.equal(first.kind, 'wait');
  const due = nextStep(first.state, at(10_000));
  assert.ok(due.kind === 'deliver');
  state = afterTick(due.state, due.tick, 1, DOWN, at(10_100), at(10_000));
  const status = statusOf(state);
  assert.equal(status.pendingSince, iso(10_000), 'the status carries the kept tick\'s marks');
  assert.equal(status.retryNotBefore, iso(40_100));
  // Stopped for 10 minutes, then restarted where it stopped: the kept tick goes first, with its own id.
  const again = nextStep(restarted(state, 610_000), at(610_000));
  assert.ok(again.kind === 'deliver');
  assert.equal(again.tick.sequence, 1);
  assert.equal(again.tick.scheduledTime, iso(10_000));
  assert.equal(idOf(again.tick), idOf(due.tick));
});

test('the stored status names each counter once (counters); one written with the second names as well still restarts', () => {
  const spec = specOf({ every: '10s', delivery: { retry: 0 } });
  const first = nextStep(newScheduleState('default', spec, t0), at(0));
  assert.equal(first.kind, 'wait');
  const due = nextStep(first.state, at(10_000));
  assert.ok(due.kind === 'deliver');
  const state = afterTick(due.state, due.tick, 1, { ok: false, status: 400, reason: 'HTTP 400', retryable: false }, at(10_100), at(10_000));
  const stored = JSON.parse(JSON.stringify(statusOf(state))) as Record<string, unknown>;
  assert.deepEqual(Object.keys(stored).filter((k) => k.endsWith('Ticks')), [], 'no skippedTicks, rejectedTicks, deadLetteredTicks');
  // What the version before wrote: the same counters twice.
  const old = { ...stored, skippedTicks: 0, rejectedTicks: 1, deadLetteredTicks: 0 };
  const checked = checkScheduleStatus(old);
  assert.ok(checked.ok, checked.ok ? '' : checked.problem);
  assert.equal('rejectedTicks' in checked.value, false, 'read without them');
  const restored = stateFromStatus(checked.value, spec, at(20_000));
  assert.equal(restored.counters.rejected, 1);
  assert.equal(restored.sequence, 2);
});

test('a one-off `at` that fired is re-armed by a new `at` in the future; the same or a past `at` leaves it completed', () => {
  let state = newScheduleState('default', specOf({ at: iso(5_000) }), t0);
  const due = nextStep(nextStep(state, at(5_000)).state, at(5_000));
  assert.ok(due.kind === 'deliver');
  state = afterTick(due.state, due.tick, 1, OK, at(5_010), at(5_000));
  assert.equal(nextStep(state, at(6_000)).kind, 'complete');
  assert.equal(nextStep(restarted(state, 60_000), at(60_000)).kind, 'complete', 'an `at` never fires twice');
  const past = stateFromStatus(statusOf(state), specOf({ at: iso(30_000) }), at(60_000));
  assert.equal(nextStep(past, at(60_000)).kind, 'complete', 'a new `at` already past does not fire');
  const moved = stateFromStatus(statusOf(state), specOf({ at: iso(120_000) }), at(60_000));
  const waiting = nextStep(moved, at(60_000));
  assert.ok(waiting.kind === 'wait');
  assert.equal(waiting.until?.toISOString(), iso(120_000));
  const fires = nextStep(moved, at(120_000));
  assert.ok(fires.kind === 'deliver', 'the new `at` fires');
  assert.equal(fires.tick.sequence, 2, 'with the next sequence number');
  const done = afterTick(fires.state, fires.tick, 1, OK, at(120_010), at(120_000));
  assert.equal(nextStep(done, at(130_000)).kind, 'complete', 'once');
});

test('ticks a pause or a restart held back on purpose: no lateness, their skips counted but not reported as overload', () => {
  const spec = specOf({ every: '10s', catchUp: { window: '30s', policy: 'all' } });
  let state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: iso(10_000) };
  state = applyEvent(state, { kind: 'pause' }, at(5_000)).state;
  state = applyEvent(state, { kind: 'resume' }, at(300_000)).state;
  const step = nextStep(state, at(300_000));
  assert.ok(step.kind === 'deliver');
  assert.equal(isExcused(step.state, Date.parse(step.tick.scheduledTime)), true, 'the first tick after the resume was held back');
  assert.equal(step.state.counters.skipped, 26, 'the ticks older than the window are skipped');
  assert.equal(excusedSkipsOf(step.state), 26, 'on purpose');
  const reported = withSkipsReported(step.state, 26);
  assert.equal(excusedSkipsOf(reported), 0);
  // The activity counts them in the metrics, the overload monitor hears nothing of them.
  const captured = captureLogger('info');
  const overload = new OverloadMonitor({ thresholdMs: 5_000, intervalMs: 60_000, logger: captured.logger });
  const metrics = eventSourceMetrics();
  const request = { ...step.tick, lastAttempt: false, attempt: 1, dispatchedAt: iso(300_000), skipped: 26, skippedOnPurpose: 26 };
  reportTick(metrics, overload, request, OK);
  assert.deepEqual(overload.health(), { degraded: false, reasons: [] });
  assert.equal(captured.lines.filter((line) => line.level === 40).length, 0, 'no "falling behind"');
  // A tick after the resume is on its own again; a restart from the status holds back what it missed too.
  assert.equal(isExcused(step.state, Date.parse(iso(310_000))), false);
  assert.equal(restarted(state, 900_000).excusedUntil, iso(900_000));
});
