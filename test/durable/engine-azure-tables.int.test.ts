/** The engine's scenarios (engine-scenarios.ts) on Azure Table Storage: a real Azurite, a fresh hub per scenario. */
import { createAzureTablesStore } from '../../src/durable/store/azure-tables/azure-tables-store.js';
import { useAzurite } from '../support/azurite.js';
import { engineScenarios } from './engine-scenarios.js';
import { startEngine, testLogger } from './harness.js';

const azurite = useAzurite();

engineScenarios('azure tables', {
  engine: (setup) => startEngine({ ...setup, connectionString: azurite.connectionString }),
  store: async (hub) => createAzureTablesStore(azurite.connectionString, hub, testLogger(), { stopping: () => false, budgetMs: 10_000 }),
});
