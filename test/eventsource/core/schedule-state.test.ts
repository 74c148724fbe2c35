/**
 * The schedule's pure state machine: fire times from the normalised spec, catch-up and overlap policies, jitter,
 * pauseOnFailure and the external events, driven by a simulated clock (a tick's delivery takes the time the test
 * says, the sink answers what the test says).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  afterTick,
  newScheduleState,
  nextStep,
  withSpec,
  type DeliveryResult,
  type ScheduleState,
  type TickInput,
  unreportedSkips,
  withSkipsReported,
} from '../../../src/eventsource/core/schedule-state.js';
import { stateFromStatus, statusOf } from '../../../src/eventsource/core/schedule-status.js';
import { applyEvent, checkEvent } from '../../../src/eventsource/core/schedule-events.js';
import { checkScheduleState, checkScheduleStatus } from '../../../src/eventsource/core/schedule-schema.js';
import { reconcile } from '../../../src/eventsource/core/schedule-reconcile.js';
import { describeStatus } from '../../../src/eventsource/core/schedule-status.js';
import { originKeyFrom, originMarker } from '../../../src/eventsource/core/schedule-origin.js';
import { eventId, manualEventId } from '../../../src/eventsource/core/event.js';
import { jitterDelay } from '../../../src/eventsource/core/jitter.js';
import { specOf, TEN_SECONDS } from '../../support/specs.js';
import { fuzzParameters } from '../../support/fuzz.js';

const spec = TEN_SECONDS;
const t0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const iso = (ms: number): string => at(ms).toISOString();
const OK: DeliveryResult = { ok: true, status: 202 };
const DOWN: DeliveryResult = { ok: false, status: 503, reason: 'HTTP 503', retryable: true };

interface Sent { tick: TickInput; at: number; outcome: string }

/**
 * Runs the state machine from `state` until `untilMs` (ms after t0): each delivery takes `tookMs` and gets
 * `answer(tick, time)`. Returns the ticks sent and the final state.
 */
function run(state: ScheduleState, untilMs: number, answer: (tick: TickInput, now: number) => DeliveryResult = () => OK, tookMs = 10): { sent: Sent[]; state: ScheduleState } {
  const sent: Sent[] = [];
  let now = t0.getTime();
  for (let i = 0; i < 100_000; i++) {
    const step = nextStep(state, new Date(now));
    if (step.kind === 'complete') return { sent, state: { ...step.state, completed: true } };
    if (step.kind === 'wait') {
      if (step.until === undefined || step.until.getTime() > t0.getTime() + untilMs) return { sent, state: step.state };
      now = step.until.getTime();
      state = step.state;
      continue;
    }
    const result = answer(step.tick, now - t0.getTime());
    const started = now;
    now += tookMs;
    state = afterTick(step.state, step.tick, 1, result, new Date(now), new Date(started));
    sent.push({ tick: step.tick, at: started - t0.getTime(), outcome: result.ok ? 'ok' : 'fail' });
  }
  throw new Error('did not settle');
}

const times = (sent: Sent[]): string[] => sent.map((s) => s.tick.scheduledTime);

test('every with offset: the ticks are on the epoch grid plus the offset, from the generation on, sequence 1, 2, 3', () => {
  const s = newScheduleState('default', specOf({ every: '10s', offset: '3s' }), t0);
  const { sent, state } = run(s, 35_000);
  assert.deepEqual(times(sent), [iso(3_000), iso(13_000), iso(23_000), iso(33_000)]);
  assert.deepEqual(sent.map((x) => x.tick.sequence), [1, 2, 3, 4]);
  assert.equal(state.counters.delivered, 4);
  assert.equal(state.recent[0]?.scheduledTime, iso(33_000), 'recent: newest first');
  assert.equal(state.recent[0]?.id, eventId(sent[3]!.tick));
});

