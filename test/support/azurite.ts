/**
 * One Azurite for a test file: started before its tests, stopped after them. What `useAzurite()` returns stands for
 * the running Azurite once `before` ran, so a file reads `azurite.connectionString` as it did with its own hooks.
 */
import { after, before } from 'node:test';
import { startAzurite, type RunningAzurite } from '../../src/host/storage/azurite.js';
import { late } from './late.js';
import { startStorageProxy, type StorageProxy } from './storage-proxy.js';

export function useAzurite(): RunningAzurite {
  let azurite: RunningAzurite | undefined;
  before(async () => {
    azurite = await startAzurite();
  });
  after(() => azurite?.stop());
  return late('Azurite', () => azurite);
}

/** Azurite and a storage proxy in front of its table service (which counts and breaks calls), for a test file. */
export function useProxiedAzurite(): { azurite: RunningAzurite; proxy: StorageProxy } {
  let azurite: RunningAzurite | undefined;
  let proxy: StorageProxy | undefined;
  before(async () => {
    azurite = await startAzurite();
    proxy = await startStorageProxy(azurite.tablePort);
  });
  after(async () => {
    await proxy?.close();
    await azurite?.stop();
  });
  return { azurite: late('Azurite', () => azurite), proxy: late('the storage proxy', () => proxy) };
}
