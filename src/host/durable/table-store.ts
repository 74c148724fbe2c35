import { TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import type { Logger } from 'pino';
import { storageMetricsPolicy } from './storage-metrics.js';

/** A row as read back: its properties plus the service's ETag. */
export type Row = Record<string, unknown> & { partitionKey: string; rowKey: string; etag: string };

/** Another writer changed the row first (412) or the row exists already (409): nothing of ours was applied. */
export class ConflictError extends Error {
  readonly code = 'STORAGE_CONFLICT';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class StorageUnavailableError extends Error {
  readonly code = 'STORAGE_UNAVAILABLE';
}

interface RestLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as RestLikeError | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Network errors, timeouts, throttling and 5xx are worth retrying; other answers are final. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ConflictError) return false;
  const status = statusOf(err);
  if (status === undefined) return true;
  return status === 408 || status === 429 || status >= 500;
}

function isConflict(err: unknown): boolean {
  const status = statusOf(err);
  return status === 409 || status === 412;
}

function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404 && !isTableMissing(err);
}

/** The hub's table itself is gone (storage wiped, account recreated): not a missing row. */
function isTableMissing(err: unknown): boolean {
  if (statusOf(err) !== 404) return false;
  const e = err as { code?: unknown; message?: unknown };
  return e.code === 'TableNotFound' || (typeof e.message === 'string' && e.message.includes('TableNotFound'));
}

export interface RetryControl {
  /** Stop retrying when this turns true (shutdown). */
  stopping(): boolean;
  /** Give up after this many ms of failures (undefined: keep going until stopping). */
  budgetMs?: number;
}

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/**
 * The task hub's table. Every call retries transient failures with exponential back-off (real time: it is about
 * the storage service, not the app's clock) and logs each retry without the connection string.
 */
export class HubTable {
  readonly client: TableClient;
  private created: Promise<void> | undefined;

  constructor(
    connectionString: string,
    readonly tableName: string,
    private readonly logger: Logger,
    private readonly control: RetryControl,
  ) {
    this.client = TableClient.fromConnectionString(connectionString, tableName, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 1, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
    });
    this.client.pipeline.addPolicy(storageMetricsPolicy(), { afterPhase: 'Retry' });
  }

  async retrying<T>(label: string, op: () => Promise<T>, budgetMs = this.control.budgetMs): Promise<T> {
    let delay = BACKOFF_START_MS;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (isTableMissing(err) && label !== 'createTable') {
          this.logger.warn({ op: label, table: this.tableName }, 'durable: the task hub table is gone (storage wiped?); creating it again');
          this.created = undefined;
          await this.ensureTable();
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(BACKOFF_MAX_MS, delay * 2);
          continue;
        }
        if (!isTransient(err)) throw err;
        const elapsed = Date.now() - started;
        if (this.control.stopping() || (budgetMs !== undefined && elapsed >= budgetMs)) {
          throw new StorageUnavailableError(`storage unavailable during ${label}: ${describe(err)}`);
        }
        this.logger.warn({ op: label, attempt, retryInMs: delay, error: describe(err) }, 'durable: storage call failed, retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(BACKOFF_MAX_MS, delay * 2);
      }
    }
  }

  /** Creates the table once (idempotent). */
  ensureTable(): Promise<void> {
    this.created ??= this.retrying('createTable', () => this.client.createTable()).catch((err: unknown) => {
      this.created = undefined;
      throw err;
    });
    return this.created;
  }

  async get(partitionKey: string, rowKey: string): Promise<Row | undefined> {
    await this.ensureTable();
    return this.retrying('getEntity', async () => {
      try {
        return asRow(await this.client.getEntity<Record<string, unknown>>(partitionKey, rowKey));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  /** All rows matching an OData filter, in key order. */
  async list(filter: string, select?: string[]): Promise<Row[]> {
    await this.ensureTable();
    return this.retrying('listEntities', async () => {
      const rows: Row[] = [];
      const queryOptions = select ? { filter, select } : { filter };
      for await (const entity of this.client.listEntities<Record<string, unknown>>({ queryOptions })) rows.push(asRow(entity));
      return rows;
    });
  }

  /** One page of rows for a filter (query with continuation). */
  async page(filter: string, maxPageSize: number, continuationToken?: string): Promise<{ rows: Row[]; continuationToken?: string }> {
    await this.ensureTable();
    return this.retrying('listEntities(page)', async () => {
      const pages = this.client
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize, ...(continuationToken ? { continuationToken } : {}) });
      const next = await pages.next();
      if (next.done || !next.value) return { rows: [] };
      const page = next.value;
      const rows = page.map((e) => asRow(e));
      return page.continuationToken ? { rows, continuationToken: page.continuationToken } : { rows };
    });
  }

  /**
   * An entity-group transaction: all actions on one partition, all or nothing. A 409/412 answer becomes a
   * ConflictError (nothing applied). After a lost response the retry may report a conflict for a transaction that
   * did commit: callers re-read, so both outcomes are safe.
   */
  async transact(actions: TransactionAction[]): Promise<void> {
    if (actions.length === 0) return;
    if (actions.length > 100) throw new Error(`transaction of ${actions.length} operations exceeds 100`);
    await this.ensureTable();
    await this.retrying('submitTransaction', async () => {
      try {
        await this.client.submitTransaction(actions);
      } catch (err) {
        if (isConflict(err) || isNotFound(err)) {
          throw new ConflictError(statusOf(err) ?? 409, `transaction conflict: ${describe(err)}`);
        }
        throw err;
      }
    });
  }

  /** Deletes rows of one partition in batches of 100 (unconditional). */
  async deleteRows(partitionKey: string, rowKeys: string[]): Promise<void> {
    for (let i = 0; i < rowKeys.length; i += 100) {
      const batch = rowKeys.slice(i, i + 100).map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]);
      try {
        await this.transact(batch);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // Some row vanished meanwhile: delete one by one, ignoring the missing ones.
        for (const [, entity] of batch) {
          await this.retrying('deleteEntity', async () => {
            try {
              await this.client.deleteEntity(entity.partitionKey as string, entity.rowKey as string);
            } catch (e) {
              if (!isNotFound(e)) throw e;
            }
          });
        }
      }
    }
  }
}

function asRow(entity: TableEntityResult<Record<string, unknown>>): Row {
  const { etag, partitionKey, rowKey, ...rest } = entity;
  return { ...rest, partitionKey: partitionKey ?? '', rowKey: rowKey ?? '', etag: etag ?? '*' };
}

/** An error in a form fit for logs: status and message only (never the request, which holds the account). */
export function describe(err: unknown): string {
  const e = err as RestLikeError | undefined;
  const status = statusOf(err);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = (e?.message ?? String(err)).split('\n')[0]?.slice(0, 300) ?? '';
  return [status, code, message].filter((p) => p !== undefined && p !== '').join(' ');
}
