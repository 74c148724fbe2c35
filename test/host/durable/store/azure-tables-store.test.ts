/** The HubStore contract on Azure Table Storage (a real Azurite, a fresh hub table per test). */
import { after, before } from 'node:test';
import { createAzureTablesStore } from '../../../../src/host/durable/store/azure-tables/azure-tables-store.js';
import { startAzurite, type RunningAzurite } from '../../../../src/host/storage/azurite.js';
import { testLogger, uniqueHub } from '../harness.js';
import { hubStoreContract } from './hub-store-contract.js';

let azurite: RunningAzurite;

before(async () => {
  azurite = await startAzurite();
});

after(async () => {
  await azurite.stop();
});

hubStoreContract('azure tables', async () => {
  const store = createAzureTablesStore(azurite.connectionString, uniqueHub('contract'), testLogger(), { stopping: () => false, budgetMs: 10_000 });
  await store.ensureReady();
  return store;
});
