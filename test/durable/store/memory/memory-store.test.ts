/** The HubStore contract on the memory store. */
import { MemoryStore } from '../../../../src/durable/store/memory/memory-store.js';
import { hubStoreContract } from '../hub-store-contract.js';

hubStoreContract('memory', async () => new MemoryStore());
