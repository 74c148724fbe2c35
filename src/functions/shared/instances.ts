import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

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
