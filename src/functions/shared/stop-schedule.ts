/**
 * Stops a schedule for good: terminate its orchestration, wait until it has ended, purge its history. The name is
 * then free; a later start makes a new generation (a new ISO time in every event id), so no id repeats.
 */
import type { DurableClient } from 'durable-functions';
import { isLive } from '../../eventsource/core/schedule-reconcile.js';
import { findInstance } from './instances.js';
import { instanceIdFor } from './names.js';

const ENDED_WITHIN_MS = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether a schedule of that name existed (and is now gone). Throws when its orchestration does not end in time. */
export async function stopSchedule(client: DurableClient, name: string, reason: string): Promise<boolean> {
  const instanceId = instanceIdFor(name);
  let found = await findInstance(client, instanceId);
  if (!found) return false;
  if (isLive(String(found.runtimeStatus))) {
    await client.terminate(instanceId, reason);
    const deadline = Date.now() + ENDED_WITHIN_MS;
    // Terminate is a message to the orchestration; the purge waits for it to be taken.
    while (found && isLive(String(found.runtimeStatus))) {
      if (Date.now() > deadline) throw new Error(`schedule ${name} did not end within ${ENDED_WITHIN_MS / 1000} s of its termination`);
      await sleep(200);
      found = await findInstance(client, instanceId);
    }
  }
  await client.purgeInstanceHistory(instanceId);
  return true;
}
