/** The rewind step of the planner as a pure function: which failures leave the history, and what the step writes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventType, freshState, type InboxEntry, type InstanceRecord } from '../../../src/durable/instance-state.js';
import { intake } from '../../../src/durable/planner/intake.js';
import { rewindable, rewindChanges } from '../../../src/durable/planner/rewind.js';
import type { HistoryEventJson } from '../../../src/durable/wire-types.js';
import { DirectInvoker } from '../../support/direct-invoker.js';

const NOW = Date.UTC(2030, 0, 1);
const at = new Date(NOW).toISOString();
const ev = (EventType: number, fields: Record<string, unknown> = {}): HistoryEventJson => ({ EventType, EventId: -1, IsPlayed: true, Timestamp: at, ...fields });
const retry = (attempt: number, max: number): Record<string, unknown> => ({
  kind: 'activity', name: 'A', options: { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: max }, attempt, firstAttemptAt: NOW, phase: 'waiting',
});

function failed(nextEventId: number): InstanceRecord {
  return {
    instanceId: 'i', name: 'Orch', status: 'Failed', executionId: 'e1', createdTime: NOW, lastUpdatedTime: NOW, historySeq: 3, outboxSeq: 0,
    state: { ...freshState(), nextEventId }, etag: 'W/"1"', output: '"boom"',
  };
}

const started = ev(EventType.ExecutionStarted, { Name: 'Orch', OrchestrationInstance: { InstanceId: 'i', ExecutionId: 'e1' } });
/** A with-retry activity (2 attempts: ids 0 and 2, retry timers 1 and 3), a sub-orchestration (4) that failed. */
const history: HistoryEventJson[] = [
  started,
  ev(EventType.TaskScheduled, { EventId: 0, Name: 'A', Input: '1' }),
  ev(EventType.TaskFailed, { TaskScheduledId: 0, Reason: 'first' }),
  ev(EventType.TimerCreated, { EventId: 1, FireAt: at, RetryOf: 0, Retry: retry(1, 2) }),
  ev(EventType.TimerFired, { TimerId: 1, FireAt: at }),
  ev(EventType.TaskScheduled, { EventId: 2, Name: 'A', Input: '1' }),
  ev(EventType.SubOrchestrationInstanceCreated, { EventId: 4, Name: 'Child', InstanceId: 'i:4' }),
  ev(EventType.TaskFailed, { TaskScheduledId: 2, Reason: 'second' }),
  ev(EventType.TimerCreated, { EventId: 3, FireAt: at, RetryOf: 2, Retry: retry(2, 2) }),
  ev(EventType.SubOrchestrationInstanceFailed, { TaskScheduledId: 4, Reason: 'child' }),
  ev(EventType.TimerFired, { TimerId: 3, FireAt: at }),
  ev(EventType.ExecutionCompleted, { OrchestrationStatus: 'Failed', Result: 'boom' }),
];

test('a retried failure stays; the last attempt\'s failure goes with its retry timer; failed children are named', () => {
  const changes = rewindChanges(history);
  assert.deepEqual([...changes.removed].sort((a, b) => a - b), [7, 8, 9, 10, 11]);
  assert.deepEqual(changes.children, ['i:4']);
  assert.deepEqual(changes.timers, [3]);
  assert.equal(changes.retries['2']?.phase, 'running');
  assert.equal(changes.retries['2']?.attempt, 2);
});

test('rewindable: the removed retry timer must be the last id taken, and the history must be there', () => {
  assert.equal(rewindable(failed(5), history), false, 'id 4 was taken after timer 3');
  assert.equal(rewindable(failed(4), history), true);
  assert.equal(rewindable(failed(0), [ev(EventType.ExecutionCompleted, { OrchestrationStatus: 'Failed' })]), false);
  const oldStyle = history.map((e) => (e.EventType === EventType.TimerCreated ? { ...e, RetryOf: undefined, Retry: undefined } : e));
  assert.equal(rewindable(failed(4), oldStyle), false, 'retry timers of an earlier version say nothing');
  const ownTimer = [started, ev(EventType.TimerCreated, { EventId: 0, FireAt: at }), ev(EventType.ExecutionCompleted, { OrchestrationStatus: 'Failed' })];
  assert.equal(rewindable({ ...failed(1), state: { ...freshState(), nextEventId: 1, actionIds: [0] } }, ownTimer), true, 'the orchestrator\'s own timer');
});

function rewindEntry(reason = 'fixed', subOrchestrations: string[] = ['i:4']): InboxEntry {
  return { rowKey: 'i~e~000000000000001~000000000001~x', at: NOW - 5, message: { type: 'rewind', reason, executionId: 'e2', parentExecutionId: 'p2', subOrchestrations } };
}

