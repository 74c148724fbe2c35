/** Tasks of an execution's history that are scheduled and have no result yet (activities, sub-orchestrations, timers). */
import { EventType, type EventBody } from '../instance-state.js';

export interface OpenTasks {
  activities: Map<number, EventBody>;
  subs: Map<number, EventBody>;
  timers: Map<number, number>;
}

/** Tasks scheduled in `history` that have no result yet. */
export function openTasks(history: readonly EventBody[]): OpenTasks {
  const open: OpenTasks = { activities: new Map(), subs: new Map(), timers: new Map() };
  for (const e of history) {
    switch (e.EventType) {
      case EventType.TaskScheduled:
        open.activities.set(Number(e.EventId), e);
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
        open.activities.delete(Number(e.TaskScheduledId));
        break;
      case EventType.SubOrchestrationInstanceCreated:
        open.subs.set(Number(e.EventId), e);
        break;
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
        open.subs.delete(Number(e.TaskScheduledId));
        break;
      case EventType.TimerCreated:
        open.timers.set(Number(e.EventId), Date.parse(String(e.FireAt)));
        break;
      case EventType.TimerFired:
        open.timers.delete(Number(e.TimerId));
        break;
      default:
        break;
    }
  }
  return open;
}
