/** What the engine's parts (steps, activities, outbox, scans, client operations) share of the engine itself. */
import type { Logger } from 'pino';
import type { Clock } from './clock/clock.js';
import type { Refresh } from './runtime/instance-cache.js';
import type { InboxEntry, InstanceRecord } from './instance-state.js';
import type { HubStore } from './store/hub-store.js';
import type { TimerQueue } from './runtime/timer-queue.js';
import type { DurableEngineOptions } from './engine-api.js';

export interface EngineContext {
  readonly options: DurableEngineOptions;
  readonly clock: Clock;
  readonly log: Logger;
  /** The task hub as background work uses it: retries until shutdown. */
  readonly store: HubStore;
  readonly timers: TimerQueue;
  /** Shutdown has begun. */
  readonly stopping: boolean;
  /** Shutdown gave up waiting: in-flight work is left to storage (redone on restart). */
  readonly abandoned: boolean;
  /** This process owns the lease and is not stopping: it may run steps and start activities and deliveries. */
  readonly processing: boolean;
  /**
   * It may commit steps: as `processing`, and also while a shutdown waits for in-flight work, so that an activity that
   * finishes then is recorded (a clean stop redoes nothing) though nothing new is started.
   */
  readonly committing: boolean;
  /** Runs background work that `idle()` and `shutdown()` wait for; its failure is logged. */
  track<T>(promise: Promise<T>): void;
  /**
   * Queues a step of the instance (or another one after the running one). `refresh` says what this process just
   * wrote there behind the instance cache: 'inbox' (a message: a targeted inbox read) or 'all' (the instance row).
   */
  requestStep(instanceId: string, refresh?: Refresh, dueAt?: number): void;
  /** This process created the instance in a new partition (record with its ETag, start message): cache it, step it. */
  instanceCreated(instanceId: string, record: InstanceRecord, start: InboxEntry): void;
}
