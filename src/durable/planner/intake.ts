/**
 * Intake: what a step takes and how it turns into new history events. Visible inbox messages and due timers are
 * taken in time order within the step's budget; terminate goes first whatever lies before it; a start message starts
 * a Pending execution; suspend/resume apply in their place (while suspended, everything else stays buffered, and
 * once one input is buffered the later ones wait too, so the orchestrator always sees them in order); duplicate and
 * stale results are dropped. Pure: the step's time comes in with the input.
 */
import { failureOf, finishFailed, toParent } from './execution-end.js';
import { EventType, isTerminal, stamp, type EventBody, type InboxEntry, type InstanceRecord } from '../instance-state.js';
import { openTasks } from './open-tasks.js';
import type { HistoryEventJson, RuntimeStatus } from '../wire-types.js';
import { rewind } from './rewind.js';
import { cloneRecord, emptyPlan, MAX_MESSAGES_PER_STEP, type StepInput, type StepPlan } from './plan.js';

/** An input taken for the orchestrator: a result, a raised event or a fired timer, with the time it became due. */
export interface Candidate {
  at: number;
  event: EventBody;
}

/** The plan is final (nothing for the orchestrator to see), or the orchestrator's new events follow. */
export type IntakeResult =
  | { plan: StepPlan; rec?: undefined }
  | {
      plan: StepPlan;
      /** The record as this step writes it (a copy). */
      rec: InstanceRecord;
      /** ExecutionStarted and the events a continue-as-new carried. */
      newEvents: EventBody[];
      /** ExecutionSuspended / ExecutionResumed. */
      controlEvents: EventBody[];
      /** Raised events, then results and fired timers; each kind in time order. */
      candidates: Candidate[];
    };

/** What the parts of intake share: the plan being built, the step's time, the budget and how an entry is taken. */
interface Taking {
  plan: StepPlan;
  now: number;
  room: () => boolean;
  consume: (entry: InboxEntry) => void;
}

export function intake(input: StepInput): IntakeResult {
  const { record, now } = input;
  const plan = emptyPlan();
  const visible = input.inbox.filter((e) => e.at <= now);

  const budget = Math.max(1, Math.floor(input.maxInputs ?? MAX_MESSAGES_PER_STEP));
  const room = (): boolean => plan.inputs < budget;
  const consume = (entry: InboxEntry): void => {
    plan.consumed.push(entry.rowKey);
    plan.inputs++;
  };

  if (!record) {
    // Messages for an instance that does not exist (purged, or a late result): drop them.
    for (const e of input.inbox) if (room()) consume(e);
    return { plan };
  }
  const rewindEntry = record.status === 'Failed' ? visible.find((e) => e.message.type === 'rewind') : undefined;
  if (rewindEntry) return { plan: rewind(plan, record, input.history, rewindEntry, now) };
  if (isTerminal(record.status)) {
    plan.record = record;
    for (const e of visible) if (room()) consume(e);
    return { plan };
  }

  const rec = cloneRecord(record);
  plan.record = rec;
  const runExecutionId = rec.executionId;
  plan.historyExecutionId = runExecutionId;
  const stampNew = (body: EventBody): HistoryEventJson => stamp(body, -1, now, false);

  const taking: Taking = { plan, now, room, consume };
  // Terminate goes first whatever lies before it; the other messages are dropped now or by later steps.
  const terminate = visible.find((e) => e.message.type === 'terminate');
  if (terminate) return { plan: terminated(taking, rec, visible, terminate) };

  const newEvents: EventBody[] = [];
  if (rec.status === 'Pending' || rec.status === 'ContinuedAsNew') {
    const started = takeStart(taking, rec, record.status, visible);
    if (!started) return { plan };
    newEvents.push(...started);
  }

  if (input.forceFailure !== undefined) {
    for (const e of visible) {
      if (plan.consumed.includes(e.rowKey) || (e.message.type === 'start' && e.message.executionId !== rec.executionId)) continue;
      if (room()) consume(e);
    }
    return { plan: finishFailed(plan, rec, [stampNew({ EventType: EventType.OrchestratorStarted }), ...newEvents.map(stampNew)], input.forceFailure, now) };
  }

  const { controlEvents, candidates } = takeInputs(taking, rec, input.history, visible);
  if (controlEvents.length > 0) rec.lastUpdatedTime = now;
  if (rec.status === 'Suspended') {
    // Nothing was taken but control messages (see above); everything else stays buffered until resume.
    plan.historyEvents = [...newEvents, ...controlEvents].map(stampNew);
    return { plan };
  }

  return { plan, rec, newEvents, controlEvents, candidates };
}

