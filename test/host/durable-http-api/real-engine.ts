/**
 * The Durable HTTP API over the REAL engine on a real Azurite, with orchestrators run by durable-functions' own
 * Orchestrator (DirectInvoker): what the parity tests (history, rewind, restart, status codes) talk to.
 */
import { startAzurite, type RunningAzurite } from '../../../src/host/storage/azurite.js';
import type { DurableEngineRuntime, InstanceStatus } from '../../../src/durable/engine-api.js';
import type { RuntimeStatus } from '../../../src/durable/wire-types.js';
import type { DirectInvoker } from '../../support/direct-invoker.js';
import { startEngine, waitForStatus } from '../../durable/harness.js';
import { serveApi, type ServedApi } from './harness.js';


export interface RealApi {
  engine: DurableEngineRuntime;
  served: ServedApi;
  /** `${baseUrl}${HOOK}` */
  hook: string;
  waitFor(instanceId: string, statuses: RuntimeStatus[]): Promise<InstanceStatus>;
  close(): Promise<void>;
}

export async function startRealApi(invoker: DirectInvoker): Promise<RealApi> {
  const azurite: RunningAzurite = await startAzurite();
  const engine = await startEngine({ connectionString: azurite.connectionString, invoker });
  const served = await serveApi(engine, { hasOrchestration: (name) => invoker.hasOrchestration(name) });
  return {
    engine,
    served,
    hook: served.hook,
    waitFor: (instanceId, statuses) => waitForStatus(engine, instanceId, statuses, 15_000),
    async close() {
      await served.close();
      await engine.shutdown();
      await azurite.stop();
    },
  };
}
