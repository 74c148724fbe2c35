/**
 * The one way a schedule is started or changed, whoever asks (the environment's SCHEDULE, the schedules file, the
 * management API): look at its instance, decide with the pure reconcile (eventsource/core/schedule-reconcile.ts), then
 * start a generation, restart where it stopped, or hand the running schedule its new spec. The instance id is
 * deterministic, so two hosts starting at once are refused by the Durable setting
 * overridableExistingInstanceStates=NonRunningStates, and the loser leaves the winner alone.
 */
import type { DurableClient } from 'durable-functions';
import { isLive, ownership, reconcile, type ObservedInstance, type Reconcile, type SeenSequence } from '../../eventsource/core/schedule-reconcile.js';
import type { OriginKind } from '../../eventsource/core/schedule-origin.js';
import { asScheduleStatus } from '../../eventsource/core/schedule-schema.js';
import { hasSpec, reschedulePayload, runningSpecOf, specSummary } from '../../eventsource/core/schedule-start.js';
import type { ScheduleSpec } from '../../eventsource/core/schedule-state.js';
import type { Logger } from '../../eventsource/observability/logger.js';
import { findInstance } from './instances.js';
import { API_DELETE_REASON } from './stop-schedule.js';
import { instanceIdFor, ORCHESTRATOR, RESCHEDULE_EVENT } from './names.js';
import { pollUntil } from './poll.js';

const CONFIRM_MS = 30_000;
/** A raised spec not seen applied within this is raised again. */
const RAISE_AGAIN_MS = 10_000;

export async function observe(client: DurableClient, instanceId: string): Promise<(ObservedInstance & { output: unknown }) | undefined> {
  const found = await findInstance(client, instanceId);
  if (!found) return undefined;
  const created = new Date(found.createdTime);
  return {
    runtimeStatus: String(found.runtimeStatus),
    customStatus: found.customStatus,
    output: found.output,
    ...(Number.isNaN(created.getTime()) ? {} : { createdTime: created }),
  };
}

/** The instance is gone or has ended: a DELETE (terminate, purge) or a one-off's end came in between. */
async function hasEnded(client: DurableClient, instanceId: string): Promise<boolean> {
  const now = await observe(client, instanceId);
  return now === undefined || !isLive(now.runtimeStatus);
}

/**
 * A reschedule event can be lost where a host drops events the orchestration did not wait for before it
 * continued-as-new; it is raised again until the schedule's status shows the new spec, or the instance ends.
 */
async function sendSpec(client: DurableClient, instanceId: string, spec: ScheduleSpec): Promise<'confirmed' | 'ended' | 'not-confirmed'> {
  const deadline = Date.now() + CONFIRM_MS;
  while (Date.now() < deadline) {
    try {
      await client.raiseEvent(instanceId, RESCHEDULE_EVENT, reschedulePayload(spec));
    } catch (error) {
      if (await hasEnded(client, instanceId)) return 'ended';
      throw error;
    }
    // Looked at once after the raise (an owner in this process applies it within milliseconds), then after 50 ms,
    // doubling to every 500 ms; raised again after 10 s without it.
    const seen = await pollUntil(
      async () => {
        const observed = await observe(client, instanceId);
        if (observed === undefined || !isLive(observed.runtimeStatus)) return 'ended';
        const status = asScheduleStatus(observed.customStatus);
        return status && hasSpec(runningSpecOf(status), spec) ? 'confirmed' : undefined;
      },
      { lookAtOnce: true, firstMs: 50, maxMs: 500, deadline: Math.min(deadline, Date.now() + RAISE_AGAIN_MS) },
    );
    if (seen) return seen;
  }
  return 'not-confirmed';
}

interface ScheduleToRun {
  name: string;
  spec: ScheduleSpec;
  kind: OriginKind;
}

/** What ScheduleStarter.ensureRuns did; `recheck` asks the caller to look again after `afterMs`. */
export type EnsureOutcome =
  | { outcome: 'started' | 'restarted' | 'new-generation' | 'rescheduled' | 'unchanged' | 'started-elsewhere' | 'alert' }
  | { outcome: 'not-confirmed' }
  /** The running schedule ended (a DELETE meanwhile) before it took the new spec, or a DELETE is ending it. */
  | { outcome: 'ended' }
  | { outcome: 'recheck'; afterMs: number };

/** What a ScheduleStarter needs: the log its decisions go to, and the key of the origin markers (core/schedule-origin.ts). */
export interface ScheduleStarterDeps {
  readonly logger: Logger;
  readonly originKey: Buffer;
}

/**
 * Starts and changes schedules (one per worker process, shared by the starter, the schedules file and the API: it
 * remembers the highest sequence it saw per schedule generation it created, and the sequence never goes back below it).
 */
export class ScheduleStarter {
  private readonly seenSequences = new Map<string, SeenSequence>();

  constructor(private readonly deps: ScheduleStarterDeps) {}

