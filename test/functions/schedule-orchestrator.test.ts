/**
 * Replays the schedule orchestrator through the real `durable-functions` orchestration code, registered exactly as
 * the Node worker registers it (the embedded host's loader supplies @azure/functions-core), with histories of
 * Durable events built by hand.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import fc from 'fast-check';
import { loadApp } from '../../src/host/worker/load-app.js';
import { AppInvoker } from '../../src/host/worker/app-invoker.js';
import { newScheduleState, type ScheduleState } from '../../src/eventsource/core/schedule-state.js';
import { statusOf, type ScheduleStatus } from '../../src/eventsource/core/schedule-status.js';
import { TICKS_PER_EXECUTION } from '../../src/functions/schedule-orchestrator.js';
import { eventId } from '../../src/eventsource/core/event.js';
import { ActionType, History, flatActions, type FlatAction } from '../support/history.js';
import { specOf, TEN_SECONDS } from '../support/specs.js';
import { fuzzParameters } from '../support/fuzz.js';

const root = path.resolve(__dirname, '..', '..', '..');
const ORCHESTRATOR = 'scheduleOrchestrator';
const ACTIVITY = 'deliverTick';
const instanceId = 'schedule-default';
const t0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const spec = TEN_SECONDS;
const maxAttempts = spec.delivery.retry + 1;
// The generation starts 1 ms after t0: the first tick on the 10 s grid after it is t0 + 10 s.
const g0 = at(1);

/**
 * What the orchestrator hands the delivery activity for one attempt: the tick, whether it is the last, the spec's
 * event and delivery, and what the activity reports to the metrics (the attempt, the orchestration's time of it, and
 * on the first attempt of a scheduled tick its lateness).
 */
function request(tick: { scheduledTime: string }, lastAttempt: boolean, attempt: number, dispatchedAt: Date): object {
  const lateMs = attempt === 1 ? { lateMs: dispatchedAt.getTime() - Date.parse(tick.scheduledTime) } : {};
  return {
    ...tick, lastAttempt, event: spec.event, delivery: { timeout: spec.delivery.timeoutMs },
    attempt, dispatchedAt: dispatchedAt.toISOString(), ...lateMs,
  };
}

let invoker: AppInvoker;

before(async () => {
  // The app validates its configuration when it loads; the sink is never called in these tests.
  process.env.K_SINK = 'http://127.0.0.1:9/';
  process.env.LOG_LEVEL = 'silent';
  invoker = new AppInvoker(await loadApp(root, { logger: pino({ level: 'silent' }) }));
});

function only(actions: FlatAction[], type: number): FlatAction[] {
  return actions.filter((a) => a.actionType === type);
}

/** The actions that schedule work (activities, timers, continue-as-new): the event waiters yielded with them left out. */
function work(actions: FlatAction[]): FlatAction[] {
  return actions.filter((a) => a.actionType !== ActionType.WaitForExternalEvent);
}

function carriedState(action: FlatAction | undefined): ScheduleState {
  const value = action?.input;
  return (typeof value === 'string' ? JSON.parse(value) : value) as ScheduleState;
}

/** The orchestrator returns every action of the execution; those past the previous episode's are the new ones. */
function newSince(previous: FlatAction[], current: FlatAction[]): FlatAction[] {
  // A timer canceled since it was scheduled is the same action (the host still fires it; the SDK ignores it).
  const uncanceled = (actions: FlatAction[]): FlatAction[] => actions.map(({ isCanceled: _c, ...action }) => action);
  assert.deepEqual(uncanceled(current.slice(0, previous.length)), uncanceled(previous), 'replay reproduces the earlier actions, each once');
  return current.slice(previous.length);
}

/**
 * The schedule as an episode leaves it: the status of the state it carries on with at continue-as-new, or (the
 * execution goes on to its next tick) the status it shows.
 */
function statusAfter(result: { state: { isDone: boolean; customStatus?: unknown }; actions: FlatAction[] }): ScheduleStatus {
  if (!result.state.isDone) return result.state.customStatus as ScheduleStatus;
  return statusOf(carriedState(only(result.actions, ActionType.ContinueAsNew)[0]));
}

async function episode(history: History, input: ScheduleState) {
  const state = await invoker.invokeOrchestration(ORCHESTRATOR, history.payload(instanceId, input));
  assert.equal(state.error, undefined, `orchestrator error: ${String(state.error)}`);
  return { state, actions: flatActions(state) };
}

test('first run waits on a durable timer for the first tick, one interval after the start, and listens for a new spec', async () => {
  const input = newScheduleState('default', spec, g0);
  const { state, actions } = await episode(new History().started(t0, ORCHESTRATOR, input), input);
  assert.equal(state.isDone, false);
  const timers = only(actions, ActionType.CreateTimer);
  assert.equal(timers.length, 1);
  assert.equal(new Date(String(timers[0]?.fireAt)).toISOString(), at(10_000).toISOString());
  assert.equal(only(actions, ActionType.WaitForExternalEvent)[0]?.externalEventName, 'reschedule');
  assert.equal(only(actions, ActionType.CallActivity).length, 0);
  assert.equal((state.customStatus as { nextFireTime: string }).nextFireTime, at(10_000).toISOString());
});

