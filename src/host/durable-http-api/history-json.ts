/**
 * The history as the Durable extension shows it on the status routes (DurableClient's conversion of the stored
 * events): event type names instead of numbers, no OrchestratorStarted/OrchestratorCompleted, each TaskScheduled /
 * SubOrchestrationInstanceCreated folded into its result (TaskCompleted/TaskFailed, SubOrchestrationInstance-
 * Completed/Failed) with `FunctionName` and `ScheduledTime`, results parsed as JSON only with showHistoryOutput,
 * no `EventId`/`IsPlayed`. A scheduled task without a result yet stays as it is (without `Version`).
 */
import { EventType, EventTypeName } from '../../durable/index.js';

export interface HistoryShapeOptions {
  showHistoryOutput: boolean;
  showInput: boolean;
}

type Json = Record<string, unknown>;

interface Scheduled {
  index: number;
  name: unknown;
  timestamp: unknown;
  input: unknown;
}

/** A result's JSON text as a value; text that is not JSON stays text (a failure message, for instance). */
function parseResult(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function scheduleKey(prefix: string, id: unknown): string {
  return `${prefix}_${String(id)}`;
}

/** Takes the scheduling event's name, time and input into its result; the scheduling event itself is dropped. */
function fold(item: Json, scheduled: Scheduled | undefined, options: HistoryShapeOptions, dropped: Set<number>): void {
  delete item.TaskScheduledId;
  if (scheduled === undefined) return;
  item.ScheduledTime = scheduled.timestamp;
  item.FunctionName = scheduled.name;
  if (options.showInput) item.Input = scheduled.input;
  dropped.add(scheduled.index);
}

function withOutput(item: Json, show: boolean): void {
  if (show) item.Result = parseResult(item.Result);
  else delete item.Result;
}

export function toExtensionHistory(events: readonly unknown[], options: HistoryShapeOptions): Json[] {
  const items = events.map((event) => ({ ...(event as Json) }));
  const scheduled = new Map<string, Scheduled>();
  const dropped = new Set<number>();
  items.forEach((item, index) => {
    const type = Number(item.EventType);
    const name = EventTypeName[type];
    if (name === undefined) return; // not an event type we know: left as stored
    item.EventType = name;
    switch (type) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(scheduleKey(name, item.EventId), { index, name: item.Name, timestamp: item.Timestamp, input: item.Input });
        delete item.Version;
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
        fold(item, scheduled.get(scheduleKey('TaskScheduled', item.TaskScheduledId)), options, dropped);
        if (type === EventType.TaskCompleted) withOutput(item, options.showHistoryOutput);
        break;
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
        fold(item, scheduled.get(scheduleKey('SubOrchestrationInstanceCreated', item.TaskScheduledId)), options, dropped);
        if (type === EventType.SubOrchestrationInstanceCompleted) withOutput(item, options.showHistoryOutput);
        break;
      case EventType.ExecutionStarted:
        item.FunctionName = item.Name;
        delete item.Name;
        delete item.OrchestrationInstance;
        delete item.ParentInstance;
        delete item.Version;
        delete item.Tags;
        break;
      case EventType.ExecutionCompleted:
        withOutput(item, options.showHistoryOutput);
        break;
      case EventType.TimerFired:
        delete item.TimerId;
        break;
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        dropped.add(index);
        break;
    }
    if (!options.showInput) delete item.Input;
    // The engine's own bookkeeping on its retry timers (planner/rewind.ts), not part of the extension's shape.
    delete item.RetryOf;
    delete item.Retry;
    delete item.EventId;
    delete item.IsPlayed;
  });
  return items.filter((_, index) => !dropped.has(index));
}
