/**
 * Purge of one ended instance, in the order that keeps a concurrent start of the same id whole: the instance's
 * other rows first, its instance row last (If-Match on the ETag it was read with). A start replaces the instance row
 * before it writes anything else, so rows listed while that row still had the ended instance's ETag are the ended
 * instance's; whatever a start writes later is not in the list, and the last delete fails on the changed ETag.
 */
import { isTerminal } from './instance-state.js';
import type { HubStore } from './store/hub-store.js';

/** Rounds of list-and-delete when a late message (a step on the ended instance) changes its ETag meanwhile. */
const PURGE_ROUNDS = 3;

/** True when the instance was purged; false when it is not ended, is gone, or a new start took the id meanwhile. */
export async function purgeInstance(store: HubStore, instanceId: string): Promise<boolean> {
  for (let round = 0; round < PURGE_ROUNDS; round++) {
    const record = await store.readInstance(instanceId);
    if (!record || !isTerminal(record.status)) return false;
    const rows = await store.rowKeysOf(instanceId);
    // Listed while the row still had this ETag: no start had replaced it yet, so every listed row is the ended one's.
    if ((await store.readInstance(instanceId))?.etag !== record.etag) continue;
    await store.deleteRows(instanceId, rows);
    if (await store.deleteInstanceRow(instanceId, record.etag)) {
      await store.afterPurge(instanceId);
      return true;
    }
  }
  return false;
}