test('timer fired → the delivery activity for sequence 1 at the scheduled time; completed → the timer of sequence 2, the status shows the tick; replays add no action twice', async () => {
  const input = newScheduleState('default', spec, g0);
  const history = new History().started(t0, ORCHESTRATOR, input);
  const timerId = history.timerCreated(t0, at(10_000));
  history.orchestratorCompleted(t0).played();
  // The timer fires 40 ms late: the tick still carries its scheduled time.
  history.orchestratorStarted(at(10_040)).timerFired(at(10_040), timerId, at(10_000));

  const first = await episode(new History().started(t0, ORCHESTRATOR, input), input);
  const second = await episode(history, input);
  assert.equal(second.state.isDone, false);
  const added = newSince(first.actions, second.actions);
  assert.equal(only(added, ActionType.CreateTimer).length, 0, 'the timer is not scheduled again on replay');
  assert.equal(work(added).length, 1);
  const calls = only(added, ActionType.CallActivity);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.functionName, ACTIVITY);
  const tick = { scheduleName: 'default', generation: g0.toISOString(), sequence: 1, scheduledTime: at(10_000).toISOString() };
  assert.deepEqual(calls[0]?.input, request(tick, false, 1, at(10_040)), 'the tick was dispatched 40 ms late');

  const taskId = history.taskScheduled(at(10_040), ACTIVITY, tick);
  history.orchestratorCompleted(at(10_040)).played();
  history.orchestratorStarted(at(10_090)).taskCompleted(at(10_090), taskId, { ok: true, status: 202 });

  const third = await episode(history, input);
  assert.equal(third.state.isDone, false, 'the execution goes on to its next tick');
  const added3 = newSince(second.actions, third.actions);
  assert.equal(only(added3, ActionType.CallActivity).length, 0, 'the activity is not called again on replay');
  assert.deepEqual(work(added3).map((a) => [a.actionType, a.fireAt]), [[ActionType.CreateTimer, at(20_000).toISOString()]], 'fixed rate: from the scheduled time, not the late fire');
  const shown = statusAfter(third);
  assert.equal(shown.nextSequence, 2);
  assert.equal(shown.nextFireTime, at(20_000).toISOString());
  assert.equal(shown.generation, g0.toISOString());
  assert.deepEqual(shown.lastDelivery, {
    sequence: 1,
    id: eventId(tick),
    scheduledTime: tick.scheduledTime,
    attempts: 1,
    status: 202,
    outcome: 'delivered',
  });
});

test(`an execution delivers ${TICKS_PER_EXECUTION} ticks, each on its own timer with its own id and status, then continues as new with the next sequence`, async () => {
  const input = newScheduleState('default', spec, g0);
  const history = new History().started(t0, ORCHESTRATOR, input);
  let now = 0;
  let seen: FlatAction[] = [];
  let current = await episode(history, input);
  for (let sequence = 1; sequence <= TICKS_PER_EXECUTION; sequence++) {
    const added = newSince(seen, current.actions);
    seen = current.actions;
    const scheduled = at(sequence * 10_000);
    assert.deepEqual(work(added).map((a) => [a.actionType, a.fireAt]), [[ActionType.CreateTimer, scheduled.toISOString()]], `tick ${sequence} waits on its timer`);
    assert.equal(statusAfter(current).nextSequence, sequence);
    const timerId = history.timerCreated(at(now), scheduled);
    history.orchestratorCompleted(at(now)).played();
    now = sequence * 10_000 + 20;
    history.orchestratorStarted(at(now)).timerFired(at(now), timerId, scheduled);
    current = await episode(history, input);
    const tick = { scheduleName: 'default', generation: g0.toISOString(), sequence, scheduledTime: scheduled.toISOString() };
    const calls = only(newSince(seen, current.actions), ActionType.CallActivity);
    seen = current.actions;
    assert.deepEqual(calls.map((c) => c.input), [request(tick, false, 1, at(now))]);
    const taskId = history.taskScheduled(at(now), ACTIVITY, tick);
    history.orchestratorCompleted(at(now)).played();
    now += 30;
    history.orchestratorStarted(at(now)).taskCompleted(at(now), taskId, { ok: true, status: 202 });
    current = await episode(history, input);
    const shown = statusAfter(current);
    assert.equal(shown.lastDelivery?.id, eventId(tick), `tick ${sequence} keeps the id of one tick per execution`);
    assert.equal(shown.counters.delivered, sequence);
    assert.equal(current.state.isDone, sequence === TICKS_PER_EXECUTION, 'continue-as-new after the last tick of the execution');
  }
  const next = only(newSince(seen, current.actions), ActionType.ContinueAsNew);
  assert.equal(next.length, 1);
  const carried = carriedState(next[0]);
  assert.equal(carried.sequence, TICKS_PER_EXECUTION + 1);
  assert.equal(carried.nextFireTime, at((TICKS_PER_EXECUTION + 1) * 10_000).toISOString());
  assert.equal(carried.counters.delivered, TICKS_PER_EXECUTION);
});

