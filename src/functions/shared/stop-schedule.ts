/**
 * Stops a schedule for good: terminate its orchestration, wait until it has ended, purge its history. The name is
 * then free; a later start makes a new generation (a new ISO time in every event id), so no id repeats.
 */
import type { DurableClient } from 'durable-functions';
import { isLive } from '../../eventsource/core/schedule-reconcile.js';
import { findInstance } from './instances.js';
import { instanceIdFor } from './names.js';
import { pollUntil } from './poll.js';

const ENDED_WITHIN_MS = 30_000;

/** The termination reason of a management API DELETE: a PUT that finds it does not restart that instance. */
export const API_DELETE_REASON = 'deleted through the management API';

/**
 * What happened: `stopped` (it existed and is now gone), `absent` (no such schedule), or `restarted`: another caller
 * started it again between its end and the purge; that new run is left alone, not purged.
 * Throws when its orchestration does not end in time.
 */
export async function stopSchedule(client: DurableClient, name: string, reason: string): Promise<'stopped' | 'absent' | 'restarted'> {
  const instanceId = instanceIdFor(name);
  const found = await findInstance(client, instanceId);
  if (!found) return 'absent';
  if (isLive(String(found.runtimeStatus))) {
    await client.terminate(instanceId, reason);
    // Terminate is a message to the orchestration; the purge waits for it to be taken: looked at soon (an owner in
    // this process takes it within milliseconds), then every 200 ms.
    const ended = await pollUntil(
      async () => {
        const latest = await findInstance(client, instanceId);
        return latest && isLive(String(latest.runtimeStatus)) ? undefined : true;
      },
      { firstMs: 10, maxMs: 200, deadline: Date.now() + ENDED_WITHIN_MS },
    );
    if (!ended) throw new Error(`schedule ${name} did not end within ${ENDED_WITHIN_MS / 1000} s of its termination`);
  }
  const purged = await client.purgeInstanceHistory(instanceId);
  if (purged.instancesDeleted > 0) return 'stopped';
  // Nothing purged: an instance started between the last look and the delete (the engine's If-Match keeps it).
  const left = await findInstance(client, instanceId);
  return left && isLive(String(left.runtimeStatus)) ? 'restarted' : 'stopped';
}
