/**
 * A memory store as the app's client calls see it when the storage account refuses the first `refusals` starts
 * (StorageUnavailableError), as an unavailable account would; every other call goes through.
 */
import { StorageUnavailableError } from '../../src/durable/errors.js';
import type { HubStore } from '../../src/durable/store/hub-store.js';
import type { MemoryStore } from '../../src/durable/store/memory/memory-store.js';

export function refusingStarts(store: MemoryStore, refusals: number): HubStore {
  let refused = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'startInstance' || typeof value !== 'function') return value;
      return (...args: unknown[]): Promise<unknown> =>
        refused++ < refusals ? Promise.reject(new StorageUnavailableError('storage unavailable during startInstance (test)')) : (Reflect.apply(value, target, args) as Promise<unknown>);
    },
  });
}
