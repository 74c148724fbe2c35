/** A held step on top of the stored state, and its merge with the step that takes its results: pure functions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventType, type InstanceRecord } from '../../../src/durable/instance-state.js';
import { emptyPlan, type StepPlan } from '../../../src/durable/planner/plan.js';
import { afterHeld, HOLD_MS, mayHold, mergeHeld } from '../../../src/durable/runtime/held-step.js';
import type { PartitionSnapshot } from '../../../src/durable/store/hub-store.js';
import type { HistoryEventJson } from '../../../src/durable/wire-types.js';
import { runningRecord } from '../records.js';

const NOW = Date.UTC(2030, 0, 1);
const record = (over: Partial<InstanceRecord> = {}): InstanceRecord => runningRecord(NOW, { historySeq: 3, etag: 'W/"stored"', ...over });
const event = (type: number, id = -1): HistoryEventJson => ({ EventType: type, EventId: id, IsPlayed: false, Timestamp: new Date(NOW).toISOString() });
const stored = (): PartitionSnapshot => ({
  partitionKey: 'i',
  record: record(),
  history: [event(EventType.ExecutionStarted)],
  historyRows: ['h~e1~0000000001-000'],
  inbox: [{ rowKey: 'i~e~1', at: NOW - 5, message: { type: 'event', event: { EventType: EventType.EventRaised, Name: 'Go' } } }],
  outbox: [],
  staleHistory: [],
});
/** A step that takes a result held in memory and sets the next timer (a schedule's "delivered" step). */
const resultStep = (over: Partial<StepPlan> = {}): StepPlan => ({
  ...emptyPlan(),
  record: record({ lastUpdatedTime: NOW + 1, nextWakeAt: NOW + 1_000 }),
  historyExecutionId: 'e1',
  historyEvents: [event(EventType.OrchestratorStarted), event(EventType.TaskCompleted), event(EventType.TimerCreated, 1)],
  consumed: ['i~t~e1~00000000'],
  inputs: 1,
  ...over,
});
/** A step that takes the raised event and schedules activity 0. */
const timerStep = (over: Partial<StepPlan> = {}): StepPlan => ({
  ...emptyPlan(),
  record: record({ lastUpdatedTime: NOW + 1, nextWakeAt: NOW + 1 }),
  historyExecutionId: 'e1',
  historyEvents: [event(EventType.OrchestratorStarted), event(EventType.EventRaised), event(EventType.TaskScheduled, 0)],
  consumed: ['i~e~1'],
  inputs: 1,
  activities: [{ instanceId: 'i', executionId: 'e1', taskId: 0, name: 'Deliver' }],
  ...over,
});

test('only a step that takes results from memory and starts nothing is held', () => {
  assert.equal(mayHold(stored(), resultStep(), NOW), true);
  assert.equal(mayHold(stored(), resultStep({ outcome: 'continuedAsNew', record: record({ executionId: 'e2', nextWakeAt: NOW + 1_000 }) }), NOW), true, 'a continue-as-new too');
  assert.equal(mayHold(stored(), timerStep(), NOW), false, 'an activity starts only after its commit');
  assert.equal(mayHold(stored(), resultStep({ consumed: ['i~e~1'] }), NOW), false, "a client's message is answered at once");
  assert.equal(mayHold(stored(), resultStep({ outcome: 'completed' }), NOW), false, 'an end is committed at once');
  assert.equal(mayHold(stored(), resultStep({ outbox: [{ type: 'createSub', instanceId: 'child', name: 'Child', parent: { instanceId: 'i', executionId: 'e1', taskId: 1 } }] }), NOW), false, 'messages for others');
  assert.equal(mayHold(stored(), resultStep({ record: record({ status: 'Suspended' }) }), NOW), false, 'not running');
  assert.equal(mayHold({ ...stored(), record: undefined }, resultStep(), NOW), false, 'no stored record');
  assert.equal(mayHold(stored(), resultStep({ record: record({ nextWakeAt: NOW + HOLD_MS }) }), NOW), false, 'its next step is not due soon');
  assert.equal(mayHold(stored(), resultStep({ record: record({ nextWakeAt: -1 }) }), NOW), false, 'it waits for messages only');
});

