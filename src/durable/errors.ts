/**
 * The engine's errors, each with a stable `code`: what its client operations raise, and what any hub store's callers
 * may catch (a conflict: another writer won, nothing applied; a storage that stays unavailable).
 */
import type { RuntimeStatus } from './wire-types.js';

/**
 * Raised by start() when the id is taken by an instance that is not in a terminal state and
 * host.json's `overridableExistingInstanceStates` is `NonRunningStates`.
 */
export class InstanceAlreadyExistsError extends Error {
  readonly code = 'INSTANCE_EXISTS';
  constructor(readonly instanceId: string) {
    super(`An instance with id ${instanceId} already exists and is not in a terminal state`);
  }
}

export class InstanceNotFoundError extends Error {
  readonly code = 'INSTANCE_NOT_FOUND';
  constructor(readonly instanceId: string) {
    super(`No instance with id ${instanceId}`);
  }
}

/** Raised by rewind() when the instance is not Failed (the extension: only failed instances can be rewound). */
export class InstanceNotFailedError extends Error {
  readonly code = 'INSTANCE_NOT_FAILED';
  constructor(
    readonly instanceId: string,
    readonly runtimeStatus: RuntimeStatus,
  ) {
    super(`The rewind operation is only supported on failed orchestration instances; ${instanceId} is ${runtimeStatus}`);
  }
}

/** Raised by rewind() when the failed history is one the engine cannot rewind faithfully (see planner/rewind.ts). */
export class RewindNotSupportedError extends Error {
  readonly code = 'REWIND_NOT_SUPPORTED';
  constructor(
    readonly instanceId: string,
    readonly reason: string,
  ) {
    super(`Instance ${instanceId} cannot be rewound: ${reason}`);
  }
}

/**
 * A payload (start input, event data, custom status) larger than the task hub can store (storage-limits.ts). The
 * HTTP edge answers 413 for it; nothing was stored.
 */
export class PayloadTooLargeError extends Error {
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(
    readonly field: string,
    readonly units: number,
    readonly limit: number,
  ) {
    super(`${field} is ${units} characters of JSON; at most ${limit} can be stored`);
  }
}

/** Another writer changed the row first (412) or the row exists already (409): nothing of ours was applied. */
export class ConflictError extends Error {
  readonly code = 'STORAGE_CONFLICT';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class StorageUnavailableError extends Error {
  readonly code = 'STORAGE_UNAVAILABLE';
}

/**
 * The invoker could not run a function at all (its worker is gone: a thread that died, a pool being stopped): not the
 * function's failure. An episode rejected with it fails the step, which is tried again with back-off; the instance
 * does not fail, as the Durable extension abandons a work item whose worker crashed.
 */
export class WorkerUnavailableError extends Error {
  readonly code = 'WORKER_UNAVAILABLE';
}

/** A bad option or argument of the engine; `field` names it and the message says why. */
export class DurableConfigError extends Error {
  constructor(
    readonly code: string,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
