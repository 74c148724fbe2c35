/** The planner's intake as a pure function: no store, no clock, no orchestrator. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventType, type InboxEntry, type InboxMessage, type InstanceRecord } from '../../../src/durable/instance-state.js';
import { intake } from '../../../src/durable/planner/intake.js';
import type { StepInput } from '../../../src/durable/planner/plan.js';
import { DirectInvoker } from '../../support/direct-invoker.js';
import { runningRecord } from '../records.js';

const NOW = Date.UTC(2030, 0, 1);

const running = (): InstanceRecord => runningRecord(NOW);

const history = [
  { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: true, Timestamp: new Date(NOW).toISOString() },
  { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: true, Timestamp: new Date(NOW).toISOString() },
];

let seq = 0;
function entry(message: InboxMessage, at = NOW - 10): InboxEntry {
  return { rowKey: `i~e~${String(at).padStart(15, '0')}~${String(seq++).padStart(12, '0')}~x`, at, message };
}
const raised = (n: number): InboxEntry => entry({ type: 'event', event: { EventType: EventType.EventRaised, Name: 'E', Input: String(n) } });

function input(inbox: InboxEntry[], extra: Partial<StepInput> = {}): StepInput {
  return { record: running(), history, inbox, now: NOW, invoker: new DirectInvoker(), newExecutionId: () => 'e2', ...extra };
}

test('terminate goes first whatever lies before it; the other visible messages are dropped', () => {
  const inbox = [raised(1), raised(2), entry({ type: 'terminate', reason: 'stop' })];
  const { plan, rec } = intake(input(inbox));
  assert.equal(rec, undefined, 'no episode');
  assert.equal(plan.record?.status, 'Terminated');
  assert.equal(plan.outcome, 'terminated');
  assert.deepEqual(plan.consumed.sort(), inbox.map((e) => e.rowKey).sort());
  // As DurableTask.Core records it: ExecutionTerminated, then ExecutionCompleted with status Terminated and the reason.
  assert.deepEqual(plan.historyEvents.map((e) => [e.EventType, e.Input, e.OrchestrationStatus, e.Result]), [
    [EventType.ExecutionTerminated, 'stop', undefined, undefined],
    [EventType.ExecutionCompleted, undefined, 'Terminated', 'stop'],
  ]);
});

test('a suspend behind events taken in this step waits for the next step; taken then, the events after it stay buffered', () => {
  const suspend = entry({ type: 'suspend', reason: 'pause' });
  const after = raised(3);
  const first = intake(input([raised(1), raised(2), suspend, after]));
  assert.ok(first.rec);
  assert.deepEqual(first.candidates.map((c) => c.event.Input), ['1', '2']);
  assert.equal(first.plan.consumed.includes(suspend.rowKey), false);

  const second = intake(input([suspend, after]));
  assert.equal(second.rec, undefined, 'suspended: no episode');
  assert.equal(second.plan.record?.status, 'Suspended');
  assert.deepEqual(second.plan.consumed, [suspend.rowKey]);
  assert.deepEqual(second.plan.historyEvents.map((e) => e.EventType), [EventType.ExecutionSuspended]);
});

test('inputs beyond the budget wait; messages not yet visible are not taken; the record handed in is never changed', () => {
  const record = running();
  const before = JSON.stringify(record);
  const later = entry({ type: 'event', event: { EventType: EventType.EventRaised, Name: 'E', Input: '"later"' } }, NOW + 1_000);
  const { plan, rec } = intake(input([raised(1), raised(2), raised(3), later], { record, maxInputs: 2 }));
  assert.ok(rec);
  assert.equal(plan.inputs, 2);
  assert.equal(plan.consumed.length, 2);
  assert.equal(plan.consumed.includes(later.rowKey), false);
  assert.equal(JSON.stringify(record), before);
});

test('raised events come before the results taken in the same step, each kind in its own order', () => {
  const scheduled = [...history, { EventType: EventType.TaskScheduled, EventId: 0, Name: 'A', IsPlayed: true, Timestamp: new Date(NOW).toISOString() }];
  const result = entry({ type: 'event', event: { EventType: EventType.TaskCompleted, TaskScheduledId: 0, Result: '1' } }, NOW - 20);
  const taken = intake(input([result, raised(7), raised(8)], { history: scheduled }));
  assert.ok(taken.rec);
  assert.deepEqual(
    taken.candidates.map((c) => [c.event.EventType, c.event.Input ?? c.event.Result]),
    [[EventType.EventRaised, '7'], [EventType.EventRaised, '8'], [EventType.TaskCompleted, '1']],
  );
});