  /** Makes sure `schedule` runs with its spec; every decision is logged with the schedule's name. */
  async ensureRuns(client: DurableClient, schedule: ScheduleToRun): Promise<EnsureOutcome> {
    const { name, kind } = schedule;
    const { logger, originKey } = this.deps;
    const instanceId = instanceIdFor(name);
    const observed = await observe(client, instanceId);
    // Terminated by a DELETE that has not purged it yet: not restarted where it stopped (the deleted generation would
    // come back after the DELETE's 204); the caller tries again once the DELETE is done.
    if (observed?.runtimeStatus === 'Terminated' && observed.output === API_DELETE_REASON) {
      logger.info({ schedule: name, instanceId }, 'schedule is being deleted; not started again');
      return { outcome: 'ended' };
    }
    const seen = this.seenSequences.get(instanceId);
    const decision = reconcile({ name, spec: schedule.spec, observed, now: new Date(), originKey, seen, kind });
    this.remember(name, kind, instanceId, observed);
    switch (decision.action) {
      case 'alert':
        logger.error(
          { schedule: name, instanceId, runtimeStatus: decision.runtimeStatus, problem: decision.problem },
          `schedule instance ${instanceId} is ${decision.runtimeStatus} but ${decision.problem}; the starter leaves it alone (it may be in the middle of a delivery) and the schedule is not in its hands until then: ${decision.advice.replaceAll('<id>', instanceId)}`,
        );
        return { outcome: 'alert' };
      case 'none':
        // The file's hourly look at every entry would write a line per schedule: those are debug.
        logger[kind === 'file' ? 'debug' : 'info']({ schedule: name, instanceId, runtimeStatus: decision.runtimeStatus }, 'schedule already running; left alone');
        return { outcome: 'unchanged' };
      case 'recheck':
        logger.info({ schedule: name, instanceId, runtimeStatus: decision.runtimeStatus }, `schedule instance is ${decision.runtimeStatus} and shows no status yet; looking again in ${Math.ceil(decision.afterMs / 60_000)} min`);
        return { outcome: 'recheck', afterMs: decision.afterMs };
      case 'reschedule':
        return this.reschedule(client, name, instanceId, decision.spec);
      case 'start':
        return this.start(client, name, instanceId, decision, observed);
    }
  }

  private remember(name: string, kind: OriginKind, instanceId: string, observed: ObservedInstance | undefined): void {
    const owner = observed && ownership(name, observed.customStatus, this.deps.originKey, kind);
    if (!owner?.ours) return;
    const { generation, nextSequence } = owner.status;
    const before = this.seenSequences.get(instanceId);
    if (before?.generation === generation && before.sequence >= nextSequence) return;
    this.seenSequences.set(instanceId, { generation, sequence: nextSequence });
  }

  private async reschedule(client: DurableClient, name: string, instanceId: string, spec: ScheduleSpec): Promise<EnsureOutcome> {
    const { logger } = this.deps;
    const sent = await sendSpec(client, instanceId, spec);
    if (sent === 'confirmed') {
      logger.info({ schedule: name, instanceId, spec: specSummary(spec) }, 'schedule changed; new spec sent to the running schedule');
      return { outcome: 'rescheduled' };
    }
    if (sent === 'ended') {
      logger.info({ schedule: name, instanceId }, 'schedule ended (deleted) while its new spec was being sent; nothing changed');
      return { outcome: 'ended' };
    }
    logger.warn({ schedule: name, instanceId, spec: specSummary(spec) }, 'schedule changed, but the running schedule has not taken the new spec yet; the next starter run tries again');
    return { outcome: 'not-confirmed' };
  }

  private async start(
    client: DurableClient,
    name: string,
    instanceId: string,
    decision: Extract<Reconcile, { action: 'start' }>,
    observed: ObservedInstance | undefined,
  ): Promise<EnsureOutcome> {
    const { logger } = this.deps;
    try {
      await client.startNew(ORCHESTRATOR, { instanceId, input: decision.state });
    } catch (error) {
      // Another host started it between our look and our start: that is the singleton doing its job.
      const again = await observe(client, instanceId);
      if (!again || !isLive(again.runtimeStatus)) throw error;
      logger.info({ schedule: name, instanceId, runtimeStatus: again.runtimeStatus }, 'schedule started by another host; left alone');
      return { outcome: 'started-elsewhere' };
    }
    const { generation, sequence } = decision.state;
    this.seenSequences.set(instanceId, { generation, sequence });
    const facts = { schedule: name, instanceId, spec: specSummary(decision.state.spec), generation, nextSequence: sequence };
    if (decision.why === 'new-generation') {
      logger.warn(
        { ...facts, endedStatus: observed?.runtimeStatus, problem: decision.problem },
        `the ended instance ${instanceId} (${observed?.runtimeStatus}) was not a schedule this starter created: ${decision.problem}; started a new generation at sequence 1 instead of continuing it, so no event id is reused`,
      );
      return { outcome: 'new-generation' };
    }
    logger.info(facts, decision.why === 'new' ? 'schedule started' : 'schedule restarted where it stopped');
    return { outcome: decision.why === 'new' ? 'started' : 'restarted' };
  }
}
