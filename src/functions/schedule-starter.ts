/**
 * Makes sure the configured schedule runs: at host start (runOnStartup) and hourly after that. The instance id is
 * deterministic, so a restarted container finds its schedule; two hosts starting at once are refused by the
 * Durable setting overridableExistingInstanceStates=NonRunningStates, and the loser leaves the winner alone.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { isLive, ownership, reconcile, type ObservedInstance, type Reconcile, type SeenSequence } from '../eventsource/schedule-reconcile.js';
import { redactUrlsIn } from '../eventsource/redact.js';
import { asScheduleStatus } from '../eventsource/schedule-schema.js';
import { sameSpec, type ScheduleSpec } from '../eventsource/schedule-state.js';
import { describeSpec } from '../eventsource/normalized-spec.js';

/** The trigger fields of a spec, for a log line. */
function describeTrigger(spec: ScheduleSpec): string {
  const { every, offset, cron, timezone, at } = describeSpec(spec);
  return JSON.stringify({ every, offset, cron, timezone, at });
}
import { instanceIdFor, ORCHESTRATOR, RESCHEDULE_EVENT } from './shared/names.js';
import { config, logger, originKey, scheduleSpec } from './shared/settings.js';
import { findInstance } from './shared/instances.js';

const ATTEMPTS = 5;
const CONFIRM_MS = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function observe(client: DurableClient, instanceId: string): Promise<ObservedInstance | undefined> {
  const found = await findInstance(client, instanceId);
  if (!found) return undefined;
  const created = new Date(found.createdTime);
  return {
    runtimeStatus: String(found.runtimeStatus),
    customStatus: found.customStatus,
    ...(Number.isNaN(created.getTime()) ? {} : { createdTime: created }),
  };
}

/** The highest sequence this process saw per schedule generation it created: the sequence never goes back below it. */
const seenSequences = new Map<string, SeenSequence>();

function remember(instanceId: string, observed: ObservedInstance | undefined): void {
  const owner = observed && ownership(config.scheduleName, observed.customStatus, originKey);
  if (!owner?.ours) return;
  const { generation, nextSequence } = owner.status;
  const before = seenSequences.get(instanceId);
  if (before?.generation === generation && before.sequence >= nextSequence) return;
  seenSequences.set(instanceId, { generation, sequence: nextSequence });
}

/**
 * A reschedule event can be lost where a host drops events the orchestration did not wait for before it
 * continued-as-new; it is raised again until the schedule's status shows the new spec.
 */
async function reschedule(client: DurableClient, instanceId: string, spec: ScheduleSpec): Promise<boolean> {
  const deadline = Date.now() + CONFIRM_MS;
  while (Date.now() < deadline) {
    await client.raiseEvent(instanceId, RESCHEDULE_EVENT, { spec });
    for (let waited = 0; waited < 10_000 && Date.now() < deadline; waited += 500) {
      await sleep(500);
      const status = asScheduleStatus((await observe(client, instanceId))?.customStatus);
      if (status && sameSpec(status.normalizedSpec, spec)) return true;
    }
  }
  return false;
}

async function ensureOnce(client: DurableClient): Promise<void> {
  const name = config.scheduleName;
  const instanceId = instanceIdFor(name);
  const observed = await observe(client, instanceId);
  const seen = seenSequences.get(instanceId);
  const decision = reconcile({ name, spec: scheduleSpec(), observed, now: new Date(), originKey, seen });
  remember(instanceId, observed);
  switch (decision.action) {
    case 'alert':
      logger.error(
        { schedule: name, instanceId, runtimeStatus: decision.runtimeStatus, problem: decision.problem },
        `schedule instance ${instanceId} is ${decision.runtimeStatus} but ${decision.problem}; the starter leaves it alone (it may be in the middle of a delivery) and the schedule is not in its hands until then: ${decision.advice.replaceAll('<id>', instanceId)}`,
      );
      return;
    case 'none':
      logger.info({ schedule: name, instanceId, runtimeStatus: decision.runtimeStatus }, 'schedule already running; left alone');
      return;
    case 'recheck':
      logger.info({ schedule: name, instanceId, runtimeStatus: decision.runtimeStatus }, `schedule instance is ${decision.runtimeStatus} and shows no status yet; looking again in ${Math.ceil(decision.afterMs / 60_000)} min`);
      recheckLater(client, decision.afterMs);
      return;
    case 'reschedule':
      if (await reschedule(client, instanceId, decision.spec)) {
        logger.info({ schedule: name, instanceId, spec: describeTrigger(decision.spec) }, 'schedule changed; new spec sent to the running schedule');
      } else {
        logger.warn({ schedule: name, instanceId, spec: describeTrigger(decision.spec) }, 'schedule changed, but the running schedule has not taken the new spec yet; the next starter run tries again');
      }
      return;
    case 'start':
      await start(client, instanceId, decision, observed);
  }
}

async function start(client: DurableClient, instanceId: string, decision: Extract<Reconcile, { action: 'start' }>, observed: ObservedInstance | undefined): Promise<void> {
  try {
    await client.startNew(ORCHESTRATOR, { instanceId, input: decision.state });
  } catch (error) {
    // Another host started it between our look and our start: that is the singleton doing its job.
    const again = await observe(client, instanceId);
    if (!again || !isLive(again.runtimeStatus)) throw error;
    logger.info({ schedule: config.scheduleName, instanceId, runtimeStatus: again.runtimeStatus }, 'schedule started by another host; left alone');
    return;
  }
  const { generation, sequence } = decision.state;
  seenSequences.set(instanceId, { generation, sequence });
  const facts = { schedule: config.scheduleName, instanceId, spec: describeTrigger(decision.state.spec), generation, nextSequence: sequence };
  if (decision.why === 'new-generation') {
    logger.warn(
      { ...facts, endedStatus: observed?.runtimeStatus, problem: decision.problem },
      `the ended instance ${instanceId} (${observed?.runtimeStatus}) was not a schedule this starter created: ${decision.problem}; started a new generation at sequence 1 instead of continuing it, so no event id is reused`,
    );
  } else {
    logger.info(facts, decision.why === 'new' ? 'schedule started' : 'schedule restarted where it stopped');
  }
}

/** One more look, outside the hourly rhythm (unref'd: it never keeps a stopping host alive). */
function recheckLater(client: DurableClient, afterMs: number): void {
  setTimeout(() => {
    ensureSchedule(client).catch((error: unknown) => {
      logger.error({ schedule: config.scheduleName, reason: redactUrlsIn(error instanceof Error ? error.message : String(error)) }, 'looking at the schedule again failed; the hourly run tries again');
    });
  }, afterMs).unref();
}

/** Makes sure the schedule runs; storage or host hiccups at start-up are retried rather than waiting an hour. */
export async function ensureSchedule(client: DurableClient): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureOnce(client);
      return;
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      const delay = 1_000 * 2 ** (attempt - 1);
      logger.warn({ attempt, retryInMs: delay, reason: redactUrlsIn(error instanceof Error ? error.message : String(error)) }, 'making sure the schedule runs failed; retrying');
      await sleep(delay);
    }
  }
}

app.timer('scheduleStarter', {
  schedule: '0 0 * * * *',
  runOnStartup: true,
  extraInputs: [df.input.durableClient()],
  handler: async (_timer: Timer, context: InvocationContext): Promise<void> => {
    await ensureSchedule(df.getClient(context));
  },
});
