/**
 * Makes sure the configured schedule runs: at host start (runOnStartup) and hourly after that. The instance id is
 * deterministic, so a restarted container finds its schedule; two hosts starting at once are refused by the
 * Durable setting overridableExistingInstanceStates=NonRunningStates, and the loser leaves the winner alone.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { reconcile, type ObservedInstance } from '../eventsource/schedule-reconcile.js';
import { instanceIdFor, ORCHESTRATOR, RESCHEDULE_EVENT } from './shared/names.js';
import { config, logger, scheduleSpec } from './shared/settings.js';
import { findInstance } from './shared/instances.js';

export async function ensureSchedule(client: DurableClient): Promise<void> {
  const name = config.scheduleName;
  const instanceId = instanceIdFor(name);
  const found = await findInstance(client, instanceId);
  const observed: ObservedInstance | undefined = found && {
    runtimeStatus: String(found.runtimeStatus),
    customStatus: found.customStatus,
  };
  const decision = reconcile(name, scheduleSpec(), observed, new Date());
  switch (decision.action) {
    case 'none':
      logger.info({ schedule: name, instanceId, runtimeStatus: decision.runtimeStatus }, 'schedule already running; left alone');
      return;
    case 'reschedule':
      await client.raiseEvent(instanceId, RESCHEDULE_EVENT, decision.spec);
      logger.info({ schedule: name, instanceId, spec: decision.spec.schedule }, 'schedule changed; new spec sent to the running schedule');
      return;
    case 'start':
      try {
        await client.startNew(ORCHESTRATOR, { instanceId, input: decision.state });
        logger.info(
          { schedule: name, instanceId, spec: decision.state.spec.schedule, nextSequence: decision.state.sequence },
          decision.why === 'new' ? 'schedule started' : 'schedule restarted where it stopped',
        );
      } catch (error) {
        // Another host started it between our look and our start: that is the singleton doing its job.
        const again = await findInstance(client, instanceId);
        if (!again) throw error;
        logger.info({ schedule: name, instanceId, runtimeStatus: again.runtimeStatus }, 'schedule started by another host; left alone');
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
