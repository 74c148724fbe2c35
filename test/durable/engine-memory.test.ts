/** The engine's scenarios (engine-scenarios.ts) on the memory store: no Azurite, fast. */
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import { engineScenarios } from './engine-scenarios.js';
import { startEngine, uniqueHub } from './harness.js';

/** One store per hub, so that the engines and clients of a scenario share it as they would share a table. */
const stores = new Map<string, MemoryStore>();
const storeOf = (hub: string): MemoryStore => stores.get(hub) ?? stores.set(hub, new MemoryStore()).get(hub)!;

engineScenarios('memory', {
  engine: (setup) => {
    const hub = setup.hub ?? uniqueHub();
    return startEngine({ ...setup, hub, connectionString: 'memory', openStore: () => storeOf(hub) });
  },
  store: async (hub) => storeOf(hub),
});