test('the rewind step: a new execution, its history without the failures, the attempt run again, only the rewind taken', () => {
  const other = { rowKey: 'i~s~e2~4', at: NOW - 1, message: { type: 'event' as const, executionId: 'e2', event: { EventType: EventType.SubOrchestrationInstanceCompleted, TaskScheduledId: 4, Result: '1' } } };
  const record = { ...failed(4), parent: { instanceId: 'p', executionId: 'p1', taskId: 7 } };
  const { plan, rec } = intake({ record, history, inbox: [rewindEntry(), other], now: NOW, invoker: new DirectInvoker(), newExecutionId: () => 'unused' });
  assert.equal(rec, undefined, 'no episode in the rewind step');
  assert.equal(plan.outcome, 'rewound');
  assert.deepEqual(plan.consumed, [rewindEntry().rowKey], 'the child\'s result waits for the next step');
  const r = plan.record;
  assert.ok(r);
  assert.deepEqual([r.status, r.executionId, r.output, r.parent?.executionId, r.state.nextEventId], ['Running', 'e2', undefined, 'p2', 3]);
  assert.equal(r.state.retries['2']?.phase, 'running');
  assert.equal(plan.historyExecutionId, 'e2');
  // As the extension's rewind: each removed event leaves a GenericEvent at its time (replay ignores them).
  assert.deepEqual(plan.historyEvents.map((e) => e.EventType), [...history.slice(0, 7).map((e) => e.EventType), ...new Array<number>(5).fill(EventType.GenericEvent)]);
  assert.deepEqual(plan.historyEvents.slice(7).map((e) => Object.keys(e).sort()), Array(5).fill(['EventId', 'EventType', 'IsPlayed', 'Timestamp']));
  assert.deepEqual(plan.historyEvents[0]?.OrchestrationInstance, { InstanceId: 'i', ExecutionId: 'e2' });
  assert.deepEqual(plan.activities, [{ instanceId: 'i', executionId: 'e2', taskId: 2, name: 'A', input: '1' }]);
  assert.deepEqual(plan.inboxInserts, [], 'a parent whose failed child is rewound with it waits for the child, as the extension revives only failed leaves');
});

test('a failed sub-orchestration that is not rewound with it (gone, restarted) keeps its failure', () => {
  const { plan } = intake({ record: failed(4), history, inbox: [rewindEntry('fixed', [])], now: NOW, invoker: new DirectInvoker(), newExecutionId: () => 'x' });
  assert.ok(plan.historyEvents.some((e) => e.EventType === EventType.SubOrchestrationInstanceFailed));
  assert.equal(plan.historyEvents.some((e) => e.EventType === EventType.ExecutionCompleted), false);
  assert.deepEqual(rewindChanges(history, new Set()).children, []);
});

test('a failed leaf with tasks open (a failed activity run again) still gets the GenericEvent with the reason, as the extension sends it', () => {
  const flow = [
    started,
    ev(EventType.TaskScheduled, { EventId: 0, Name: 'A', Input: '1' }),
    ev(EventType.TaskFailed, { TaskScheduledId: 0, Reason: 'broke' }),
    ev(EventType.ExecutionCompleted, { OrchestrationStatus: 'Failed', Result: 'broke' }),
  ];
  const { plan } = intake({ record: failed(1), history: flow, inbox: [rewindEntry('fixed it', [])], now: NOW, invoker: new DirectInvoker(), newExecutionId: () => 'x' });
  assert.deepEqual(plan.activities, [{ instanceId: 'i', executionId: 'e2', taskId: 0, name: 'A', input: '1' }]);
  assert.deepEqual(plan.historyEvents.map((e) => e.EventType), [EventType.ExecutionStarted, EventType.TaskScheduled, EventType.GenericEvent, EventType.GenericEvent]);
  assert.deepEqual(plan.inboxInserts.map((i) => i.message), [{ type: 'event', executionId: 'e2', event: { EventType: EventType.GenericEvent, Data: 'fixed it' } }]);
});

test('nothing open after the rewrite (the orchestrator itself failed): a GenericEvent makes the next step run it', () => {
  const own = [started, ev(EventType.ExecutionCompleted, { OrchestrationStatus: 'Failed', Result: 'bug' })];
  const { plan } = intake({ record: failed(0), history: own, inbox: [rewindEntry('patched')], now: NOW, invoker: new DirectInvoker(), newExecutionId: () => 'x' });
  assert.deepEqual(plan.historyEvents.map((e) => e.EventType), [EventType.ExecutionStarted, EventType.GenericEvent]);
  assert.equal(plan.historyEvents[1]?.Timestamp, at, 'the failure\'s place and time kept');
  assert.equal(plan.inboxInserts.length, 1);
  assert.deepEqual(plan.inboxInserts[0]?.message, { type: 'event', executionId: 'e2', event: { EventType: EventType.GenericEvent, Data: 'patched' } });
});

test('a rewind message for an instance that is not Failed is dropped, nothing else changes', () => {
  const record = { ...failed(0), status: 'Running' as const };
  const { plan } = intake({ record, history: [started], inbox: [rewindEntry()], now: NOW, invoker: new DirectInvoker(), newExecutionId: () => 'x' });
  assert.deepEqual(plan.consumed, [rewindEntry().rowKey]);
  assert.equal(plan.record?.executionId, 'e1');
  assert.notEqual(plan.outcome, 'rewound');
});