test('failed attempts back off on durable timers; after the last one the schedule continues with the same tick, it does not end', async () => {
  const input: ScheduleState = { ...newScheduleState('default', spec, g0), nextFireTime: at(10_000).toISOString() };
  const history = new History().started(at(10_000), ORCHESTRATOR, input);
  const tick = { scheduleName: 'default', generation: g0.toISOString(), sequence: 1, scheduledTime: at(10_000).toISOString() };
  let now = 10_000;
  const backoffs: number[] = [];
  let seen: FlatAction[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { actions, state } = await episode(history, input);
    assert.equal(state.isDone, false);
    const added = newSince(seen, actions);
    seen = actions;
    assert.equal(work(added).length, 1);
    assert.equal(only(added, ActionType.CallActivity).length, 1, `attempt ${attempt} calls the activity once`);
    // The activity is told which attempt is the last: its failure goes to the dead-letter sink, if one is set.
    assert.deepEqual(only(added, ActionType.CallActivity)[0]?.input, request(tick, attempt === maxAttempts, attempt, at(now)));
    const taskId = history.taskScheduled(at(now), ACTIVITY, tick);
    history.orchestratorCompleted(at(now)).played();
    now += 100;
    history.orchestratorStarted(at(now));
    // Attempt 2 fails inside the activity itself (TaskFailed); the others get a 503 from the sink.
    if (attempt === 2) history.taskFailed(at(now), taskId, 'worker crashed');
    else history.taskCompleted(at(now), taskId, { ok: false, status: 503, reason: 'HTTP 503', retryable: true });
    if (attempt === maxAttempts) break;
    const retry = await episode(history, input);
    const timer = only(newSince(seen, retry.actions), ActionType.CreateTimer);
    seen = retry.actions;
    assert.equal(timer.length, 1, `a back-off timer after attempt ${attempt}`);
    const fireAt = new Date(String(timer[0]?.fireAt));
    backoffs.push(fireAt.getTime() - at(now).getTime());
    const timerId = history.timerCreated(at(now), fireAt);
    history.orchestratorCompleted(at(now)).played();
    now = fireAt.getTime() - t0.getTime();
    history.orchestratorStarted(at(now)).timerFired(at(now), timerId, fireAt);
  }
  assert.deepEqual(backoffs, [1_000, 2_000], 'exponential back-off from DELIVERY_BACKOFF_DELAY');
  const last = await episode(history, input);
  assert.equal(last.state.isDone, true);
  assert.equal(last.state.error, undefined, 'the orchestration does not fail');
  const next = only(newSince(seen, last.actions), ActionType.ContinueAsNew);
  assert.equal(next.length, 1, 'the schedule goes on');
  const carried = carriedState(next[0]);
  assert.equal(carried.sequence, 1, 'the tick is kept');
  assert.equal(carried.nextFireTime, tick.scheduledTime);
  assert.equal(carried.lastDelivery?.outcome, 'failed');
  assert.equal(carried.lastDelivery?.attempts, 3);
  assert.equal(carried.lastDelivery?.id, eventId(tick), 'a kept tick keeps its event id');
});

test('a dead-lettered attempt ends the tick at once: no back-off, the sequence moves on, the count grows', async () => {
  const input: ScheduleState = { ...newScheduleState('default', spec, g0), nextFireTime: at(10_000).toISOString() };
  const history = new History().started(at(10_000), ORCHESTRATOR, input);
  const tick = { scheduleName: 'default', generation: g0.toISOString(), sequence: 1, scheduledTime: at(10_000).toISOString() };
  const first = await episode(history, input);
  const taskId = history.taskScheduled(at(10_000), ACTIVITY, { ...tick, lastAttempt: false });
  history.orchestratorCompleted(at(10_000)).played();
  // A 400 on the first attempt: the activity sent the event to the dead-letter sink and says so.
  history.orchestratorStarted(at(10_050)).taskCompleted(at(10_050), taskId, {
    ok: false, status: 400, reason: 'HTTP 400', retryable: false, deadLettered: true,
  });
  const second = await episode(history, input);
  const added = newSince(first.actions, second.actions);
  assert.deepEqual(only(added, ActionType.CreateTimer).map((t) => t.fireAt), [at(20_000).toISOString()], 'no back-off timer: the next tick\'s');
  const carried = statusAfter(second);
  assert.equal(carried.nextSequence, 2);
  assert.equal(carried.nextFireTime, at(20_000).toISOString());
  assert.equal(carried.counters.deadLettered, 1);
  assert.equal(carried.counters.rejected, 0);
  assert.deepEqual(carried.lastDelivery, {
    sequence: 1, id: eventId(tick), scheduledTime: tick.scheduledTime, attempts: 1, status: 400, outcome: 'deadLettered', reason: 'HTTP 400',
  });
});

test('a reschedule event while waiting takes the new spec from the next tick, keeping the sequence, and waits for that tick', async () => {
  const input: ScheduleState = { ...newScheduleState('default', spec, g0), sequence: 7, nextFireTime: at(10_000).toISOString() };
  const history = new History().started(t0, ORCHESTRATOR, input);
  history.timerCreated(t0, at(10_000));
  history.orchestratorCompleted(t0).played();
  const newSpec = specOf({ every: '1m' });
  history.orchestratorStarted(at(3_000)).eventRaised(at(3_000), 'reschedule', { spec: newSpec });
  const { state, actions } = await episode(history, input);
  assert.equal(state.isDone, false);
  assert.equal(only(actions, ActionType.CallActivity).length, 0);
  const timers = only(actions, ActionType.CreateTimer);
  assert.equal(new Date(String(timers.at(-1)?.fireAt)).toISOString(), at(60_000).toISOString(), 'the next tick of the new spec');
  const status = state.customStatus as { nextSequence: number; normalizedSpec: unknown; nextFireTime: string };
  assert.equal(status.nextSequence, 7);
  assert.deepEqual(status.normalizedSpec, newSpec);
});

test('regression: a malformed reschedule event is ignored; the schedule neither fails nor changes', async () => {
  const input: ScheduleState = { ...newScheduleState('default', spec, g0), sequence: 4, nextFireTime: at(10_000).toISOString() };
  for (const bad of [{}, { spec: { ...spec, trigger: { kind: 'every', everyMs: -1, offsetMs: 0 } } }, { spec: { ...spec, delivery: { ...spec.delivery, retry: 1.5 } } }, spec, 'not an object']) {
    const history = new History().started(t0, ORCHESTRATOR, input);
    history.timerCreated(t0, at(10_000));
    history.orchestratorCompleted(t0).played();
    history.orchestratorStarted(at(3_000)).eventRaised(at(3_000), 'reschedule', bad);
    const { state } = await episode(history, input);
    assert.equal(state.error, undefined, `event ${JSON.stringify(bad)} must not fail the orchestration`);
    const status = state.customStatus as { nextSequence: number; normalizedSpec: unknown; nextFireTime: string };
    assert.deepEqual(status.normalizedSpec, spec, 'the spec is unchanged');
    assert.equal(status.nextSequence, 4);
    assert.equal(status.nextFireTime, at(10_000).toISOString());
  }
});

