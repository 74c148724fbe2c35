/** The HubStore contract on the memory store. */
import { MemoryStore } from '../../../../src/host/durable/store/memory/memory-store.js';
import { hubStoreContract } from './hub-store-contract.js';

hubStoreContract('memory', async () => new MemoryStore());
