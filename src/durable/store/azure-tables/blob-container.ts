/**
 * The hub's `<hub>-largemessages` blob container (payload-marker.ts), created on the first write. The blob endpoint
 * comes from the connection string as the SDK derives it (BlobEndpoint, or the account name and endpoint suffix); a
 * connection string that names a TableEndpoint but no BlobEndpoint means no blob service (a proxy in front of
 * Azurite's table service, in tests): payloads then stay in their rows, as before.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { parseConnectionString } from './connection-string.js';
import { statusOf } from '../storage-failures.js';
import type { PayloadBlobStore } from '../payloads/payload-blob-store.js';
import { containerName } from '../payloads/payload-marker.js';

type Retrying = <T>(label: string, op: () => Promise<T>) => Promise<T>;

export function hasBlobService(connectionString: string): boolean {
  const parts = parseConnectionString(connectionString);
  return parts.has('blobendpoint') || !parts.has('tableendpoint');
}

export class BlobContainerStore implements PayloadBlobStore {
  readonly available: boolean;
  private container: ContainerClient | undefined;
  private created: Promise<unknown> | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly hub: string,
    private readonly retrying: Retrying,
  ) {
    this.available = hasBlobService(connectionString);
  }

  /** Built on first use: a hub that never stores a large payload never talks to the blob service. */
  private client(): ContainerClient {
    if (!this.available) throw new Error('the storage connection has no blob endpoint: large payloads cannot be stored');
    // Loaded on first use too: the SDK takes about 150 ms to load, on every start, for hubs that may never need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (above)
    const { BlobServiceClient } = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
    this.container ??= BlobServiceClient.fromConnectionString(this.connectionString, {
      retryOptions: { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
    }).getContainerClient(containerName(this.hub));
    return this.container;
  }

  private ensureContainer(): Promise<unknown> {
    this.created ??= this.retrying('createContainer', () => this.client().createIfNotExists()).catch((err: unknown) => {
      this.created = undefined;
      throw err;
    });
    return this.created;
  }

  async put(name: string, data: Buffer): Promise<void> {
    await this.ensureContainer();
    await this.retrying('uploadBlob', async () => {
      try {
        await this.upload(name, data);
      } catch (err) {
        if (!isContainerMissing(err)) throw err;
        // Deleted behind our back (storage wiped): create it again.
        this.created = undefined;
        await this.ensureContainer();
        await this.upload(name, data);
      }
    });
  }

  private async upload(name: string, data: Buffer): Promise<void> {
    await this.client()
      .getBlockBlobClient(name)
      .uploadData(data, { blobHTTPHeaders: { blobContentType: 'application/json', blobContentEncoding: 'gzip' } });
  }

  async get(name: string): Promise<Buffer | undefined> {
    return this.retrying('downloadBlob', async () => {
      try {
        return await this.client().getBlobClient(name).downloadToBuffer();
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    });
  }

  /** One attempt (the SDK's own retry aside): listing serves clean-ups, which leave orphans for later if it fails. */
  async list(prefix: string): Promise<string[]> {
    if (!this.available) return [];
    const names: string[] = [];
    try {
      for await (const blob of this.client().listBlobsFlat({ prefix })) names.push(blob.name);
    } catch (err) {
      if (isContainerMissing(err)) return [];
      throw err;
    }
    return names;
  }

  async delete(name: string): Promise<void> {
    await this.retrying('deleteBlob', async () => {
      try {
        await this.client().getBlobClient(name).deleteIfExists();
      } catch (err) {
        if (!isContainerMissing(err)) throw err;
      }
    });
  }
}

function isContainerMissing(err: unknown): boolean {
  return statusOf(err) === 404 && (err as { code?: unknown }).code === 'ContainerNotFound';
}
