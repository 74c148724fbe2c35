/**
 * A continue-as-new and the new execution's first episode in ONE step: the old execution ends, the new one starts
 * (ExecutionStarted → orchestrator → its first actions), and a single commit stores only the new execution. For a
 * schedule that is the second and last commit of a tick. The start message never becomes a row: it is handed to
 * the second plan in memory.
 */
import { startMessageKey } from '../keys.js';
import { MAX_MESSAGES_PER_STEP, planStep, type StepInput, type StepPlan } from './step-plan.js';

export async function planWithNewExecution(input: StepInput): Promise<StepPlan> {
  const first = await planStep(input);
  if (first.outcome !== 'continuedAsNew' || !first.record || input.forceFailure !== undefined) return first;
  const record = first.record;
  const startKey = startMessageKey(record.executionId);
  const start = first.inboxInserts.find((i) => i.rowKey === startKey);
  if (!start || start.at > input.now) return first;
  const consumed = new Set(first.consumed);
  const inbox = [
    { rowKey: start.rowKey, at: start.at, message: start.message, volatile: true },
    ...input.inbox.filter((e) => !consumed.has(e.rowKey)),
  ].sort((a, b) => a.at - b.at || (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
  const budget = Math.max(1, Math.floor(input.maxInputs ?? MAX_MESSAGES_PER_STEP));
  const second = await planStep({ ...input, record, history: [], inbox, maxInputs: Math.max(1, budget - first.inputs) });
  const outcome = second.outcome === 'started' || second.outcome === undefined ? 'continuedAsNew' : second.outcome;
  const plan: StepPlan = {
    historyExecutionId: record.executionId,
    historyEvents: second.historyEvents,
    consumed: [...first.consumed, ...second.consumed],
    inputs: first.inputs + second.inputs,
    inboxInserts: [...first.inboxInserts.filter((i) => i.rowKey !== startKey), ...second.inboxInserts],
    outbox: [...first.outbox, ...second.outbox],
    activities: second.activities,
    outcome,
  };
  plan.record = second.record ?? record;
  if (second.failure !== undefined) plan.failure = second.failure;
  return plan;
}