/** A terminate message: the execution ends Terminated, the parent is told, the other visible messages are dropped. */
function terminated({ plan, now, room, consume }: Taking, rec: InstanceRecord, visible: InboxEntry[], terminate: InboxEntry): StepPlan {
  const stampNew = (body: EventBody): HistoryEventJson => stamp(body, -1, now, false);
  const reason = terminate.message.type === 'terminate' ? terminate.message.reason : '';
  consume(terminate);
  for (const e of visible) if (e !== terminate && room()) consume(e);
  rec.status = 'Terminated';
  rec.output = JSON.stringify(reason);
  rec.lastUpdatedTime = now;
  // As DurableTask.Core: the terminate event, then the execution's end (HandleExecutionTerminatedEvent completes the
  // orchestration Terminated with the reason as its result, which the dispatcher records as ExecutionCompleted).
  plan.historyEvents.push(
    stampNew({ EventType: EventType.ExecutionTerminated, Input: reason }),
    stampNew({ EventType: EventType.ExecutionCompleted, OrchestrationStatus: 'Terminated', Result: reason }),
  );
  plan.outbox.push(
    ...toParent(rec.parent, {
      EventType: EventType.SubOrchestrationInstanceFailed,
      TaskScheduledId: rec.parent?.taskId ?? -1,
      ...failureOf(`Sub-orchestration ${rec.instanceId} was terminated: ${reason}`),
    }),
  );
  plan.outcome = 'terminated';
  return plan;
}

/** A Pending (or continued) execution starts with its own start message: ExecutionStarted and the carried events. */
function takeStart({ plan, now, room, consume }: Taking, rec: InstanceRecord, wasStatus: RuntimeStatus, visible: InboxEntry[]): EventBody[] | undefined {
  const start = visible.find((e) => e.message.type === 'start' && e.message.executionId === rec.executionId);
  if (start) consume(start);
  for (const e of visible) {
    if (e.message.type === 'start' && e.message.executionId !== rec.executionId && room()) consume(e);
  }
  if (!start || start.message.type !== 'start') return undefined;
  const started: EventBody = {
    EventType: EventType.ExecutionStarted,
    Name: rec.name,
    Input: start.message.input,
    OrchestrationInstance: { InstanceId: rec.instanceId, ExecutionId: rec.executionId },
  };
  if (rec.parent) {
    started.ParentInstance = {
      OrchestrationInstance: { InstanceId: rec.parent.instanceId, ExecutionId: rec.parent.executionId },
      TaskScheduleId: rec.parent.taskId,
    };
  }
  const newEvents: EventBody[] = [started];
  // Raised events the previous execution never waited for come first, in their order.
  for (const carried of start.message.carried ?? []) newEvents.push({ EventType: EventType.EventRaised, Name: carried.name, Input: carried.input });
  rec.status = 'Running';
  rec.lastUpdatedTime = now;
  if (wasStatus === 'Pending') plan.outcome = 'started';
  return newEvents;
}

type Intake = { at: number; entry: InboxEntry; timer?: undefined } | { at: number; timer: number; entry?: undefined };

/** The visible messages (but the start) and the due timers, in time order: messages before timers of the same time. */
function inTimeOrder(open: ReturnType<typeof openTasks>, visible: InboxEntry[], now: number): Intake[] {
  const intake: Intake[] = visible.filter((e) => e.message.type !== 'start').map((entry) => ({ at: entry.at, entry }));
  const dueTimers = [...open.timers].filter(([, fireAt]) => fireAt <= now).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  for (const [timer, fireAt] of dueTimers) intake.push({ at: fireAt, timer });
  return intake.sort((a, b) => a.at - b.at); // stable: messages keep their key order
}

