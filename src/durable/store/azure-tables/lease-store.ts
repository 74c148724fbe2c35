/**
 * Storage calls of the hub lease: read the row, create it, replace it If-Match. Each call is ONE attempt (plus the
 * SDK's own single retry): the lease times its writes itself, and a write retried for seconds behind its back would
 * make the time it was sent meaningless. 409/412/404 on a write become ConflictError (nothing of ours applied by
 * THIS attempt; an earlier attempt whose answer was lost may have been).
 */
import { HUB_PARTITION, LEASE_ROW } from '../../keys.js';
import type { LeaseRow, LeaseWrite } from '../../lease/lease-row.js';
import type { LeaseStore } from '../hub-store.js';
import { leaseEntity, readLeaseRow } from './lease-codec.js';
import { ConflictError, describe, type HubTable } from './table-store.js';

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A missing row, not the hub's whole table gone (HubTable.retrying re-creates that one). */
function rowMissing(err: unknown): boolean {
  if (statusOf(err) !== 404) return false;
  const e = err as { code?: unknown; message?: unknown };
  return e.code !== 'TableNotFound' && !(typeof e.message === 'string' && e.message.includes('TableNotFound'));
}

export class TableLeaseStore implements LeaseStore {
  constructor(private readonly table: HubTable) {}

  async read(): Promise<LeaseRow | undefined> {
    await this.table.ensureTable();
    return this.table.retrying(
      'lease read',
      async () => {
        try {
          const entity = await this.table.client.getEntity<Record<string, unknown>>(HUB_PARTITION, LEASE_ROW);
          return readLeaseRow({ ...entity, partitionKey: HUB_PARTITION, rowKey: LEASE_ROW, etag: entity.etag });
        } catch (err) {
          if (rowMissing(err)) return undefined;
          throw err;
        }
      },
      0,
    );
  }

  /** Creates the row; resolves to its new ETag (undefined if the service did not say). */
  create(write: LeaseWrite): Promise<string | undefined> {
    return this.write('lease create', async () => (await this.table.client.createEntity(leaseEntity(write))).etag);
  }

  /** Replaces the row if it still has `etag`; resolves to its new ETag. */
  replace(write: LeaseWrite, etag: string): Promise<string | undefined> {
    return this.write('lease replace', async () => (await this.table.client.updateEntity(leaseEntity(write), 'Replace', { etag })).etag);
  }

  private async write(label: string, op: () => Promise<string | undefined>): Promise<string | undefined> {
    await this.table.ensureTable();
    return this.table.retrying(
      label,
      async () => {
        try {
          return await op();
        } catch (err) {
          const status = statusOf(err);
          if (status === 409 || status === 412 || rowMissing(err)) throw new ConflictError(status ?? 409, `${label}: ${describe(err)}`);
          throw err;
        }
      },
      0,
    );
  }
}