test('at: fires once, then the schedule completes; startAt/endAt and maxCount end it too', () => {
  const once = run(newScheduleState('default', specOf({ at: iso(5_000) }), t0), 60_000);
  assert.deepEqual(times(once.sent), [iso(5_000)]);
  assert.equal(once.state.completed, true);
  assert.deepEqual(describeStatus(statusOf(once.state)).upcoming, []);

  const windowed = run(newScheduleState('default', specOf({ every: '10s', startAt: iso(20_000), endAt: iso(50_000) }), t0), 120_000);
  assert.deepEqual(times(windowed.sent), [iso(20_000), iso(30_000), iso(40_000)]);
  assert.equal(windowed.state.completed, true);

  const counted = run(newScheduleState('default', specOf({ every: '10s', maxCount: 2, startAt: iso(20_000) }), t0), 120_000);
  assert.deepEqual(times(counted.sent), [iso(20_000), iso(30_000)]);
  assert.equal(counted.state.completed, true);
  // A completed schedule restarted from its status stays completed: an `at` never fires twice.
  const restarted = stateFromStatus(statusOf(once.state), once.state.spec, at(70_000));
  assert.equal(nextStep(restarted, at(70_000)).kind, 'complete');
});

test('cron across both DST changes in two zones, for days: the ticks the fire-time rule gives, no more, no fewer', () => {
  for (const timezone of ['Europe/Berlin', 'America/New_York']) {
    const start = timezone === 'Europe/Berlin' ? Date.parse('2030-03-30T00:00:00Z') : Date.parse('2030-03-09T00:00:00Z');
    const autumn = timezone === 'Europe/Berlin' ? Date.parse('2030-10-26T00:00:00Z') : Date.parse('2030-11-02T00:00:00Z');
    for (const from of [start, autumn]) {
      const s = newScheduleState('default', specOf({ cron: '0 30 2 * * *', timezone }), new Date(from));
      const result = run({ ...s }, 0);
      // run() starts at t0; drive it explicitly from `from` for 4 days instead.
      let state = result.state;
      const fired: string[] = [];
      let now = from;
      for (let i = 0; i < 20; i++) {
        const step = nextStep(state, new Date(now));
        if (step.kind === 'wait') { now = step.until!.getTime(); state = step.state; if (now > from + 4 * 86_400_000) break; continue; }
        if (step.kind !== 'deliver') break;
        fired.push(step.tick.scheduledTime);
        state = afterTick(step.state, step.tick, 1, OK, new Date(now + 5), new Date(now));
      }
      assert.equal(fired.length, 4, `${timezone}: one tick a day, the change day included: ${fired.join(' ')}`);
      const local = fired.map((t) => new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit' }).format(new Date(t)));
      assert.ok(local.filter((l) => l === '02:30').length >= 3, `${timezone}: ${local.join(' ')}`);
    }
  }
});

test('catch-up all: every missed tick within the window goes out in order; older ones are counted as skipped', () => {
  const s = { ...newScheduleState('default', spec, t0), nextFireTime: iso(0) };
  // The host comes back 5 min late: 30 ticks missed, the window (60 s) holds 7 of them (-60 s inclusive .. now).
  const step = nextStep(s, at(300_000));
  assert.equal(step.kind, 'deliver');
  if (step.kind !== 'deliver') return;
  assert.equal(step.tick.scheduledTime, iso(240_000));
  assert.equal(step.state.counters.skipped, 24);
  const { sent } = run(step.state, 300_000);
  assert.equal(sent.length, 7);
});

test('catch-up latest sends only the newest missed tick; skip sends none; both count the rest, arithmetically for a million', () => {
  const latest = { ...newScheduleState('default', specOf({ every: '1s', catchUp: { window: '1m', policy: 'latest' } }), t0), nextFireTime: iso(0) };
  const late = 1_000_000_000; // 11.5 days behind at one tick a second
  const step = nextStep(latest, at(late + 400));
  assert.equal(step.kind, 'deliver');
  if (step.kind !== 'deliver') return;
  assert.equal(step.tick.scheduledTime, iso(late));
  assert.equal(step.state.counters.skipped, late / 1_000);

  const skip = { ...newScheduleState('default', specOf({ every: '1s', catchUp: { window: '1m', policy: 'skip' } }), t0), nextFireTime: iso(0) };
  // 30 s late: the ticks missed are dropped, the one due now (400 ms ago, on time) goes out.
  const onTime = nextStep(skip, at(late + 30_400));
  assert.equal(onTime.kind === 'deliver' && onTime.tick.scheduledTime, iso(late + 30_000));
  assert.equal(onTime.state.counters.skipped, late / 1_000 + 30);
  // Nothing due on time (the last tick is older than the on-time grace): none is sent.
  const none = nextStep({ ...skip, spec: specOf({ every: '1m', catchUp: { window: '1h', policy: 'skip' } }) }, at(late + 30_400));
  assert.equal(none.kind, 'wait');
  if (none.kind === 'wait') assert.equal(none.state.nextFireTime, new Date(Math.ceil(at(late + 30_400).getTime() / 60_000) * 60_000).toISOString());
});

test('overlap: ticks that fell due while a tick was retried: bufferAll sends all in order, bufferOne the newest, skip none', () => {
  // The first tick takes 35 s to deliver (retries): the ticks at 10, 20 and 30 s fall due meanwhile.
  const drive = (policy: string) => {
    let state: ScheduleState = { ...newScheduleState('default', specOf({ every: '10s', overlap: policy, catchUp: { window: '10m', policy: 'skip' } }), t0), nextFireTime: iso(0) };
    const step = nextStep(state, t0);
    if (step.kind !== 'deliver') throw new Error(step.kind);
    state = afterTick(step.state, step.tick, 4, OK, at(35_000), t0);
    return run2(state, 35_000, 45_000);
  };
  assert.deepEqual(drive('bufferAll').map((x) => x.tick.scheduledTime), [iso(10_000), iso(20_000), iso(30_000), iso(40_000)]);
  const one = drive('bufferOne');
  assert.deepEqual(one.map((x) => x.tick.scheduledTime), [iso(30_000), iso(40_000)]);
  assert.deepEqual(drive('skip').map((x) => x.tick.scheduledTime), [iso(40_000)]);
});

/** Like run(), from `fromMs`. */
function run2(state: ScheduleState, fromMs: number, untilMs: number): Sent[] {
  const sent: Sent[] = [];
  let now = t0.getTime() + fromMs;
  for (let i = 0; i < 1_000; i++) {
    const step = nextStep(state, new Date(now));
    if (step.kind === 'complete') return sent;
    if (step.kind === 'wait') {
      if (step.until === undefined || step.until.getTime() > t0.getTime() + untilMs) return sent;
      now = step.until.getTime();
      state = step.state;
      continue;
    }
    sent.push({ tick: step.tick, at: now, outcome: 'ok' });
    state = afterTick(step.state, step.tick, 1, OK, new Date(now + 10), new Date(now));
    now += 10;
  }
  return sent;
}

test('jitter: the timer waits scheduled + a delay that is the same on every replay; the tick keeps its scheduled time', () => {
  const s = newScheduleState('default', specOf({ every: '1m', jitter: '30s' }), t0);
  const first = nextStep(s, at(1));
  const again = nextStep(s, at(1));
  assert.deepEqual(first, again);
  if (first.kind !== 'wait') throw new Error(first.kind);
  const delay = jitterDelay(30_000, 'default', s.generation, t0.getTime() + 60_000);
  assert.ok(delay > 0 && delay < 30_000);
  assert.equal(first.until?.toISOString(), iso(60_000 + delay));
  const step = nextStep(first.state, first.until);
  assert.equal(step.kind, 'deliver');
  if (step.kind === 'deliver') assert.equal(step.tick.scheduledTime, iso(60_000));
});

test('a kept tick (retries ran out, no dead-letter sink) is retried after a pause with its sequence and id; pauseOnFailure pauses with a note', () => {
  let state: ScheduleState = { ...newScheduleState('default', specOf({ every: '10s', pauseOnFailure: 3 }), t0), nextFireTime: iso(100_000) };
  const ids = new Set<string>();
  for (let round = 0; round < 3; round++) {
    const step = nextStep(state, at(100_000 * (round + 1)));
    assert.equal(step.kind, 'deliver');
    if (step.kind !== 'deliver') return;
    assert.equal(step.tick.sequence, 1);
    ids.add(eventId(step.tick));
    state = afterTick(step.state, step.tick, 3, DOWN, at(100_000 * (round + 1) + 5), at(100_000 * (round + 1)));
  }
  assert.equal(ids.size, 1, 'the same tick, the same id');
  assert.equal(state.counters.failed, 3);
  assert.match(state.paused?.note ?? '', /paused after 3 ticks in a row failed or were dead-lettered \(last failed: HTTP 503\)/);
  assert.equal(nextStep(state, at(1_000_000)).kind, 'wait', 'paused: nothing is sent');
  // Resume: the kept tick goes first, the count starts again.
  const resumed = applyEvent(state, { kind: 'resume' }, at(1_000_000)).state;
  assert.equal(resumed.paused, undefined);
  assert.equal(resumed.consecutiveFailures, 0);
  const step = nextStep(resumed, at(1_000_000));
  assert.equal(step.kind === 'deliver' && step.tick.scheduledTime, iso(100_000));
});

test('pause with a note holds the ticks; on resume the catch-up policy decides about the ones missed', () => {
  let state: ScheduleState = { ...newScheduleState('default', specOf({ every: '10s', catchUp: { window: '30s', policy: 'all' } }), t0), nextFireTime: iso(10_000) };
  state = applyEvent(state, { kind: 'pause', note: 'maintenance' }, at(5_000)).state;
  assert.deepEqual(state.paused, { note: 'maintenance', since: iso(5_000) });
  assert.deepEqual(statusOf(state).paused, { note: 'maintenance', since: iso(5_000) });
  const waiting = nextStep(state, at(100_000));
  assert.equal(waiting.kind === 'wait' && waiting.until, undefined);
  state = applyEvent(state, { kind: 'resume' }, at(100_000)).state;
  const sent = run2(state, 100_000, 100_000);
  assert.deepEqual(times(sent), [iso(70_000), iso(80_000), iso(90_000), iso(100_000)]);
});

test('trigger: one event now with its own id and trigger=manual, not taking a place in the sequence; honours the overlap policy while a tick is kept', () => {
  let state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: iso(10_000) };
  state = applyEvent(state, { kind: 'trigger', requestId: 'r-1' }, at(3_000)).state;
  const step = nextStep(state, at(3_000));
  assert.equal(step.kind, 'deliver');
  if (step.kind !== 'deliver') return;
  assert.deepEqual(step.tick, { scheduleName: 'default', generation: t0.toISOString(), sequence: 0, scheduledTime: iso(3_000), trigger: 'manual', requestId: 'r-1' });
  state = afterTick(step.state, step.tick, 1, OK, at(3_010), at(3_000));
  assert.equal(state.counters.triggered, 1);
  assert.equal(state.recent[0]?.id, manualEventId({ scheduleName: 'default', generation: t0.toISOString(), requestId: 'r-1' }));
  assert.equal(state.sequence, 1);
  assert.equal(state.queue.length, 0);

  for (const [overlap, queued] of [['bufferAll', ['a', 'b']], ['bufferOne', ['b']], ['skip', []]] as const) {
    let kept: ScheduleState = { ...newScheduleState('default', specOf({ every: '10s', overlap }), t0), nextFireTime: iso(10_000) };
    const first = nextStep(kept, at(10_000));
    if (first.kind !== 'deliver') throw new Error(first.kind);
    kept = afterTick(first.state, first.tick, 3, DOWN, at(10_100), at(10_000));
    kept = applyEvent(kept, { kind: 'trigger', requestId: 'a' }, at(11_000)).state;
    kept = applyEvent(kept, { kind: 'trigger', requestId: 'b' }, at(12_000)).state;
    assert.deepEqual(kept.queue.map((q) => (q.kind === 'manual' ? q.requestId : '')), queued, overlap);
    const next = nextStep(kept, at(50_000));
    assert.equal(next.kind === 'deliver' && next.tick.trigger, undefined, `${overlap}: the kept tick goes first`);
  }
});

