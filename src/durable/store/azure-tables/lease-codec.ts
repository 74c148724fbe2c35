/** The lease row's codec: a LeaseWrite as a table entity, a table row as a LeaseRow. */
import type { TableEntity } from '@azure/data-tables';
import { HUB_PARTITION, LEASE_ROW } from '../../keys.js';
import type { LeaseRow, LeaseWrite } from '../../lease/lease-row.js';
import type { Row } from './table-store.js';

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function positiveNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function readLeaseRow(row: Row): LeaseRow {
  const durationMs = positiveNumber(row.DurationMs);
  const pid = positiveNumber(row.Pid);
  return {
    etag: row.etag,
    owner: text(row.Owner),
    host: text(row.Host),
    pid: pid !== undefined && Number.isInteger(pid) ? pid : undefined,
    token: text(row.Token),
    durationMs: durationMs && durationMs > 0 ? durationMs : undefined,
    // Older versions released by writing ExpiresAt 0 (and wrote no DurationMs).
    released: row.Released === true || (durationMs === undefined && positiveNumber(row.ExpiresAt) === 0),
  };
}

export function leaseEntity(write: LeaseWrite): TableEntity<Record<string, unknown>> {
  return {
    partitionKey: HUB_PARTITION,
    rowKey: LEASE_ROW,
    Owner: write.owner,
    Host: write.holder.host,
    Pid: write.holder.pid,
    Token: write.token,
    DurationMs: write.durationMs,
    Renewals: write.renewals,
    Released: write.released,
    ExpiresAt: write.expiresAt,
  };
}

