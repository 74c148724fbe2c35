/**
 * What a caller may ask for (issue #16, finding 5) and what a backfill may cover (finding 3), in the pure core: the
 * minimum interval (MIN_INTERVAL) for `every` and cron, bounded durations and instants, jitter below the interval,
 * one rule set for the API, the schedules file and SCHEDULE; a backfill never sends a tick that is not due yet, nor
 * one the schedule still has to send itself. Properties: an accepted spec computes valid fire times forever; a
 * refused one names its field.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConfig } from '../../../src/eventsource/config/config.js';
import { ConfigError } from '../../../src/eventsource/core/errors.js';
import { firstTick, nextTick, ticksBetween, upcoming } from '../../../src/eventsource/core/fire-times.js';
import { checkDefinition, checkDefinitionFor, type Problem } from '../../../src/eventsource/core/normalized-spec.js';
import { cronMinGapMs, nextFireTime, parseCron } from '../../../src/eventsource/core/schedule.js';
import { applyEvent, queuedBackfillTicks } from '../../../src/eventsource/core/schedule-events.js';
import { fireAt, newScheduleState, nextStep, timelineOf, type ScheduleState } from '../../../src/eventsource/core/schedule-state.js';
import { fileScheduleValidator } from '../../../src/eventsource/schedules-file/entries.js';
import { specOf } from '../../support/specs.js';
import { fuzzParameters } from '../../support/fuzz.js';

const SECOND = 1_000;
const input = { minIntervalMs: SECOND };
const SINK = 'http://127.0.0.1:8080/';

function problemsOf(value: Record<string, unknown>, minIntervalMs = SECOND): Problem[] {
  const checked = checkDefinitionFor('x', value, { minIntervalMs });
  return checked.ok ? [] : checked.problems;
}

const fieldsOf = (value: Record<string, unknown>, minIntervalMs = SECOND): string[] => problemsOf(value, minIntervalMs).map((p) => p.field);

describe('what a caller may ask for', () => {
  it('no interval below MIN_INTERVAL, for every and for a cron that can fire more often', () => {
    assert.deepEqual(fieldsOf({ every: '1ms' }), ['every']);
    assert.match(problemsOf({ every: '999ms' })[0]?.why ?? '', /^999ms is shorter than the minimum interval 1s \(MIN_INTERVAL\)$/);
    assert.deepEqual(fieldsOf({ every: '1s' }), []);
    assert.deepEqual(fieldsOf({ every: '500ms' }, 100), [], 'the setting decides');
    assert.deepEqual(fieldsOf({ cron: '* * * * * *' }), [], 'every second is 1 s apart');
    assert.deepEqual(fieldsOf({ cron: '* * * * * *' }, 2 * SECOND), ['cron']);
    assert.match(problemsOf({ cron: '*/5 * * * * *' }, 10 * SECOND)[0]?.why ?? '', /can fire 5s apart, which is shorter than the minimum interval 10s \(MIN_INTERVAL\)/);
    assert.deepEqual(fieldsOf({ cron: '0,1 * * * * *' }, 2 * SECOND), ['cron'], 'a list as close as a step');
    assert.deepEqual(fieldsOf({ cron: '* * * * *' }, 60 * SECOND), [], 'five fields: a minute apart');
    assert.deepEqual(fieldsOf({ at: '2030-01-01T00:00:00Z' }, 3_600_000), [], 'a one-off has no interval');
  });

  it('bounded durations and instants: nothing that makes an invalid date, each refusal naming the bound', () => {
    assert.deepEqual(fieldsOf({ every: '100000001d' }), ['every']);
    assert.match(problemsOf({ every: '100000001d' })[0]?.why ?? '', /is longer than 3650d, the longest allowed/);
    assert.deepEqual(fieldsOf({ every: '3650d' }), []);
    assert.deepEqual(fieldsOf({ every: '1h', catchUp: { window: '3651d' } }), ['catchUp.window']);
    assert.deepEqual(fieldsOf({ every: '1h', delivery: { timeout: '2h' } }), ['delivery.timeout']);
    assert.deepEqual(fieldsOf({ every: '1h', delivery: { maxBackoff: '100000d' } }), ['delivery.maxBackoff']);
    assert.deepEqual(fieldsOf({ every: '1h', startAt: '9999-12-31T23:00:00-05:00' }), ['startAt']);
    assert.deepEqual(fieldsOf({ at: new Date(Date.parse('9999-12-31T23:59:59.999Z') + 1) }), ['at'], 'a YAML date too');
    assert.deepEqual(fieldsOf({ every: '1h', endAt: '9999-12-31T23:59:59.999Z' }), []);
  });

  it('jitter below the interval: the every, or the shortest time between a cron\'s fire times', () => {
    assert.deepEqual(fieldsOf({ every: '10s', jitter: '10s' }), ['jitter']);
    assert.match(problemsOf({ every: '10s', jitter: '12s' })[0]?.why ?? '', /^12s is not shorter than every \(10s\)$/);
    assert.deepEqual(fieldsOf({ every: '10s', jitter: '9.999s' }), []);
    assert.deepEqual(fieldsOf({ cron: '*/15 * * * *', jitter: '15m' }), ['jitter']);
    assert.deepEqual(fieldsOf({ cron: '0 3 * * *', jitter: '2h' }), [], 'a nightly job spread over two hours');
    assert.deepEqual(fieldsOf({ at: '2030-01-01T00:00:00Z', jitter: '1h' }), []);
  });

  it('one rule set: the schedules file and SCHEDULE refuse what the API refuses, naming the entry or the variable', () => {
    const validate = fileScheduleValidator({ sinkAllowlist: [SINK], minIntervalMs: SECOND });
    const read = validate({ schedules: [{ name: 'fast', every: '10ms' }, { name: 'far', every: '100000001d' }, { name: 'shaky', every: '1m', jitter: '2m' }] });
    assert.deepEqual(read.ok ? [] : read.problems.map((p) => p.replace(/: .*/, '')), ['schedules[0] (fast).every', 'schedules[1] (far).every', 'schedules[2] (shaky).jitter']);
    const refused = (env: Record<string, string>): string => {
      try {
        loadConfig({ K_SINK: SINK, ...env });
        return 'accepted';
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.message;
      }
    };
    assert.equal(refused({ SCHEDULE: '1ms' }), 'SCHEDULE: 1ms is shorter than the minimum interval 1s (MIN_INTERVAL)');
    assert.match(refused({ SCHEDULE: '*/2 * * * * *', MIN_INTERVAL: '5s' }), /^SCHEDULE: can fire 2s apart, which is shorter than the minimum interval 5s/);
    assert.match(refused({ SCHEDULE: '100000001d' }), /^SCHEDULE: .*longer than 3650d/);
    assert.equal(refused({ SCHEDULE: '200ms', MIN_INTERVAL: '100ms' }), 'accepted');
    assert.match(refused({ MIN_INTERVAL: '2h' }), /^MIN_INTERVAL: "2h" is longer than 1h/);
    assert.match(refused({ MIN_INTERVAL: '0s' }), /^MIN_INTERVAL: /);
    assert.match(refused({ MAX_BACKFILL_TICKS: '10001' }), /^MAX_BACKFILL_TICKS: "10001" must be a whole number of queued backfill ticks per schedule from 1 to 10000$/);
    assert.match(refused({ MAX_SCHEDULES: '0' }), /^MAX_SCHEDULES: /);
    const defaults = loadConfig({ K_SINK: SINK });
    assert.deepEqual([defaults.minIntervalMs, defaults.maxBackfillTicks, defaults.maxSchedules], [1_000, 10_000, 1_000]);
  });

  it('a running spec read back is not held to today\'s MIN_INTERVAL (it was accepted under the setting of its day)', () => {
    assert.ok(checkDefinition({ name: 'x', every: '200ms' }).ok);
  });
});