test('what the next step starts from: the held step applied, the stored ETag and counters kept, its inserts not stored', () => {
  const held = resultStep({ inboxInserts: [{ rowKey: 'i~t~e1~00000007', at: NOW, message: { type: 'event', event: { EventType: EventType.TaskCompleted, TaskScheduledId: 7 } } }] });
  const next = afterHeld(stored(), held);
  assert.equal(next.record?.etag, 'W/"stored"');
  assert.equal(next.record?.historySeq, 3);
  assert.equal(next.record?.nextWakeAt, NOW + 1_000);
  assert.deepEqual(next.history.map((e) => e.EventType), [EventType.ExecutionStarted, EventType.OrchestratorStarted, EventType.TaskCompleted, EventType.TimerCreated]);
  assert.deepEqual(next.inbox.map((e) => [e.rowKey, e.volatile ?? false]), [['i~e~1', false], ['i~t~e1~00000007', true]], 'the insert is volatile');
  assert.deepEqual(next.historyRows, stored().historyRows, 'no row of the held step is written yet');
});

test('after a held continue-as-new: the new execution alone, no rows of it yet, nothing new called garbage', () => {
  const held = resultStep({ outcome: 'continuedAsNew', record: record({ executionId: 'e2' }), historyExecutionId: 'e2', historyEvents: [event(EventType.ExecutionStarted), event(EventType.TimerCreated, 0)] });
  const next = afterHeld(stored(), held);
  assert.equal(next.record?.executionId, 'e2');
  assert.deepEqual(next.history.map((e) => e.EventType), [EventType.ExecutionStarted, EventType.TimerCreated]);
  assert.deepEqual(next.historyRows, []);
  assert.deepEqual(next.staleHistory, [], 'e1\'s rows stay until the commit that ends e1 is stored');
});

test('merged: both histories in order, both consumptions, the next record and activities; an insert the next step takes is never written', () => {
  const held = resultStep({ inboxInserts: [{ rowKey: 'i~t~e1~00000005', at: NOW, message: { type: 'event', event: { EventType: EventType.TaskCompleted, TaskScheduledId: 5 } } }] });
  const next = timerStep({ consumed: ['i~e~1', 'i~t~e1~00000005'], inputs: 2 });
  const merged = mergeHeld(held, next, 'e1');
  assert.equal(merged.record, next.record);
  assert.deepEqual(merged.historyEvents, [...held.historyEvents, ...next.historyEvents]);
  assert.deepEqual(merged.consumed, ['i~t~e1~00000000', 'i~e~1', 'i~t~e1~00000005']);
  assert.deepEqual(merged.inboxInserts, [], 'taken by the next step: not inserted');
  assert.equal(merged.inputs, 3);
  assert.deepEqual(merged.activities, next.activities, 'started once the merged commit is stored');
});

test('merged with a continue-as-new in either step: only the execution the record ends in is written', () => {
  const cont: Partial<StepPlan> = { outcome: 'continuedAsNew', record: record({ executionId: 'e2' }), historyExecutionId: 'e2', historyEvents: [event(EventType.ExecutionStarted), event(EventType.TimerCreated, 0)] };
  const laterNew = mergeHeld(resultStep(), resultStep(cont), 'e1');
  assert.equal(laterNew.historyExecutionId, 'e2');
  assert.deepEqual(laterNew.historyEvents, cont.historyEvents, 'the held step\'s e1 events are garbage');
  assert.equal(laterNew.outcome, 'continuedAsNew');
  const heldNew = resultStep(cont);
  const next = timerStep({ record: record({ executionId: 'e2' }), historyExecutionId: 'e2', consumed: [] });
  const earlierNew = mergeHeld(heldNew, next, 'e1');
  assert.equal(earlierNew.historyExecutionId, 'e2');
  assert.deepEqual(earlierNew.historyEvents, [...heldNew.historyEvents, ...next.historyEvents]);
  assert.equal(earlierNew.outcome, 'continuedAsNew');
});
