/** What every bench scenario shares: Azurite, the 10 ms proxy in front of it, the sink, and a run id for hub names. */
import type { RunningAzurite } from '../src/host/storage/azurite.js';
import { connectionStringFor } from '../src/host/storage/azurite.js';
import type { IpcChild } from './ipc-child.js';

/** Azurite, Azurite behind the 10 ms proxy, or no storage at all: the engine's memory store inside the host. */
export type StorageMode = 'azurite' | 'proxy10ms' | 'memory';

export interface BenchEnv {
  readonly quick: boolean;
  readonly azurite: RunningAzurite;
  readonly proxyPort: number;
  readonly sink: IpcChild;
  readonly sinkUrl: string;
  readonly runId: string;
  /** Messages for the person watching (one line each). */
  say(message: string): void;
}

/** The development account on the discard port: what a memory-store host is given and never connects to. */
const UNUSED_STORAGE = connectionStringFor(9);

export function storageFor(env: BenchEnv, mode: StorageMode): string {
  if (mode === 'memory') return UNUSED_STORAGE;
  return mode === 'azurite' ? env.azurite.connectionString : connectionStringFor(env.proxyPort);
}

/** A fresh task hub name per scenario (3-45 alphanumerics starting with a letter), so runs never share state. */
export function hubName(env: BenchEnv, label: string): string {
  return `B${env.runId}${label}`.replace(/[^A-Za-z0-9]/g, '').slice(0, 45);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