test('backfill: the ticks of [from, to) in order, with the ids the original ticks had, trigger=backfill, bounded', () => {
  const original = run(newScheduleState('default', spec, t0), 60_000).sent.map((s) => eventId(s.tick));
  let state = run(newScheduleState('default', spec, t0), 60_000).state;
  state = applyEvent(state, { kind: 'backfill', from: iso(20_000), to: iso(50_000) }, at(60_500)).state;
  const sent = run2(state, 60_500, 60_500);
  assert.deepEqual(sent.map((s) => s.tick.trigger), ['backfill', 'backfill', 'backfill']);
  assert.deepEqual(sent.map((s) => eventId(s.tick)), original.slice(1, 4), 'the ticks of 20, 30 and 40 s');
  const huge = applyEvent(state, { kind: 'backfill', from: iso(-200_000_000), to: iso(50_000) }, at(60_500));
  assert.match(huge.ignored ?? '', /holds more than \d+ ticks/);
  assert.deepEqual(huge.state, state);
});

test('reschedule: the new spec applies from the next tick; sequence and generation kept; a kept tick stays next', () => {
  const state = { ...newScheduleState('default', spec, t0), sequence: 7, nextFireTime: iso(10_000) };
  const changed = withSpec(state, specOf({ every: '1m' }), at(3_000));
  assert.equal(changed.sequence, 7);
  assert.equal(changed.generation, state.generation);
  assert.equal(changed.nextFireTime, iso(60_000));
  const kept = { ...state, pendingSince: iso(10_000), retryNotBefore: iso(40_000) };
  assert.equal(withSpec(kept, specOf({ every: '1m' }), at(20_000)).nextFireTime, iso(10_000));
});

