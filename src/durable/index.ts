/**
 * The durable engine's public entry: everything the host (or a test) may use. Deep imports into the engine's
 * folders are its own business; the host imports from here only.
 */
export { createDurableEngine, type EngineTuning } from './engine.js';
export type { DurableEngine, DurableEngineOptions, DurableEngineRuntime, FunctionInvoker, InstanceQuery, InstanceStatus } from './engine-api.js';
export type { OrchestrationTriggerPayload, OrchestratorStateJson, RuntimeStatus } from './wire-types.js';
export { PayloadText } from './wire-types.js';
export {
  DurableConfigError,
  InstanceAlreadyExistsError,
  InstanceNotFailedError,
  InstanceNotFoundError,
  PayloadTooLargeError,
  RewindNotSupportedError,
  WorkerUnavailableError,
} from './errors.js';
export { EventType, EventTypeName, isTerminal } from './instance-state.js';
export { MAX_INSTANCE_ID_LENGTH, validateInstanceId, validateTaskHubName } from './names.js';
export { MAX_NAME_UNITS, MAX_PAYLOAD_UNITS } from './storage-limits.js';
export type { Clock } from './clock/clock.js';
export { SystemClock } from './clock/system-clock.js';
export { VirtualClock } from './clock/virtual-clock.js';
export { parseConnectionString } from './store/azure-tables/connection-string.js';
export { DEFAULT_PARTITIONS } from './store/azure-tables/hub-layout.js';
export { upgradeTaskHub, type HubUpgradeResult } from './store/azure-tables/hub-upgrade.js';
export { HubInUseError } from './store/azure-tables/hub-sole-access.js';
