/** Where large payloads live: the hub's blob container, or a map in memory (tests). Names only, bytes only. */

export interface PayloadBlobStore {
  /** False when the storage has no blob service (a connection string naming a table endpoint only). */
  readonly available: boolean;
  /** Writes a blob (replacing one of that name). */
  put(name: string, data: Buffer): Promise<void>;
  /** A blob's bytes; undefined when it does not exist. */
  get(name: string): Promise<Buffer | undefined>;
  /** Names of the blobs that start with `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** Deletes a blob; a missing one is ignored. */
  delete(name: string): Promise<void>;
}

/** The blob semantics in memory, for the memory store twin and for tests. */
export class MemoryBlobStore implements PayloadBlobStore {
  readonly available = true;
  readonly blobs = new Map<string, Buffer>();

  async put(name: string, data: Buffer): Promise<void> {
    this.blobs.set(name, Buffer.from(data));
  }

  async get(name: string): Promise<Buffer | undefined> {
    return this.blobs.get(name);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.blobs.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  async delete(name: string): Promise<void> {
    this.blobs.delete(name);
  }
}
