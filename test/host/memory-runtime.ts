// Test helper: the Durable HTTP API tests' in-memory engine double, given the runtime lifecycle the host drives.
// It runs no orchestrations; host tests use it to check wiring (durableClient binding, webhooks) without storage.
import type { DurableEngineOptions, DurableEngineRuntime } from '../../src/durable/engine-api.js';
import type { EngineTuning } from '../../src/durable/engine.js';
import type { EngineFactory } from '../../src/host/host.js';
import { MemoryEngine } from '../support/memory-engine.js';

export interface MemoryRuntime extends DurableEngineRuntime {
  readonly memory: MemoryEngine;
  readonly options: DurableEngineOptions;
  /** What the host asked of the engine (host.json's concurrency). */
  readonly tuning: EngineTuning;
  runs: number;
  shutdowns: number;
}

export function memoryEngineFactory(created: MemoryRuntime[] = []): EngineFactory {
  return (options, tuning) => {
    const memory = new MemoryEngine(options.taskHubName);
    const runtime: MemoryRuntime = Object.assign(Object.create(memory) as MemoryEngine, {
      memory,
      options,
      tuning,
      runs: 0,
      shutdowns: 0,
      async run() {
        runtime.runs++;
      },
      async shutdown() {
        runtime.shutdowns++;
      },
    });
    created.push(runtime);
    return runtime;
  };
}