/** Runs the first episode of `instance` with `input` (which may be anything a Durable API caller sends). */
async function firstEpisode(instance: string, input: unknown) {
  const state = await invoker.invokeOrchestration(ORCHESTRATOR, new History().started(t0, ORCHESTRATOR, input).payload(instance, input));
  return { state, actions: flatActions(state) };
}

test('regression: a forged state naming another schedule (its later sequence, its ids) fails the instance at once and delivers nothing', async () => {
  const forged: ScheduleState = { ...newScheduleState('default', spec, g0), sequence: 500, nextFireTime: t0.toISOString() };
  const { state, actions } = await firstEpisode('schedule-evil', forged);
  assert.equal(only(actions, ActionType.CallActivity).length, 0, 'nothing is delivered');
  assert.equal(only(actions, ActionType.CreateTimer).length, 0);
  assert.match(String(state.error), /name: "default" does not belong to instance "schedule-evil" \(expected "evil"\)/);
  // Deterministic: the same input fails the same way on every replay.
  const again = await firstEpisode('schedule-evil', forged);
  assert.equal(String(again.state.error), String(state.error));
  const stranger = await firstEpisode('not-a-schedule', forged);
  assert.match(String(stranger.state.error), /name: instance "not-a-schedule" is not a schedule instance/);
});

test('regression: an input that is not a schedule state fails the instance with a message naming the field', async () => {
  const valid = newScheduleState('default', spec, g0);
  const cases: Array<[unknown, RegExp]> = [
    ['garbage', /\(the value\): /],
    [null, /\(the value\): /],
    [{ ...valid, sequence: -1 }, /sequence: /],
    [{ ...valid, sequence: '7' }, /sequence: /],
    [{ ...valid, generation: 'a/b' }, /generation: /],
    [{ ...valid, spec: { ...spec, schedule: 'now and then' } }, /spec: /],
    [{ ...valid, counters: { ...valid.counters, delivered: -1 } }, /counters\.delivered: /],
    [{ ...valid, queue: [{ kind: 'manual', requestId: 'a/b', time: t0.toISOString() }] }, /queue\.0\.requestId: /],
    [{ ...valid, nextFireTime: 'tomorrow' }, /nextFireTime: /],
    [{ ...valid, lastDelivery: { sequence: 1 } }, /lastDelivery\.\w+: /],
  ];
  for (const [input, field] of cases) {
    const { state, actions } = await firstEpisode(instanceId, input);
    assert.equal(actions.length, 0, `no action for ${JSON.stringify(input)}`);
    assert.match(String(state.error), /refused the orchestration input/);
    assert.match(String(state.error), field, `${JSON.stringify(input)} → ${String(state.error)}`);
  }
});

test('skipped ticks are handed to the delivery activity once, with one attempt; a kept tick tried again reports no lateness', async () => {
  // Skips are decided in this replayed code; the activity (run once per attempt) counts them for the metrics.
  const input: ScheduleState = { ...newScheduleState('default', spec, g0), nextFireTime: at(10_000).toISOString() };
  input.counters.skipped = 3;
  const history = new History().started(at(10_000), ORCHESTRATOR, input);
  const firstEpisode = await episode(history, input);
  const firstCall = only(firstEpisode.actions, ActionType.CallActivity)[0]?.input as { skipped?: number; lateMs?: number };
  assert.equal(firstCall.skipped, 3, 'the first attempt carries the skips');
  assert.equal(firstCall.lateMs, 0);
  let taskId = history.taskScheduled(at(10_000), ACTIVITY, firstCall);
  history.orchestratorCompleted(at(10_000)).played();
  history.orchestratorStarted(at(10_100)).taskCompleted(at(10_100), taskId, { ok: false, status: 503, reason: 'HTTP 503', retryable: true });
  const backoff = await episode(history, input);
  const timer = only(newSince(firstEpisode.actions, backoff.actions), ActionType.CreateTimer)[0];
  const fireAt = new Date(String(timer?.fireAt));
  const timerId = history.timerCreated(at(10_100), fireAt);
  history.orchestratorCompleted(at(10_100)).played();
  history.orchestratorStarted(fireAt).timerFired(fireAt, timerId, fireAt);
  const retry = await episode(history, input);
  const retryCall = only(newSince(backoff.actions, retry.actions), ActionType.CallActivity)[0]?.input as { skipped?: number; lateMs?: number; attempt?: number };
  assert.equal(retryCall.attempt, 2);
  assert.equal(retryCall.skipped, undefined, 'the retry does not carry them again');
  assert.equal(retryCall.lateMs, undefined, 'lateness is the first attempt\'s');
  taskId = history.taskScheduled(fireAt, ACTIVITY, retryCall);
  history.orchestratorCompleted(fireAt).played();
  history.orchestratorStarted(fireAt).taskCompleted(fireAt, taskId, { ok: false, status: 503, reason: 'HTTP 503', retryable: true });
  // Out of attempts: the tick is kept; the next execution tries it again after DELIVERY_MAX_BACKOFF.
  let episodeNow = await episode(history, input);
  for (let i = 0; i < maxAttempts && only(episodeNow.actions, ActionType.ContinueAsNew).length === 0; i++) {
    const pending = only(episodeNow.actions, ActionType.CreateTimer).at(-1);
    const when = new Date(String(pending?.fireAt));
    const id = history.timerCreated(fireAt, when);
    history.orchestratorCompleted(fireAt).played();
    history.orchestratorStarted(when).timerFired(when, id, when);
    const again = await episode(history, input);
    const call = only(newSince(episodeNow.actions, again.actions), ActionType.CallActivity)[0]?.input as { skipped?: number } | undefined;
    assert.equal(call?.skipped, undefined);
    const task = history.taskScheduled(when, ACTIVITY, call);
    history.orchestratorCompleted(when).played();
    history.orchestratorStarted(when).taskCompleted(when, task, { ok: false, status: 503, reason: 'HTTP 503', retryable: true });
    episodeNow = await episode(history, input);
  }
  const carried = carriedState(only(episodeNow.actions, ActionType.ContinueAsNew)[0]);
  assert.equal(carried.skippedReported, 3, 'the carried state remembers the skips were reported');
  assert.ok(carried.pendingSince !== undefined, 'the tick is kept');
  const kept = carried.retryNotBefore as string;
  const next = new History().started(at(10_000), ORCHESTRATOR, carried);
  const waiting = await episode(next, carried);
  const keptTimer = only(waiting.actions, ActionType.CreateTimer)[0];
  assert.equal(new Date(String(keptTimer?.fireAt)).toISOString(), kept);
  const id = next.timerCreated(at(10_000), new Date(kept));
  next.orchestratorCompleted(at(10_000)).played();
  next.orchestratorStarted(new Date(kept)).timerFired(new Date(kept), id, new Date(kept));
  const keptCall = only((await episode(next, carried)).actions, ActionType.CallActivity)[0]?.input as { skipped?: number; lateMs?: number; attempt?: number };
  assert.equal(keptCall.attempt, 1);
  assert.equal(keptCall.skipped, undefined, 'nothing to report twice');
  assert.equal(keptCall.lateMs, undefined, 'a kept tick tried again is not reported late again');
});