test('events from outside are checked; a malformed one is a problem naming the field, never a throw (fast-check)', () => {
  fc.assert(
    fc.property(fc.constantFrom('reschedule', 'pause', 'resume', 'trigger', 'backfill' as const), fc.jsonValue(), (name, payload) => {
      const checked = checkEvent(name, payload);
      if (!checked.ok) assert.match(checked.problem, /^[\w.()\s[\]]+: \S/, checked.problem);
      else applyEvent({ ...newScheduleState('default', spec, t0), nextFireTime: iso(10_000) }, checked.event, at(1_000));
    }),
    fuzzParameters({ numRuns: 300 }, 'schedule events'),
  );
  assert.deepEqual(checkEvent('trigger', { requestId: 'a/b' }).ok, false);
  assert.match((checkEvent('backfill', { from: iso(10), to: iso(0) }) as { problem: string }).problem, /^to: /);
  assert.match((checkEvent('reschedule', { spec: { ...spec, overlap: 'sometimes' } }) as { problem: string }).problem, /^spec\.overlap: /);
});

test('the state and the status pass their one schema; a forged one is refused naming the field; the status restarts the schedule where it stopped', () => {
  const { state } = run(newScheduleState('default', specOf({ every: '10s', pauseOnFailure: 5 }), t0), 30_000);
  const paused = applyEvent(state, { kind: 'pause', note: 'n' }, at(31_000)).state;
  assert.deepEqual(checkScheduleState(paused, 'default', 'schedule-default'), { ok: true, value: paused });
  const status = statusOf(paused);
  const described = describeStatus(status);
  // While paused no tick fires: no nextFireTime (it would lie in the past) and nothing upcoming; resumesFrom says
  // which tick the pause holds back.
  assert.equal(status.nextFireTime, undefined);
  assert.equal(status.resumesFrom, paused.nextFireTime);
  assert.deepEqual(described.upcoming, []);
  assert.equal(describeStatus(statusOf(state)).upcoming.length, 10);
  assert.equal((described.spec as { every?: string }).every, '10s', 'spec: the describe view');
  assert.deepEqual(checkScheduleStatus(JSON.parse(JSON.stringify(status))), { ok: true, value: status });
  const restarted = stateFromStatus(status, paused.spec, at(40_000));
  assert.equal(restarted.sequence, paused.sequence);
  assert.equal(restarted.nextFireTime, paused.nextFireTime, 'a restart while paused keeps the held tick');
  assert.deepEqual(restarted.counters, paused.counters);
  assert.deepEqual(restarted.paused, paused.paused);
  for (const [forged, field] of [
    [{ ...paused, counters: { ...paused.counters, skipped: -1 } }, /^counters\.skipped: /],
    [{ ...paused, spec: { ...paused.spec, overlap: 'never' } }, /^spec: overlap: /],
    [{ ...paused, queue: [{ kind: 'manual', requestId: 'x', time: 'now' }] }, /^queue\.0\.time: /],
    [{ ...paused, recent: Array(11).fill(paused.recent[0]) }, /^recent: /],
  ] as const) {
    const checked = checkScheduleState(forged, 'default', 'schedule-default');
    assert.equal(checked.ok, false);
    if (!checked.ok) assert.match(checked.problem, field);
  }
});