describe('cronMinGapMs: a lower bound of the time between fire times (property, across DST)', () => {
  const field = (max: number): fc.Arbitrary<string> => fc.oneof(
    fc.constant('*'),
    fc.integer({ min: 0, max: max - 1 }).map(String),
    fc.integer({ min: 1, max: Math.min(max - 1, 30) }).map((step) => `*/${step}`),
    fc.uniqueArray(fc.integer({ min: 0, max: max - 1 }), { minLength: 2, maxLength: 4 }).map((list) => list.sort((a, b) => a - b).join(',')),
  );
  const expression = fc.tuple(field(60), field(60), field(24)).map(([s, m, h]) => `${s} ${m} ${h} * * *`);
  it('no two consecutive fire times are closer than the bound', () => {
    fc.assert(
      fc.property(expression, fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'), fc.date({ min: new Date('2024-01-01'), max: new Date('2026-12-31'), noInvalidDate: true }), (text, zone, start) => {
        const cron = parseCron(text, zone);
        const bound = cronMinGapMs(cron);
        let previous = nextFireTime(cron, start);
        for (let i = 0; i < 60; i++) {
          const next = nextFireTime(cron, previous);
          // Lord Howe changes its clock by 30 min: below an hour, the bound of the minutes holds for whole-hour zones.
          if (zone !== 'Australia/Lord_Howe' || bound < 60_000) assert.ok(next.getTime() - previous.getTime() >= bound, `${text} in ${zone}: ${previous.toISOString()} → ${next.toISOString()} < ${bound} ms`);
          previous = next;
        }
      }),
      fuzzParameters({ numRuns: 150 }, 'cron gap'),
    );
    assert.equal(cronMinGapMs(parseCron('*/5 * * * *')), 300_000);
    assert.equal(cronMinGapMs(parseCron('0 0 1,3 * * *')), 3_600_000, 'two hours less a clock change, at least an hour');
    assert.equal(cronMinGapMs(parseCron('@daily')), 22 * 3_600_000);
  });
});

