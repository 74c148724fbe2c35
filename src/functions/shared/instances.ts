import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { ORCHESTRATOR, scheduleNameOf } from './names.js';

/**
 * The stock client answers an unknown instance id with an error that says HTTP 404; that is "not found" here,
 * every other error is real.
 */
export async function findInstance(client: DurableClient, instanceId: string): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId);
  } catch (error) {
    if (error instanceof Error && /HTTP 404/.test(error.message)) return undefined;
    throw error;
  }
}

/**
 * The schedules this task hub holds (every schedule instance, whatever its origin or status, as the list shows
 * them), for MAX_SCHEDULES. Read only when a PUT creates a schedule.
 */
export async function countSchedules(client: DurableClient): Promise<number> {
  const all = await client.getStatusAll();
  return all.filter((s) => s.name === ORCHESTRATOR && scheduleNameOf(s.instanceId) !== undefined).length;
}
