/**
 * Large text properties of the hub's rows moved to blobs and back (payload-marker.ts says when and how they are
 * named). The rules that keep references valid:
 * - a commit's blobs are written BEFORE the commit (a crash in between leaves an orphan blob, never a row naming a
 *   missing blob); orphans go with the purge of their instance (their names start with its prefix);
 * - a blob is deleted only once no stored row names it any more: an instance row's old value after the commit that
 *   replaced it, everything of an instance after its purge.
 * An instance row rewrites its input, output, custom status and state on every step: a value the replaced row version
 * already holds in a blob is referenced again, not uploaded again (known-blobs.ts, by the version's ETag).
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { getText, type EntityProps } from '../../chunked-text.js';
import type { PayloadBlobStore } from '../payloads/payload-blob-store.js';
import { decodeMarker, encodeMarker, instanceBlobPrefix, isLarge, newBlobName } from '../payloads/payload-marker.js';
import { KnownBlobs, type BlobValue } from './known-blobs.js';
import { pool } from './pool.js';
import type { Row } from './table-store.js';

const zip = promisify(gzip);
const unzip = promisify(gunzip);

/** Blob transfers at once (a scan of a hub with many large payloads must not open hundreds of downloads). */
const TRANSFERS = 8;

/**
 * A row named a blob that is gone: read just before a commit replaced that row (and its old value's blob was deleted).
 * The read is done again (`rereadOnMissingBlob`).
 */
export class MissingBlobError extends Error {
  readonly code = 'LARGE_PAYLOAD_MISSING';
}

const REREADS = 3;

/** Runs a read again when it met a blob deleted under it (the row it came from has changed since). */
export async function rereadOnMissingBlob<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof MissingBlobError) || attempt >= REREADS) throw err;
    }
  }
}

/** A blob a commit needs written before it. */
export interface PendingBlob {
  name: string;
  text: string;
}

/** Large properties of the rows of one commit: what to upload first, and what the instance row's version holds. */
export interface Offload {
  pending: PendingBlob[];
  /** The instance row's properties held in blobs, once committed (for `committed`). */
  instanceBlobs?: Map<string, BlobValue>;
  /** Blobs of the replaced instance row version that the new version no longer names. */
  garbage: string[];
  /** Blobs named by the other rows written, by row key. */
  rows?: Map<string, string[]>;
}

const SYSTEM = new Set(['partitionKey', 'rowKey', 'etag', 'odata.etag', 'timestamp']);
const PART = /__(?:n|\d+)$/;

export class LargePayloads {
  constructor(
    readonly blobs: PayloadBlobStore,
    private readonly known: KnownBlobs = new KnownBlobs(),
  ) {}

  /**
   * Replaces the large text properties of `entities` (rows of `instanceId` about to be written) by markers. The
   * entity `instanceRow`, if given, is the instance row replacing the version with ETag `replacing`.
   */
  offload(instanceId: string, entities: EntityProps[], instanceRow?: EntityProps, replacing?: string): Offload {
    const result: Offload = { pending: [], garbage: [] };
    if (!this.blobs.available) return result;
    const reusable = replacing !== undefined ? this.known.version(instanceId, replacing) : undefined;
    for (const entity of entities) {
      const isInstance = entity === instanceRow;
      if (isInstance) result.instanceBlobs = new Map();
      for (const name of Object.keys(entity)) {
        if (SYSTEM.has(name) || PART.test(name) || typeof entity[name] !== 'string') continue;
        const text = getText(entity, name);
        if (text === undefined || !isLarge(text)) continue;
        const before = isInstance ? reusable?.get(name) : undefined;
        let marker: string;
        if (before !== undefined && before.text === text) {
          marker = before.marker;
        } else {
          const blob = newBlobName(instanceId, name);
          marker = encodeMarker({ blob, units: text.length });
          result.pending.push({ name: blob, text });
        }
        dropParts(entity, name);
        entity[name] = marker;
        if (isInstance) result.instanceBlobs?.set(name, { text, marker });
        else if (typeof entity.rowKey === 'string') {
          result.rows ??= new Map();
          result.rows.set(entity.rowKey, [...(result.rows.get(entity.rowKey) ?? []), blobOf(marker)]);
        }
      }
    }
    if (reusable && instanceRow) {
      const kept = new Set([...(result.instanceBlobs?.values() ?? [])].map((v) => v.marker));
      for (const value of reusable.values()) if (!kept.has(value.marker)) result.garbage.push(blobOf(value.marker));
    }
    return result;
  }