/** A history in which the execution waited for its tick at 10 s and scheduled the tick's first attempt. */
function deliveringTick(input: ScheduleState): { history: History; taskId: number } {
  const history = new History().started(t0, ORCHESTRATOR, input);
  const tickTimer = history.timerCreated(t0, at(10_000));
  history.orchestratorCompleted(t0).played();
  history.orchestratorStarted(at(10_000)).timerFired(at(10_000), tickTimer, at(10_000));
  const tick = { scheduleName: 'default', generation: g0.toISOString(), sequence: 1, scheduledTime: at(10_000).toISOString() };
  const taskId = history.taskScheduled(at(10_000), ACTIVITY, request(tick, false, 1, at(10_000)));
  history.orchestratorCompleted(at(10_000)).played();
  return { history, taskId };
}

test('triggers raised during a back-off are applied by the overlap policy; the retry goes on and ends the tick', async () => {
  const input: ScheduleState = { ...newScheduleState('default', spec, g0), nextFireTime: at(10_000).toISOString() };
  // The execution first waits for the tick (its event waiters open), then delivers it.
  const { history, taskId: first } = deliveringTick(input);
  history.orchestratorStarted(at(10_100)).taskCompleted(at(10_100), first, { ok: false, status: 503, reason: 'HTTP 503', retryable: true });
  const backoff = await episode(history, input);
  const timer = only(backoff.actions, ActionType.CreateTimer).at(-1);
  const fireAt = new Date(String(timer?.fireAt));
  assert.equal(fireAt.toISOString(), at(11_100).toISOString());
  let timerId = history.timerCreated(at(10_100), fireAt);
  history.orchestratorCompleted(at(10_100)).played();
  let seen = backoff.actions;
  for (const [ms, requestId] of [[10_500, 'a'], [10_600, 'b']] as const) {
    history.orchestratorStarted(at(ms)).eventRaised(at(ms), 'trigger', { requestId });
    const next = await episode(history, input);
    const timers = only(next.actions.slice(seen.length), ActionType.CreateTimer);
    seen = next.actions;
    // The back-off goes on to the same instant, on a new timer (a timer is never yielded twice).
    assert.deepEqual(timers.map((t) => new Date(String(t.fireAt)).toISOString()), [fireAt.toISOString()]);
    timerId = history.timerCreated(at(ms), fireAt);
    history.orchestratorCompleted(at(ms)).played();
  }
  history.orchestratorStarted(at(11_100)).timerFired(at(11_100), timerId, fireAt);
  const retry = await episode(history, input);
  const calls = only(retry.actions, ActionType.CallActivity);
  assert.equal(calls.length, 2, 'the second attempt');
  const second = history.taskScheduled(at(11_100), ACTIVITY, calls[1]?.input);
  history.orchestratorCompleted(at(11_100)).played();
  history.orchestratorStarted(at(11_200)).taskCompleted(at(11_200), second, { ok: true, status: 202 });
  const done = await episode(history, input);
  const carried = statusAfter(done);
  assert.deepEqual(carried.queue.map((q) => (q.kind === 'manual' ? q.requestId : q.kind)), ['a', 'b'], 'bufferAll keeps both');
  assert.equal(carried.nextSequence, 2);
  // The execution goes on with the first trigger at once.
  const next = only(newSince(retry.actions, done.actions), ActionType.CallActivity).map((c) => (c.input as { requestId?: string }).requestId);
  assert.deepEqual(next, ['a']);
});


