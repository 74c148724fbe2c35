/**
 * One embedded host on a real Azurite running the samples fixture app (test/host/fixtures/samples-app), with the
 * stock DurableClient made from the host's own durableClient binding data, as an app function receives it.
 */
import type * as df from 'durable-functions';
import { createTestEnvironment, type TestEnvironment, type TestEnvironmentOptions } from '../../../src/host/testing/test-environment.js';
import { stockClient } from '../../support/stock-client.js';
import { fixtureDir } from '../capture-logger.js';

export interface SamplesEnv {
  env: TestEnvironment;
  client: df.DurableClient;
  /** Polls getStatus until the instance has `status` (real time); fails naming the status it has. */
  settle(instanceId: string, status: `${df.OrchestrationRuntimeStatus}`, timeoutMs?: number): Promise<df.DurableOrchestrationStatus>;
  /** Reads the fixture's outside world (functions/world-http.ts), e.g. `sms/+1555`. */
  world<T>(path: string): Promise<T>;
  teardown(): Promise<void>;
}

export async function startSamples(taskHubName: string, options: Partial<TestEnvironmentOptions> = {}): Promise<SamplesEnv> {
  const env = await createTestEnvironment({ appDir: fixtureDir('samples-app'), taskHubName, ...options });
  const client = stockClient(env.host.durableApi.clientBindingData(), 'samples-test');
  const key = options.key ? { 'x-functions-key': options.key } : undefined;

  return {
    env,
    client,
    async settle(instanceId, status, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = await client.getStatus(instanceId, { showInput: true });
        if (`${current.runtimeStatus}` === status) return current;
        if (Date.now() > deadline) {
          throw new Error(`${instanceId} is ${current.runtimeStatus} (output ${JSON.stringify(current.output)}), not ${status}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async world<T>(path: string) {
      const response = await env.fetch(`/api/world/${path}`, key ? { headers: key } : {});
      if (!response.ok) throw new Error(`world/${path} answered ${response.status}`);
      return (await response.json()) as T;
    },
    teardown: () => env.teardown(),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
