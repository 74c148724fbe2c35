/** A held step on top of the stored state, and its merge with the step that takes its results: pure functions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventType, freshState, type InstanceRecord } from '../../../src/durable/instance-state.js';
import { emptyPlan, type StepPlan } from '../../../src/durable/planner/plan.js';
import { afterHeld, mayHold, mergeHeld } from '../../../src/durable/runtime/held-step.js';
import type { PartitionSnapshot } from '../../../src/durable/store/hub-store.js';
import type { HistoryEventJson } from '../../../src/durable/wire-types.js';

const NOW = Date.UTC(2030, 0, 1);
const record = (over: Partial<InstanceRecord> = {}): InstanceRecord => ({
  instanceId: 'i',
  name: 'Orch',
  status: 'Running',
  executionId: 'e1',
  createdTime: NOW,
  lastUpdatedTime: NOW,
  historySeq: 3,
  outboxSeq: 0,
  state: freshState(),
  etag: 'W/"stored"',
  ...over,
});
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
/** A step that takes the raised event and schedules activity 0 (what a schedule's timer step does with its timer). */
const timerStep = (over: Partial<StepPlan> = {}): StepPlan => ({
  ...emptyPlan(),
  record: record({ etag: 'W/"stored"', lastUpdatedTime: NOW + 1, nextWakeAt: NOW + 1 }),
  historyExecutionId: 'e1',
  historyEvents: [event(EventType.OrchestratorStarted), event(EventType.EventRaised), event(EventType.TaskScheduled, 0)],
  consumed: ['i~e~1'],
  inputs: 1,
  activities: [{ instanceId: 'i', executionId: 'e1', taskId: 0, name: 'Deliver' }],
  ...over,
});

test('only a step that starts activities and shows nothing to anyone else is held', () => {
  assert.equal(mayHold(stored(), timerStep()), true);
  assert.equal(mayHold(stored(), timerStep({ activities: [] })), false, 'nothing to wait for');
  assert.equal(mayHold(stored(), timerStep({ outcome: 'started' })), false, 'an outcome is logged when committed');
  assert.equal(mayHold(stored(), timerStep({ outbox: [{ type: 'createSub', instanceId: 'child', name: 'Child', parent: { instanceId: 'i', executionId: 'e1', taskId: 1 } }] })), false, 'messages for others');
  assert.equal(mayHold(stored(), timerStep({ record: record({ executionId: 'e2' }) })), false, 'a new execution');
  assert.equal(mayHold(stored(), timerStep({ record: record({ status: 'Suspended' }) })), false, 'not running');
  assert.equal(mayHold({ ...stored(), record: undefined }, timerStep()), false, 'no stored record');
});

test('what the next step starts from: the held step applied, the stored ETag and counters kept, its inserts not stored', () => {
  const held = timerStep({ inboxInserts: [{ rowKey: 'i~t~e1~00000007', at: NOW, message: { type: 'event', event: { EventType: EventType.TaskCompleted, TaskScheduledId: 7 } } }] });
  const next = afterHeld(stored(), held);
  assert.equal(next.record?.etag, 'W/"stored"');
  assert.equal(next.record?.historySeq, 3);
  assert.equal(next.record?.lastUpdatedTime, NOW + 1);
  assert.deepEqual(next.history.map((e) => e.EventType), [EventType.ExecutionStarted, EventType.OrchestratorStarted, EventType.EventRaised, EventType.TaskScheduled]);
  assert.deepEqual(next.inbox.map((e) => [e.rowKey, e.volatile ?? false]), [['i~t~e1~00000007', true]], 'the consumed row is gone, the insert is volatile');
  assert.deepEqual(next.historyRows, stored().historyRows, 'no row of the held step is written yet');
});

test('merged: both histories in order, both consumptions, the next record; an insert the next step takes is never written', () => {
  const resultKey = 'i~t~e1~00000000';
  const held = timerStep({ inboxInserts: [{ rowKey: 'i~t~e1~00000005', at: NOW, message: { type: 'event', event: { EventType: EventType.TaskCompleted, TaskScheduledId: 5 } } }] });
  const nextRecord = record({ nextWakeAt: NOW + 10_000 });
  const next: StepPlan = {
    ...emptyPlan(),
    record: nextRecord,
    historyExecutionId: 'e1',
    historyEvents: [event(EventType.OrchestratorStarted), event(EventType.TaskCompleted), event(EventType.TimerCreated, 1)],
    consumed: [resultKey, 'i~t~e1~00000005'],
    inputs: 2,
  };
  const merged = mergeHeld(held, next, 'e1');
  assert.equal(merged.record, nextRecord);
  assert.equal(merged.historyEvents.length, 6);
  assert.deepEqual(merged.historyEvents.slice(0, 3), held.historyEvents);
  assert.deepEqual(merged.consumed, ['i~e~1', resultKey, 'i~t~e1~00000005']);
  assert.deepEqual(merged.inboxInserts, [], 'taken by the next step: not inserted');
  assert.equal(merged.inputs, 3);
  assert.deepEqual(merged.activities, [], 'the held step\'s activities run already');
});

test('merged with a continue-as-new: the ended execution\'s history (the held step\'s too) is not written', () => {
  const next: StepPlan = {
    ...emptyPlan(),
    record: record({ executionId: 'e2' }),
    historyExecutionId: 'e2',
    historyEvents: [event(EventType.OrchestratorStarted), event(EventType.ExecutionStarted), event(EventType.TimerCreated, 0)],
    consumed: ['i~t~e1~00000000'],
    inputs: 1,
    outcome: 'continuedAsNew',
  };
  const merged = mergeHeld(timerStep(), next, 'e1');
  assert.equal(merged.historyExecutionId, 'e2');
  assert.deepEqual(merged.historyEvents, next.historyEvents);
  assert.equal(merged.outcome, 'continuedAsNew');
  assert.deepEqual(merged.consumed, ['i~e~1', 'i~t~e1~00000000']);
});
