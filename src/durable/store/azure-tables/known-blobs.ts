/**
 * What this process knows of the blobs an instance's rows name (large-payloads.ts), shared by the stores of one hub
 * in the process (the engine opens one for its steps and one for client operations: a start's blobs are reused by
 * the first step). Never trusted for more than it can prove: an instance row's blobs are known per row version (ETag),
 * so a value is reused, and a replaced value deleted, only against the exact version a commit replaces.
 */

/** A property held in a blob: its text and the marker naming the blob. */
export interface BlobValue {
  text: string;
  marker: string;
}

/** What one instance row version holds in blobs, by property. */
interface KnownRow {
  props: Map<string, BlobValue>;
  units: number;
}

/** Versions kept per instance row: a reader may remember an older version after a commit made a newer one. */
const VERSIONS = 3;
/** Texts of instance rows remembered for reuse, in UTF-16 units over all instances (least recently used go first). */
const KNOWN_UNITS = 64 * 1024 * 1024;

export class KnownBlobs {
  /** Instance row versions by instance, by ETag, in the order they were first seen. */
  private readonly rows = new Map<string, Map<string, KnownRow>>();
  private units = 0;
  /** Blobs named by the other rows of each instance (history, messages, outbox), by row key. */
  private readonly named = new Map<string, Map<string, string[]>>();

  /** The blobs the instance row version `etag` holds, by property (undefined: none, or not known here). */
  version(instanceId: string, etag: string): Map<string, BlobValue> | undefined {
    return this.rows.get(instanceId)?.get(etag)?.props;
  }

  /** An instance row version and the blobs it holds (read, or just committed). */
  remember(instanceId: string, etag: string, props: Map<string, BlobValue>): void {
    const versions = this.rows.get(instanceId) ?? new Map<string, KnownRow>();
    this.rows.delete(instanceId); // re-inserted last: the most recently used instance
    // A version seen again keeps its place: versions go oldest first-seen first, so a reader remembering an old
    // version never pushes out the one the owner's next step replaces.
    const before = versions.get(etag);
    if (before) this.units -= before.units;
    if (props.size > 0) {
      const units = [...props.values()].reduce((sum, v) => sum + v.text.length, 0);
      versions.set(etag, { props, units });
      this.units += units;
    } else {
      versions.delete(etag);
    }
    for (const [old, row] of versions) {
      if (versions.size <= VERSIONS) break;
      versions.delete(old);
      this.units -= row.units;
    }
    if (versions.size > 0) this.rows.set(instanceId, versions);
    for (const id of this.rows.keys()) {
      if (this.units <= KNOWN_UNITS) break;
      this.forgetRows(id);
    }
  }

  /** The blobs another row of the instance names (none: forgotten). */
  note(instanceId: string, rowKey: string, blobs: string[]): void {
    let rows = this.named.get(instanceId);
    if (blobs.length === 0) {
      rows?.delete(rowKey);
      if (rows?.size === 0) this.named.delete(instanceId);
      return;
    }
    if (!rows) this.named.set(instanceId, (rows = new Map<string, string[]>()));
    rows.set(rowKey, blobs);
  }

  /** Rows deleted: the blobs they named (now named by no row), forgotten. */
  unname(instanceId: string, rowKeys: string[]): string[] {
    const rows = this.named.get(instanceId);
    if (!rows) return [];
    const blobs = rowKeys.flatMap((rowKey) => rows.get(rowKey) ?? []);
    for (const rowKey of rowKeys) rows.delete(rowKey);
    if (rows.size === 0) this.named.delete(instanceId);
    return blobs;
  }

  /** An instance purged: nothing of it is remembered any more. */
  forget(instanceId: string): void {
    this.forgetRows(instanceId);
    this.named.delete(instanceId);
  }

  private forgetRows(instanceId: string): void {
    const versions = this.rows.get(instanceId);
    if (!versions) return;
    this.rows.delete(instanceId);
    for (const row of versions.values()) this.units -= row.units;
  }
}

const shared = new Map<string, KnownBlobs>();

/** The KnownBlobs of a hub (by connection and table name) in this process. */
export function knownBlobsOf(key: string): KnownBlobs {
  let known = shared.get(key);
  if (!known) shared.set(key, (known = new KnownBlobs()));
  return known;
}
