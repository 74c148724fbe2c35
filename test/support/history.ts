/**
 * Builds Durable history events in the JSON shape the Durable extension sends an out-of-process orchestrator
 * (PascalCase, as `durable-functions` reads them), and flattens the actions an episode returns.
 */
import type { HistoryEventJson, OrchestrationTriggerPayload, OrchestratorStateJson } from '../../src/durable/wire-types.js';

export const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
} as const;

export const ActionType = { CallActivity: 0, ContinueAsNew: 4, CreateTimer: 5, WaitForExternalEvent: 6, WhenAny: 11, WhenAll: 12 } as const;

/** A history that grows episode by episode; events added after `played()` are new to the orchestrator. */
export class History {
  private readonly events: HistoryEventJson[] = [];
  private nextId = 0;

  private add(type: number, at: Date, fields: Record<string, unknown>, eventId = -1): this {
    this.events.push({ EventType: type, EventId: eventId, IsPlayed: false, Timestamp: at.toISOString(), ...fields });
    return this;
  }

  started(at: Date, name: string, input: unknown): this {
    return this.add(EventType.OrchestratorStarted, at, {}).add(EventType.ExecutionStarted, at, {
      Name: name,
      Input: JSON.stringify(input),
    });
  }

  orchestratorStarted(at: Date): this {
    return this.add(EventType.OrchestratorStarted, at, {});
  }

  orchestratorCompleted(at: Date): this {
    return this.add(EventType.OrchestratorCompleted, at, {});
  }

  /** Records the TimerCreated the engine wrote for a CreateTimer action; returns its event id. */
  timerCreated(at: Date, fireAt: Date): number {
    const id = this.nextId++;
    this.add(EventType.TimerCreated, at, { FireAt: fireAt.toISOString() }, id);
    return id;
  }

  timerFired(at: Date, timerId: number, fireAt: Date): this {
    return this.add(EventType.TimerFired, at, { TimerId: timerId, FireAt: fireAt.toISOString() });
  }

  taskScheduled(at: Date, name: string, input: unknown): number {
    const id = this.nextId++;
    this.add(EventType.TaskScheduled, at, { Name: name, Input: JSON.stringify(input) }, id);
    return id;
  }

  taskCompleted(at: Date, taskId: number, result: unknown): this {
    return this.add(EventType.TaskCompleted, at, { TaskScheduledId: taskId, Result: JSON.stringify(result) });
  }

  taskFailed(at: Date, taskId: number, reason: string): this {
    return this.add(EventType.TaskFailed, at, { TaskScheduledId: taskId, Reason: reason, Details: reason });
  }

  eventRaised(at: Date, name: string, input: unknown): this {
    return this.add(EventType.EventRaised, at, { Name: name, Input: JSON.stringify(input) });
  }

  /** Marks everything so far as played (seen by an earlier episode). */
  played(): this {
    for (const event of this.events) event.IsPlayed = true;
    return this;
  }

  payload(instanceId: string, input: unknown): OrchestrationTriggerPayload {
    return {
      instanceId,
      history: this.events.map((e) => ({ ...e })),
      input,
      isReplaying: this.events.some((e) => e.IsPlayed),
      upperSchemaVersion: 2,
      upperSchemaVersionNew: 3,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '36500.00:00:00',
    };
  }
}

export interface FlatAction {
  actionType: number;
  [field: string]: unknown;
}

/** All leaf actions of an episode in order (compound WhenAny/WhenAll actions and nested arrays flattened). */
export function flatActions(state: OrchestratorStateJson): FlatAction[] {
  const out: FlatAction[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const action = value as FlatAction & { compoundActions?: unknown[] };
    if (action.compoundActions) action.compoundActions.forEach(visit);
    else out.push(action);
  };
  visit(state.actions);
  return out;
}
