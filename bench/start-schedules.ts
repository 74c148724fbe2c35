/**
 * Starts schedules the way an operator's tooling would: through the Durable HTTP API
 * (`POST /runtime/webhooks/durabletask/orchestrators/scheduleOrchestrator/{instanceId}`), with a ScheduleState built
 * by the app's own newScheduleState and the instance id the app derives from the name (schedule-<name>).
 */
import { loadConfig } from '../src/eventsource/config/config.js';
import { newScheduleState, type ScheduleSpec, type ScheduleState } from '../src/eventsource/core/schedule-state.js';
import { instanceIdFor, ORCHESTRATOR } from '../src/functions/shared/names.js';

export interface ScheduleBatch {
  /** Name prefix: schedules are `<prefix>-<i>`. */
  prefix: string;
  count: number;
  /** Interval, e.g. `1s`. */
  every: string;
  catchUpWindow?: string;
  /** Scheduled time of schedule i's first tick (epoch ms); default: the first after its start. */
  firstFireAt?: (index: number) => number;
}

/**
 * Schedule i of n: `every` ticks lie on a grid from the epoch (fire-times.ts), so n schedules of one interval would
 * all fire in the same millisecond; as an operator spreading load would, each gets its own `offset`, evenly over the
 * interval (the phases the schedules' own start times gave them before `every` was aligned to the epoch).
 */
function phased(spec: ScheduleSpec, name: string, index: number, count: number, firstFireAt?: number): ScheduleSpec {
  const trigger = spec.trigger;
  if (trigger.kind !== 'every') return { ...spec, name };
  // A given first tick sets the phase, so that every tick after it is one interval after the one before.
  const offsetMs = firstFireAt !== undefined ? firstFireAt % trigger.everyMs : Math.floor((index * trigger.everyMs) / count) % trigger.everyMs;
  return { ...spec, name, trigger: { ...trigger, offsetMs } };
}

export function specFor(every: string, catchUpWindow = '60s'): ScheduleSpec {
  const config = loadConfig({ K_SINK: 'http://127.0.0.1:1/', SCHEDULE: every, CATCH_UP_WINDOW: catchUpWindow, MIN_INTERVAL: '1ms' });
  return config.scheduleSpec;
}

async function startOne(hostUrl: string, name: string, state: ScheduleState): Promise<void> {
  const url = `${hostUrl}/runtime/webhooks/durabletask/orchestrators/${ORCHESTRATOR}/${encodeURIComponent(instanceIdFor(name))}`;
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(state),
      signal: AbortSignal.timeout(30_000),
    });
    await response.arrayBuffer();
    if (response.status === 202 || response.status === 200) return;
    if (attempt >= 3) throw new Error(`starting ${name}: HTTP ${response.status}`);
  }
}

/**
 * Starts `batch.count` schedules, 16 requests at a time, and gives up waiting after `deadlineMs` (a level that
 * cannot even start its schedules is reported, not waited for). Returns how many were started.
 */
export async function startSchedules(hostUrl: string, batch: ScheduleBatch, deadlineMs: number): Promise<number> {
  const spec = specFor(batch.every, batch.catchUpWindow);
  const deadline = Date.now() + deadlineMs;
  let next = 0;
  let started = 0;
  const worker = async (): Promise<void> => {
    while (next < batch.count && Date.now() < deadline) {
      const index = next++;
      const name = `${batch.prefix}-${index}`;
      const first = batch.firstFireAt?.(index);
      const state = newScheduleState(name, phased(spec, name, index, batch.count, first), new Date());
      if (first !== undefined) state.nextFireTime = new Date(first).toISOString();
      await startOne(hostUrl, name, state);
      started++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, batch.count) }, worker));
  return started;
}
