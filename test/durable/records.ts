/** Instance records for the planner's and runtime's pure tests. */
import { freshState, type InstanceRecord } from '../../src/durable/instance-state.js';

/** A running instance `i` of orchestration `Orch`, execution `e1`, created at `now`; `over` replaces any field. */
export function runningRecord(now: number, over: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instanceId: 'i',
    name: 'Orch',
    status: 'Running',
    executionId: 'e1',
    createdTime: now,
    lastUpdatedTime: now,
    historySeq: 1,
    outboxSeq: 0,
    state: freshState(),
    etag: 'W/"1"',
    ...over,
  };
}