  /** Writes a commit's blobs (compressed), all of them before it returns. */
  async write(pending: PendingBlob[]): Promise<void> {
    await pool(pending, TRANSFERS, async ({ name, text }) => this.blobs.put(name, await zip(Buffer.from(text, 'utf8'))));
  }

  /**
   * After the commit: what the new instance row version holds (its ETag) and the other rows written name; then the
   * blobs no row names any more (the replaced values, those of the rows the commit deleted) go.
   */
  async committed(instanceId: string, offload: Offload, etag: string | undefined, deletedRows: string[] = []): Promise<void> {
    if (offload.instanceBlobs && etag !== undefined) this.known.remember(instanceId, etag, offload.instanceBlobs);
    for (const [rowKey, blobs] of offload.rows ?? []) this.known.note(instanceId, rowKey, blobs);
    await this.deleteQuietly([...offload.garbage, ...this.known.unname(instanceId, deletedRows)]);
  }

  /** Rows of an instance deleted (garbage, delivered outbox): the blobs they named, as far as this process knows. */
  async rowsDeleted(instanceId: string, rowKeys: string[]): Promise<void> {
    await this.deleteQuietly(this.known.unname(instanceId, rowKeys));
  }

  /** An instance purged: nothing of it is remembered any more. */
  purged(instanceId: string): void {
    this.known.forget(instanceId);
  }

  /**
   * Puts the payloads back into rows as read (in place). `wanted` leaves rows nobody will parse alone (history of
   * an ended execution). Instance rows (`isInstanceRow`) are remembered with their ETag for reuse.
   */
  async resolve(instanceIdOf: (row: Row) => string, rows: Row[], isInstanceRow: (row: Row) => boolean, wanted: (row: Row) => boolean = () => true): Promise<void> {
    const jobs: { row: Row; name: string; blob: string; units: number }[] = [];
    for (const row of rows) {
      const found: string[] = [];
      for (const name of Object.keys(row)) {
        const ref = decodeMarker(row[name]);
        if (!ref) continue;
        found.push(ref.blob);
        if (wanted(row)) jobs.push({ row, name, ...ref });
      }
      if (!isInstanceRow(row)) this.known.note(instanceIdOf(row), row.rowKey, found);
    }
    const byRow = new Map<Row, Map<string, BlobValue>>();
    await pool(jobs, TRANSFERS, async ({ row, name, blob, units }) => {
      const marker = row[name] as string;
      const text = await this.read(blob, units);
      row[name] = text;
      if (isInstanceRow(row)) byRow.set(row, (byRow.get(row) ?? new Map<string, BlobValue>()).set(name, { text, marker }));
    });
    for (const row of rows) if (isInstanceRow(row) && wanted(row)) this.known.remember(instanceIdOf(row), row.etag, byRow.get(row) ?? new Map<string, BlobValue>());
  }

  private async read(blob: string, units: number): Promise<string> {
    const data = await this.blobs.get(blob);
    if (data === undefined) throw new MissingBlobError(`large payload ${blob} is missing from the blob container`);
    const text = (await unzip(data)).toString('utf8');
    if (text.length !== units) throw new Error(`large payload ${blob} holds ${text.length} characters, its row says ${units}`);
    return text;
  }

  /** Every blob of an instance, orphans of crashed commits included (their names start with its prefix). */
  async listInstance(instanceId: string): Promise<string[]> {
    return this.blobs.available ? this.blobs.list(instanceBlobPrefix(instanceId)) : [];
  }

  /** Deletes blobs no row names any more. */
  async deleteBlobs(names: string[]): Promise<void> {
    await pool(names, TRANSFERS, (name) => this.blobs.delete(name));
  }

  /** Garbage is deleted on a best-effort basis: what stays is an orphan that the instance's purge removes. */
  private async deleteQuietly(names: string[]): Promise<void> {
    try {
      await pool(names, TRANSFERS, (name) => this.blobs.delete(name));
    } catch {
      // left for the purge
    }
  }
}

function dropParts(entity: EntityProps, name: string): void {
  const parts = Number(entity[`${name}__n`] ?? 1);
  delete entity[`${name}__n`];
  for (let i = 1; i < parts; i++) delete entity[`${name}__${i}`];
}

function blobOf(marker: string): string {
  return decodeMarker(marker)?.blob ?? '';
}
