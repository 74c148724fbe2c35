/**
 * One episode: the history (old events replayed, new ones after an OrchestratorStarted) handed to the orchestrator
 * through the real durable-functions replay (the invoker), and its answer. No storage, no clock: the step's time
 * comes in with the input.
 */
import type { InstanceRecord } from '../instance-state.js';
import type { FunctionInvoker } from '../engine-api.js';
import { WorkerUnavailableError } from '../errors.js';
import type { HistoryEventJson, OrchestratorStateJson } from '../wire-types.js';
import { payloadText } from './payload-text.js';

/** Replay schema V4 with timer limits: our timers have no maximum length, so long timers never need splitting. */
export const TRIGGER_DEFAULTS = {
  upperSchemaVersion: 2,
  upperSchemaVersionNew: 3,
  longRunningTimerIntervalDuration: '3.00:00:00',
  maximumShortTimerDuration: '36500.00:00:00',
  defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
} as const;

const OUT_OF_PROC_LABEL = '$OutOfProcData$:';

/**
 * durable-functions reports an orchestrator failure by throwing an error whose message carries the
 * OrchestratorState after `$OutOfProcData$:` (as the real extension parses it). Returns that state, if any.
 */
export function stateFromError(err: unknown): OrchestratorStateJson | undefined {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : undefined;
  if (!message) return undefined;
  const at = message.indexOf(OUT_OF_PROC_LABEL);
  if (at < 0) return undefined;
  try {
    return JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as OrchestratorStateJson;
  } catch {
    return undefined;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The orchestrator's answer, or why there is none (a missing function, a thrown error, an error state). */
export interface EpisodeResult {
  state?: OrchestratorStateJson;
  failure?: string;
}

/** Runs the orchestrator of `rec` over `history` (played) followed by `appended` (new in this episode). */
export async function runEpisode(invoker: FunctionInvoker, rec: InstanceRecord, history: HistoryEventJson[], appended: HistoryEventJson[]): Promise<EpisodeResult> {
  const payload = payloadText(rec, history, appended, TRIGGER_DEFAULTS);
  if (!invoker.hasOrchestration(rec.name)) return { failure: `The orchestrator function '${rec.name}' doesn't exist.` };
  let state: OrchestratorStateJson | undefined;
  let failure: string | undefined;
  try {
    state = await invoker.invokeOrchestration(rec.name, payload);
  } catch (err) {
    // Not the orchestrator's failure: the step fails and is tried again.
    if (err instanceof WorkerUnavailableError) throw err;
    state = stateFromError(err);
    failure = state?.error ?? errorMessage(err);
  }
  if (state?.error) failure = state.error;
  return { ...(state ? { state } : {}), ...(failure !== undefined ? { failure } : {}) };
}
