/**
 * One orchestration step, decided from a snapshot of the instance's partition, as the composition of the planner's
 * three parts: intake (messages + due timers → new history events), the episode (history → the orchestrator's
 * answer) and decide (actions → new history, messages, timers, activities, continue-as-new). Pure except for the
 * orchestrator call; the engine commits the plan atomically (or not at all) and performs its effects afterwards.
 */
import { EventType, stamp, type EventBody } from '../instance-state.js';
import { applyRetries, decide } from './decide.js';
import { runEpisode } from './episode.js';
import { intake } from './intake.js';
import type { StepInput, StepPlan } from './plan.js';
import type { HistoryEventJson } from '../wire-types.js';

export { hasChanges, MAX_MESSAGES_PER_STEP, type ActivityWork, type StepInput, type StepPlan } from './plan.js';

export async function planStep(input: StepInput): Promise<StepPlan> {
  const taken = intake(input);
  if (!taken.rec) return taken.plan;
  const { plan, rec, newEvents, controlEvents, candidates } = taken;
  const { now } = input;
  const stampNew = (body: EventBody): HistoryEventJson => stamp(body, -1, now, false);
  const retries = applyRetries(plan, rec, candidates, now);
  const decided = retries.decisions.map((d) => stamp(d, Number(d.EventId), now, false));

  const orchestratorEvents = [...newEvents, ...controlEvents, ...retries.allocating, ...retries.others];
  // An execution suspended before its first episode still has to run once it is resumed.
  const neverRan = !input.history.some((e) => e.EventType === EventType.OrchestratorStarted);
  const runsOrchestrator = newEvents.length > 0 || retries.allocating.length > 0 || retries.others.length > 0 || neverRan;
  if (!runsOrchestrator) {
    plan.historyEvents = [...orchestratorEvents.map(stampNew), ...decided];
    return plan;
  }
  rec.lastUpdatedTime = now;
  const appended: HistoryEventJson[] = [stampNew({ EventType: EventType.OrchestratorStarted }), ...orchestratorEvents.map(stampNew)];
  const episode = await runEpisode(input.invoker, rec, input.history, appended);
  return decide(input, plan, rec, [...appended, ...decided], episode);
}