test('jitter: the timer waits the scheduled time plus the tick\'s own delay, the same on every replay; the activity gets the scheduled time', async () => {
  const jittered = specOf({ every: '10s', jitter: '5s' });
  const input = newScheduleState('default', jittered, g0);
  const first = await episode(new History().started(t0, ORCHESTRATOR, input), input);
  const again = await episode(new History().started(t0, ORCHESTRATOR, input), input);
  const fireAt = new Date(String(only(first.actions, ActionType.CreateTimer)[0]?.fireAt));
  assert.deepEqual(first.actions, again.actions);
  const delay = fireAt.getTime() - at(10_000).getTime();
  assert.ok(delay >= 0 && delay < 5_000, `jitter ${delay} ms`);
  const history = new History().started(t0, ORCHESTRATOR, input);
  const timerId = history.timerCreated(t0, fireAt);
  history.orchestratorCompleted(t0).played();
  history.orchestratorStarted(fireAt).timerFired(fireAt, timerId, fireAt);
  const fired = await episode(history, input);
  const call = only(fired.actions, ActionType.CallActivity)[0];
  assert.equal((call?.input as { scheduledTime: string }).scheduledTime, at(10_000).toISOString(), 'the event time stays the scheduled time');
});

/** Records a TimerCreated for each timer the episode added (ids follow the order they were scheduled); returns them. */
function timersOf(history: History, added: FlatAction[], now: Date): Array<{ id: number; fireAt: Date }> {
  return only(added, ActionType.CreateTimer).map((t) => {
    const fireAt = new Date(String(t.fireAt));
    return { id: history.timerCreated(now, fireAt), fireAt };
  });
}

test('an event raised while an attempt runs is applied as it arrives (pause: shown at once; the attempt completes the tick, then the schedule holds)', async () => {
  const input: ScheduleState = { ...newScheduleState('default', spec, g0), nextFireTime: at(10_000).toISOString() };
  const { history, taskId } = deliveringTick(input);
  const before = await episode(history, input);
  history.orchestratorStarted(at(10_050)).eventRaised(at(10_050), 'pause', { note: 'during the attempt' });
  const during = await episode(history, input);
  assert.equal(during.state.isDone, false);
  assert.equal(only(during.actions, ActionType.CallActivity).length, 1, 'the attempt is not scheduled again');
  assert.deepEqual((during.state.customStatus as { paused?: unknown }).paused, { note: 'during the attempt', since: at(10_050).toISOString() });
  // The rest of the attempt: the waiters with a timer to look at the activity again.
  const [poll] = timersOf(history, newSince(before.actions, during.actions), at(10_050));
  assert.equal(poll?.fireAt.toISOString(), at(11_050).toISOString());
  history.orchestratorCompleted(at(10_050)).played();
  history.orchestratorStarted(at(10_100)).taskCompleted(at(10_100), taskId, { ok: true, status: 202 });
  const completed = await episode(history, input);
  assert.deepEqual(work(newSince(during.actions, completed.actions)), [], 'nothing new until the timer');
  history.orchestratorCompleted(at(10_100)).played();
  history.orchestratorStarted(at(11_050)).timerFired(at(11_050), poll?.id ?? -1, at(11_050));
  const ended = await episode(history, input);
  assert.equal(only(ended.actions, ActionType.CallActivity).length, 1);
  const carried = statusAfter(ended);
  assert.equal(carried.nextSequence, 2, 'the tick completed');
  assert.equal(carried.lastDelivery?.sequence, 1);
  assert.deepEqual(carried.paused, { note: 'during the attempt', since: at(10_050).toISOString() });
});

/** An execution that starts behind: its tick (sequence 1 at 10 s) is due at once at `now`, its attempt scheduled. */
function behindExecution(now: number): { history: History; input: ScheduleState; taskId: number } {
  const input: ScheduleState = { ...newScheduleState('default', spec, g0), nextFireTime: at(10_000).toISOString() };
  const history = new History().started(at(now), ORCHESTRATOR, input);
  const tick = { scheduleName: 'default', generation: g0.toISOString(), sequence: 1, scheduledTime: at(10_000).toISOString() };
  const taskId = history.taskScheduled(at(now), ACTIVITY, tick);
  return { history, input, taskId };
}

test('regression (#16 finding 4): behind, the attempt is yielded with the event waiters; a pause is applied during it and stops the retries, the tick is kept', async () => {
  const { history, input, taskId } = behindExecution(12_500);
  const first = await episode(new History().started(at(12_500), ORCHESTRATOR, input), input);
  assert.equal(only(first.actions, ActionType.CallActivity).length, 1, 'the due tick is delivered at once');
  assert.deepEqual(only(first.actions, ActionType.WaitForExternalEvent).map((a) => a.externalEventName).sort(),
    ['backfill', 'pause', 'reschedule', 'resume', 'trigger'], 'with a waiter for every event');
  history.orchestratorCompleted(at(12_500)).played();
  history.orchestratorStarted(at(13_000)).eventRaised(at(13_000), 'pause', { note: 'stop' });
  const paused = await episode(history, input);
  assert.equal((paused.state.customStatus as { paused?: { note: string } }).paused?.note, 'stop', 'applied while the attempt runs');
  const [poll] = timersOf(history, newSince(first.actions, paused.actions), at(13_000));
  history.orchestratorCompleted(at(13_000)).played();
  // The attempt times out; the poll finds it done: no back-off, no second attempt while paused.
  history.orchestratorStarted(at(13_500)).taskCompleted(at(13_500), taskId, { ok: false, reason: 'timeout', retryable: true });
  const failed = await episode(history, input);
  history.orchestratorCompleted(at(13_500)).played();
  history.orchestratorStarted(at(14_000)).timerFired(at(14_000), poll?.id ?? -1, at(14_000));
  const done = await episode(history, input);
  const added = newSince(failed.actions, done.actions);
  assert.deepEqual(work(added).map((a) => a.actionType), [ActionType.ContinueAsNew], 'no retry, no back-off while paused');
  const carried = carriedState(added.at(-1));
  assert.equal(carried.paused?.note, 'stop');
  assert.equal(carried.sequence, 1, 'the tick keeps its place and its id');
  assert.ok(carried.pendingSince !== undefined, 'the tick is kept for after the resume');
});