test('reconcile: starts a missing schedule, leaves a running one alone, reschedules a changed one, restarts an ended one where it stopped', () => {
  const key = originKeyFrom('secret');
  const marker = (n: string, g: string): string => originMarker(key, n, g);
  const base = { name: 'default', spec, originKey: key, now: at(5_000) };
  assert.equal(reconcile({ ...base, observed: undefined }).action, 'start');
  const running = statusOf({ ...newScheduleState('default', spec, t0, marker), sequence: 3, nextFireTime: iso(10_000) });
  assert.equal(reconcile({ ...base, observed: { runtimeStatus: 'Running', customStatus: running } }).action, 'none');
  const changed = reconcile({ ...base, spec: specOf({ every: '1m' }), observed: { runtimeStatus: 'Running', customStatus: running } });
  assert.equal(changed.action, 'reschedule');
  const ended = reconcile({ ...base, observed: { runtimeStatus: 'Terminated', customStatus: running } });
  assert.equal(ended.action === 'start' && ended.state.sequence, 3);
});

test('while paused, a trigger still goes out; the schedule\'s own ticks wait', () => {
  let state: ScheduleState = { ...newScheduleState('default', spec, t0), nextFireTime: iso(10_000) };
  state = applyEvent(state, { kind: 'pause' }, at(1_000)).state;
  state = applyEvent(state, { kind: 'trigger', requestId: 'now' }, at(20_000)).state;
  const step = nextStep(state, at(20_000));
  assert.equal(step.kind === 'deliver' && step.tick.trigger, 'manual');
  if (step.kind !== 'deliver') return;
  const after = afterTick(step.state, step.tick, 1, OK, at(20_010), at(20_000));
  const waiting = nextStep(after, at(30_000));
  assert.equal(waiting.kind === 'wait' && waiting.until, undefined);
});

test('skips the metrics have not counted: all of a new generation\'s, none after they were handed over, none of a run restarted from its status', () => {
  const state: ScheduleState = { ...newScheduleState('default', specOf({ every: '10s' }), new Date(Date.UTC(2030, 0, 1))), nextFireTime: '2030-01-01T00:00:10.000Z' };
  const skipped = { ...state, counters: { ...state.counters, skipped: 5 } };
  assert.equal(unreportedSkips(state), 0);
  assert.equal(unreportedSkips(skipped), 5);
  const reported = withSkipsReported(skipped, 5);
  assert.equal(unreportedSkips(reported), 0);
  assert.equal(unreportedSkips({ ...reported, counters: { ...reported.counters, skipped: 7 } }), 2, 'only the new ones');
  const checked = checkScheduleState(reported, 'default', 'schedule-default');
  assert.ok(checked.ok);
  assert.equal(checked.value.skippedReported, 5, 'the schema keeps the field');
  const restarted = stateFromStatus(statusOf(skipped), skipped.spec, new Date(Date.UTC(2030, 0, 1, 1)));
  assert.equal(unreportedSkips(restarted), 0, 'the ended run\'s skips are not counted again');
});