describe('an accepted spec computes valid fire times forever; a refused one names its field (properties)', () => {
  const durationText = fc.oneof(
    fc.integer({ min: 1, max: 10_000 }).map((n) => `${n}ms`),
    fc.integer({ min: 1, max: 1_000_000 }).map((n) => `${n}s`),
    fc.integer({ min: 1, max: 200_000_000 }).map((n) => `${n}d`),
  );
  const instantText = fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString());
  const trigger = fc.oneof(
    fc.record({ every: durationText, offset: fc.option(durationText, { nil: undefined }) }),
    fc.record({ cron: fc.constantFrom('* * * * * *', '*/2 * * * * *', '0 */5 * * * *', '@hourly', '0 30 2 * * *', '0 0 29 2 *') }),
    fc.record({ at: instantText }),
  );
  const definition = fc.record({
    trigger,
    startAt: fc.option(instantText, { nil: undefined }),
    endAt: fc.option(instantText, { nil: undefined }),
    maxCount: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
    jitter: fc.option(durationText, { nil: undefined }),
  }).map(({ trigger: t, ...rest }) => Object.fromEntries(Object.entries({ ...t, ...rest }).filter(([, v]) => v !== undefined)));
  const anyTime = fc.integer({ min: Date.parse('0000-01-01T00:00:00Z'), max: Date.parse('9999-12-31T23:59:59.999Z') });

  it('valid dates from every fire-time computation, at any time up to the year 9999', () => {
    fc.assert(
      fc.property(definition, anyTime, (value, afterMs) => {
        const checked = checkDefinition({ name: 'p', ...value }, input);
        if (!checked.ok) {
          for (const p of checked.problems) assert.notEqual(p.field, '', `a refusal names its field: ${p.why}`);
          return;
        }
        const state = { ...newScheduleState('p', checked.spec, new Date(Math.max(0, Math.min(afterMs, Date.parse('9999-01-01T00:00:00Z'))))) };
        const tl = timelineOf(state);
        const times = [firstTick(tl), nextTick(tl, afterMs), ...upcoming(tl, afterMs, 3)];
        for (const t of times) {
          if (t === undefined) continue;
          assert.doesNotThrow(() => new Date(t).toISOString(), `${JSON.stringify(value)}: tick ${t}`);
          assert.doesNotThrow(() => new Date(fireAt(state, t)).toISOString(), `${JSON.stringify(value)}: fire at ${t}`);
        }
        assert.doesNotThrow(() => ticksBetween(tl, afterMs, afterMs + 3_600_000, 100_000));
        const step = nextStep({ ...state, nextFireTime: undefined }, new Date(Math.min(afterMs, Date.parse('9999-12-31T00:00:00Z'))));
        if (step.kind === 'wait' && step.until !== undefined) assert.doesNotThrow(() => step.until?.toISOString());
      }),
      fuzzParameters({ numRuns: 400 }, 'accepted specs'),
    );
  });
});