test('events raised during one attempt: applied one by one in their order, the activity scheduled once', async () => {
  const { history, input, taskId } = behindExecution(12_500);
  let seen = (await episode(history, input)).actions;
  history.orchestratorCompleted(at(12_500)).played();
  // Two of the same name, a pause and a resume, in one batch while the attempt runs; one more with its result.
  history.orchestratorStarted(at(13_000))
    .eventRaised(at(13_000), 'trigger', { requestId: 'a' })
    .eventRaised(at(13_000), 'trigger', { requestId: 'b' })
    .eventRaised(at(13_000), 'resume', {})
    .eventRaised(at(13_000), 'pause', { note: 'last' });
  let current = await episode(history, input);
  let timers = timersOf(history, newSince(seen, current.actions), at(13_000));
  seen = current.actions;
  history.orchestratorCompleted(at(13_000)).played();
  history.orchestratorStarted(at(13_500)).eventRaised(at(13_500), 'trigger', { requestId: 'c' }).taskCompleted(at(13_500), taskId, { ok: true, status: 202 });
  current = await episode(history, input);
  // Until the attempt's result is taken: the tick shown as the last delivery (or carried on at continue-as-new).
  for (let i = 0; i < 5 && statusAfter(current).lastDelivery === undefined; i++) {
    timers = [...timers, ...timersOf(history, newSince(seen, current.actions), at(13_500))];
    seen = current.actions;
    const last = timers.at(-1);
    assert.ok(last !== undefined, 'waits on a timer');
    history.orchestratorCompleted(at(13_500)).played();
    history.orchestratorStarted(last.fireAt).timerFired(last.fireAt, last.id, last.fireAt);
    current = await episode(history, input);
  }
  const own = only(current.actions, ActionType.CallActivity).filter((c) => (c.input as { trigger?: string }).trigger === undefined);
  assert.equal(own.length, 1, 'one attempt, scheduled once');
  const carried = statusAfter(current);
  assert.equal(carried.lastDelivery?.sequence, 1);
  assert.deepEqual(carried.queue.map((q) => (q.kind === 'manual' ? q.requestId : q.kind)), ['a', 'b', 'c'], 'every trigger, once, in order');
  assert.equal(carried.paused?.note, 'last', 'the pause raised after the resume holds');
  assert.equal(carried.nextSequence, 2);
});

test('history stays bounded: events taken during a delivery count toward an execution\'s 20, which then continues as new after its tick', async () => {
  const { history, input, taskId } = behindExecution(12_500);
  let seen = (await episode(history, input)).actions;
  history.orchestratorCompleted(at(12_500)).played();
  history.orchestratorStarted(at(13_000));
  for (let i = 0; i < 20; i++) history.eventRaised(at(13_000), i % 2 === 0 ? 'pause' : 'resume', i % 2 === 0 ? { note: `p${i}` } : {});
  history.taskCompleted(at(13_000), taskId, { ok: true, status: 202 });
  let current = await episode(history, input);
  let timers = timersOf(history, newSince(seen, current.actions), at(13_000));
  seen = current.actions;
  let now = 13_000;
  for (let i = 0; i < 40 && !current.state.isDone; i++) {
    const last = timers.at(-1);
    assert.ok(last !== undefined, 'waits on a timer');
    history.orchestratorCompleted(at(now)).played();
    now = last.fireAt.getTime() - t0.getTime();
    history.orchestratorStarted(last.fireAt).timerFired(last.fireAt, last.id, last.fireAt);
    current = await episode(history, input);
    timers = [...timers, ...timersOf(history, newSince(seen, current.actions), last.fireAt)];
    seen = current.actions;
  }
  assert.equal(current.state.isDone, true, 'continued as new');
  assert.ok(now < 20_000, `before the next tick is due (at ${now} ms)`);
  assert.equal(only(current.actions, ActionType.CallActivity).length, 1, 'one tick delivered in this execution');
  const carried = carriedState(only(current.actions, ActionType.ContinueAsNew)[0]);
  assert.equal(carried.sequence, 2);
  assert.equal(carried.paused, undefined, 'every event applied, the last (resume) too');
});

type Raised = { at: number; name: 'trigger'; payload: { requestId: string } } | { at: number; name: 'pause' | 'resume'; payload: object };
interface ActivityInput { sequence: number; scheduledTime: string; requestId?: string; trigger?: string }
type Pending = { kind: 'activity'; id: number; input: ActivityInput; doneAt: number; result: object }
  | { kind: 'timer'; id: number; fireAt: number };

/**
 * Runs the schedule through the real replay code as the Durable extension would: every execution a fresh history,
 * the events raised in it handed over in batches with the results and fired timers due by then (raised events first,
 * as the embedded engine takes them), and at continue-as-new whatever the orchestrator did not take is dropped.
 * Returns the requestIds of the triggers sent (attempted), the ids of the schedule's own ticks by sequence, and the end state.
 */