/** A suspend or resume in its place: 'wait' when a suspend must wait for the next step (events were taken first). */
function applyControl(m: InboxEntry['message'] & { type: 'suspend' | 'resume' }, rec: InstanceRecord, plan: StepPlan, eventsTaken: number, controlEvents: EventBody[]): 'wait' | 'applied' {
  if (m.type === 'suspend' && rec.status === 'Running') {
    if (eventsTaken > 0) return 'wait';
    rec.status = 'Suspended';
    controlEvents.push({ EventType: EventType.ExecutionSuspended, Reason: m.reason });
    plan.outcome = 'suspended';
  } else if (m.type === 'resume' && rec.status === 'Suspended') {
    rec.status = 'Running';
    controlEvents.push({ EventType: EventType.ExecutionResumed, Reason: m.reason });
    plan.outcome = 'resumed';
  }
  return 'applied';
}

/** Whether a taken event reaches the orchestrator: a task's or sub-orchestration's first result, a raised event. */
function isNewInput(ev: EventBody, open: ReturnType<typeof openTasks>, seen: Set<string>): boolean {
  const id = Number(ev.TaskScheduledId);
  if (ev.EventType === EventType.TaskCompleted || ev.EventType === EventType.TaskFailed) {
    if (!open.activities.has(id) || seen.has(`t${id}`)) return false; // duplicate result: recorded once
    seen.add(`t${id}`);
    return true;
  }
  if (ev.EventType === EventType.SubOrchestrationInstanceCompleted || ev.EventType === EventType.SubOrchestrationInstanceFailed) {
    if (!open.subs.has(id) || seen.has(`s${id}`)) return false;
    seen.add(`s${id}`);
    return true;
  }
  return ev.EventType === EventType.EventRaised || ev.EventType === EventType.GenericEvent; // (a GenericEvent only comes from a rewind: planner/rewind.ts)
}

/**
 * One pass over the visible messages and due timers in time order, within the budget. Suspend/resume apply in
 * their place; while suspended, results, raised events and timers stay buffered, and once one is buffered the later
 * ones wait too, so that the orchestrator always sees them in order. A suspend that follows events taken in this
 * step waits for the next step: those events reach the orchestrator first. (While Pending, nothing gets here:
 * messages wait until the start has been processed.)
 */
function takeInputs(
  { plan, now, room, consume }: Taking,
  rec: InstanceRecord,
  history: HistoryEventJson[],
  visible: InboxEntry[],
): { controlEvents: EventBody[]; candidates: Candidate[] } {
  const open = openTasks(history);
  const controlEvents: EventBody[] = [];
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  let buffering = false;
  let eventsTaken = 0;
  for (const item of inTimeOrder(open, visible, now)) {
    if (!room()) break;
    const m = item.entry?.message;
    if (m?.type === 'suspend' || m?.type === 'resume') {
      if (applyControl(m, rec, plan, eventsTaken, controlEvents) === 'wait') break;
      consume(item.entry!);
      continue;
    }
    // Only a Failed instance is rewound (above); the client checked, this one changed meanwhile.
    if (m?.type === 'rewind') consume(item.entry!);
    if (m !== undefined && m.type !== 'event') continue;
    if (m !== undefined && m.executionId !== undefined && m.executionId !== rec.executionId) {
      consume(item.entry!); // a result for an earlier execution: dropped
      continue;
    }
    if (rec.status === 'Suspended' || buffering) {
      buffering = true;
      continue;
    }
    eventsTaken++;
    if (m === undefined) {
      plan.inputs++;
      candidates.push({ at: item.at, event: { EventType: EventType.TimerFired, TimerId: item.timer, FireAt: new Date(item.at).toISOString() } });
      continue;
    }
    consume(item.entry!);
    if (isNewInput(m.event, open, seen)) candidates.push({ at: item.at, event: m.event });
  }
  // Raised events go before the results and timers taken with them (a stable sort: each kind keeps its order). They
  // arrived independently, so either order is one that could have happened; this one lets an orchestrator that checks
  // a waiter when a task completes (Task.any left it open) see an event that came in the same step, instead of the
  // SDK handing it to that waiter after the orchestrator has moved on and continued as new.
  candidates.sort((a, b) => rank(a.event) - rank(b.event));
  return { controlEvents, candidates };
}

function rank(event: EventBody): number {
  return event.EventType === EventType.EventRaised ? 0 : 1;
}