describe('backfill: never a tick that is not due, nor one the schedule still sends itself (the orchestration\'s guard)', () => {
  const t0 = Date.parse('2030-01-01T00:00:00.000Z');
  const spec = specOf({ every: '10s' });

  function sendAll(state: ScheduleState, nowMs: number): string[] {
    const sent: string[] = [];
    // Paused: the schedule's own ticks wait, the queue still goes out, so only backfilled ticks are sent here.
    let current: ScheduleState = { ...state, paused: { note: 'test', since: state.generation } };
    for (let i = 0; i < 200; i++) {
      const step = nextStep(current, new Date(nowMs));
      if (step.kind !== 'deliver' || step.tick.trigger !== 'backfill') break;
      sent.push(step.tick.scheduledTime);
      current = { ...step.state, queue: step.state.queue.map((q, index) => (index === 0 && q.kind === 'backfill' ? { ...q, from: new Date(Date.parse(step.tick.scheduledTime) + 1).toISOString() } : q)) };
    }
    return sent;
  }

  it('a range into the future is cut at the orchestration\'s time, and at the schedule\'s next own tick', () => {
    const state: ScheduleState = { ...newScheduleState('b', spec, new Date(t0)), nextFireTime: new Date(t0 + 60_000).toISOString() };
    const now = new Date(t0 + 45_000);
    const future = applyEvent(state, { kind: 'backfill', from: new Date(t0 + 50_000).toISOString(), to: new Date(t0 + 120_000).toISOString() }, now);
    assert.deepEqual(future.state.queue, [], 'nothing of it is due');
    assert.match(future.ignored ?? '', /holds no tick that is due/);
    const straddling = applyEvent(state, { kind: 'backfill', from: new Date(t0).toISOString(), to: new Date(t0 + 120_000).toISOString() }, now);
    assert.deepEqual(sendAll(straddling.state, t0 + 200_000), [0, 10, 20, 30, 40].map((s) => new Date(t0 + s * 1_000).toISOString()), 'due by the event\'s time only');
    const atNow = applyEvent(state, { kind: 'backfill', from: new Date(t0).toISOString(), to: new Date(t0 + 120_000).toISOString() }, new Date(t0 + 40_000));
    assert.deepEqual(sendAll(atNow.state, t0 + 200_000).at(-1), new Date(t0 + 40_000).toISOString(), 'a tick at the event\'s very time is due');
    const behind = applyEvent({ ...state, nextFireTime: new Date(t0 + 20_000).toISOString() }, { kind: 'backfill', from: new Date(t0).toISOString(), to: new Date(t0 + 40_000).toISOString() }, now);
    assert.deepEqual(sendAll(behind.state, t0 + 200_000), [0, 10].map((s) => new Date(t0 + s * 1_000).toISOString()), 'not the due ticks the schedule still sends in order');
  });

  it('property: every backfilled tick was due when the event arrived and behind the schedule\'s own next tick', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 200_000 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 200_000 }), (fromOffset, length, nowOffset, nextOffset) => {
        const state: ScheduleState = { ...newScheduleState('b', spec, new Date(t0)), nextFireTime: new Date(t0 + Math.ceil(nextOffset / 10_000) * 10_000).toISOString() };
        const now = t0 + nowOffset;
        const from = t0 + fromOffset;
        const applied = applyEvent(state, { kind: 'backfill', from: new Date(from).toISOString(), to: new Date(from + length).toISOString() }, new Date(now));
        for (const time of sendAll(applied.state, t0 + 10_000_000)) {
          assert.ok(Date.parse(time) <= now && Date.parse(time) < Date.parse(state.nextFireTime ?? ''), time);
        }
      }),
      fuzzParameters({ numRuns: 300 }, 'backfill guard'),
    );
  });

  it('the queue holds at most 10,000 backfilled ticks, however many events are raised', () => {
    let state: ScheduleState = { ...newScheduleState('b', specOf({ every: '1s' }), new Date(t0)), nextFireTime: new Date(t0 + 100_000_000).toISOString() };
    for (let i = 0; i < 5; i++) {
      const from = t0 + i * 4_000_000;
      state = applyEvent(state, { kind: 'backfill', from: new Date(from).toISOString(), to: new Date(from + 4_000_000).toISOString() }, new Date(t0 + 50_000_000)).state;
    }
    assert.equal(state.queue.length, 2, 'the third range would pass the ceiling');
    assert.equal(queuedBackfillTicks(timelineOf(state), state.queue), 8_000);
  });
});