async function runStrict(spec: ReturnType<typeof specOf>, raised: Raised[], latencies: number[], answers: boolean[]): Promise<{ triggered: string[]; own: Map<number, Set<string>>; state: ScheduleState }> {
  let input: ScheduleState = newScheduleState('default', spec, at(0));
  let now = 0;
  let draw = 0;
  const events = [...raised].sort((a, b) => a.at - b.at);
  const triggered: string[] = [];
  const own = new Map<number, Set<string>>();
  for (let execution = 0; execution < 400; execution++) {
    const history = new History().started(at(now), ORCHESTRATOR, input);
    const pending: Pending[] = [];
    let seen: FlatAction[] = [];
    for (;;) {
      const { state, actions } = await episode(history, input);
      const added = newSince(seen, actions);
      seen = actions;
      for (const action of added) {
        if (action.actionType === ActionType.CallActivity) {
          const request = action.input as ActivityInput;
          const ok = answers[draw % answers.length] ?? true;
          const latency = latencies[draw++ % latencies.length] ?? 0;
          pending.push({ kind: 'activity', id: history.taskScheduled(at(now), ACTIVITY, request), input: request, doneAt: now + latency, result: ok ? { ok: true, status: 202 } : { ok: false, status: 503, reason: 'HTTP 503', retryable: true } });
        } else if (action.actionType === ActionType.CreateTimer) {
          const fireAt = Date.parse(String(action.fireAt)) - t0.getTime();
          pending.push({ kind: 'timer', id: history.timerCreated(at(now), at(fireAt)), fireAt });
        }
      }
      assert.ok(pending.filter((p) => p.kind === 'activity').length <= 1, 'one attempt at a time: an activity is never scheduled twice');
      const next = only(added, ActionType.ContinueAsNew)[0];
      if (next !== undefined || state.isDone) {
        if (next === undefined) return { triggered, own, state: input };
        input = carriedState(next);
        break;
      }
      history.orchestratorCompleted(at(now)).played();
      const dueAt = (p: Pending): number => (p.kind === 'activity' ? p.doneAt : p.fireAt);
      const nextAt = Math.min(...pending.map(dueAt), events[0]?.at ?? Infinity);
      if (!Number.isFinite(nextAt)) return { triggered, own, state: input };
      now = Math.max(now, nextAt);
      history.orchestratorStarted(at(now));
      while (events[0] !== undefined && events[0].at <= now) {
        const event = events.shift() as Raised;
        history.eventRaised(at(now), event.name, event.payload);
      }
      for (const p of pending.filter((q) => dueAt(q) <= now)) {
        pending.splice(pending.indexOf(p), 1);
        if (p.kind === 'timer') {
          history.timerFired(at(now), p.id, at(p.fireAt));
          continue;
        }
        history.taskCompleted(at(now), p.id, p.result);
        // A trigger's event is sent (its attempts may all fail: then it is counted as failed, not kept).
        if (p.input.requestId !== undefined && !triggered.includes(p.input.requestId)) triggered.push(p.input.requestId);
        if (!(p.result as { ok: boolean }).ok) continue;
        if (p.input.trigger === undefined) own.set(p.input.sequence, (own.get(p.input.sequence) ?? new Set()).add(p.input.scheduledTime));
      }
    }
    // The events raised after the last execution ended go to the next one; none is carried (the extension drops them).
    if (events.length === 0 && input.queue.length === 0 && input.paused === undefined && execution > 0 && now > (raised.at(-1)?.at ?? 0) + 30_000) break;
  }
  return { triggered, own, state: input };
}

test('any events raised at any times, behind or not: each applied, none lost across continue-as-new (fast-check, the real replay code, unclaimed events dropped)', async () => {
  const spec = specOf({ every: '1s', catchUp: { window: '1h', policy: 'all' }, delivery: { retry: 1, backoffPolicy: 'linear', backoffDelay: '1s', maxBackoff: '2s' } });
  const raisedArb = fc.array(fc.record({ at: fc.integer({ min: 0, max: 20_000 }), kind: fc.constantFrom('trigger', 'trigger', 'pause', 'resume') }), { maxLength: 12 });
  await fc.assert(
    fc.asyncProperty(raisedArb, fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), async (drawn, latencies, answers) => {
      const raised: Raised[] = drawn.map((r, i) => (r.kind === 'trigger' ? { at: r.at, name: 'trigger', payload: { requestId: `r${i}` } } : { at: r.at, name: r.kind, payload: {} }));
      const last = Math.max(0, ...drawn.map((r) => r.at));
      // A final resume, so that every queued trigger goes out and the schedule ends running.
      raised.push({ at: last + 1, name: 'resume', payload: {} });
      const { triggered, own, state } = await runStrict(spec, raised, latencies, answers.some((a) => a) ? answers : [true]);
      const expected = raised.flatMap((r) => (r.name === 'trigger' ? [r.payload.requestId] : []));
      // Applied: sent, or still queued where a schedule that stays behind keeps it (its own ticks go first).
      const queued = state.queue.flatMap((q) => (q.kind === 'manual' ? [q.requestId] : []));
      assert.deepEqual([...triggered, ...queued].sort(), [...expected].sort(), 'every trigger applied once: sent or queued, none lost');
      assert.equal(state.paused, undefined, 'the last event (resume) was applied');
      for (const [sequence, times] of own) assert.equal(times.size, 1, `sequence ${sequence}: one scheduled time (one id)`);
      const sequences = [...own.keys()].sort((a, b) => a - b);
      assert.deepEqual(sequences, sequences.map((_, i) => i + 1), 'in order, no gap');
    }),
    fuzzParameters({ numRuns: 25 }, 'orchestrator events'),
  );
});
