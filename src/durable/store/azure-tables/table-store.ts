import { TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { Logger } from 'pino';
import { storageMetricsPolicy } from './storage-metrics.js';
import { batchRequest, odataError, parseBatchResponse, type EntityTexts } from './batch-wire.js';
import { createUndiciHttpClient } from './undici-http-client.js';
import { MAX_TRANSACTION_BYTES, MAX_TRANSACTION_OPS } from '../../storage-limits.js';
import type { StoreControl } from '../hub-store.js';
import { ConflictError, PayloadTooLargeError, StorageUnavailableError } from '../../errors.js';
import { HUB_PARTITION } from '../../keys.js';
import { describe, isTransient, statusOf, type RestLikeError } from '../storage-failures.js';
import { backoffMs } from '../../backoff.js';

export { ConflictError } from '../../errors.js';
export { describe } from '../storage-failures.js';

/** A row as read back: its properties plus the service's ETag. */
export type Row = Record<string, unknown> & { partitionKey: string; rowKey: string; etag: string };

/** The service refused the request as too large (413, or EntityTooLarge / RequestBodyTooLarge in a 400). */
function isTooLarge(err: unknown): boolean {
  const status = statusOf(err);
  if (status === 413) return true;
  const text = `${String((err as RestLikeError | undefined)?.code ?? '')} ${String((err as RestLikeError | undefined)?.message ?? '')}`;
  return status === 400 && /EntityTooLarge|RequestBodyTooLarge|PropertyValueTooLarge/.test(text);
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

export type RetryControl = StoreControl;

/** Storage retries: 100 ms, doubling, at most 5 s between attempts. */
const RETRY_BACKOFF = { firstMs: 100, maxMs: 5_000 };

/**
 * The task hub's table. Every call retries transient failures with exponential back-off (real time: it is about
 * the storage service, not the app's clock) and logs each retry without the connection string.
 */
export class HubTable {
  readonly client: TableClient;
  private created: Promise<void> | undefined;
  /** The client's transport, also for the `$batch` requests HubTable builds itself (see undici-http-client.ts). */
  private readonly httpClient = createUndiciHttpClient();
  private readonly tableUrl: string;
  private readonly batchUrl: string;

  constructor(
    connectionString: string,
    readonly tableName: string,
    readonly logger: Logger,
    private readonly control: RetryControl,
  ) {
    this.client = TableClient.fromConnectionString(connectionString, tableName, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 1, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
      httpClient: this.httpClient,
    });
    this.client.pipeline.addPolicy(storageMetricsPolicy(), { afterPhase: 'Retry' });
    // A SAS connection string puts its token in the account URL's query: it follows `$batch`, as the SDK does it.
    const [account = '', sas] = this.client.url.split('?');
    this.tableUrl = `${account.replace(/\/+$/, '')}/${tableName}`;
    this.batchUrl = `${account.replace(/\/+$/, '')}/$batch${sas ? `?${sas}` : ''}`;
  }

  async retrying<T>(label: string, op: () => Promise<T>, budgetMs = this.control.budgetMs): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        const delay = backoffMs(attempt, RETRY_BACKOFF);
        if (isTableMissing(err) && label !== 'createTable') {
          this.logger.warn({ op: label, table: this.tableName }, 'durable: the task hub table is gone (storage wiped?); creating it again');
          this.created = undefined;
          await this.ensureTable();
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        if (!isTransient(err)) throw err;
        const elapsed = Date.now() - started;
        if (this.control.stopping() || (budgetMs !== undefined && elapsed >= budgetMs)) {
          throw new StorageUnavailableError(`storage unavailable during ${label}: ${describe(err)}`);
        }
        this.logger.warn({ op: label, attempt, retryInMs: delay, error: describe(err) }, 'durable: storage call failed, retrying');
        await new Promise((r) => setTimeout(r, delay));
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

  /** Whether the hub's table exists; unlike every other call, this one never creates it. */
  async exists(): Promise<boolean> {
    try {
      await this.client.listEntities({ queryOptions: { filter: `PartitionKey eq '${HUB_PARTITION}'` } }).byPage({ maxPageSize: 1 }).next();
      return true;
    } catch (err) {
      if (isTableMissing(err)) return false;
      throw err;
    }
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
    return (await this.listPages(filter, select)).rows;
  }

  /** All rows matching a filter, and how many pages (round trips) the service needed for them. */
  async listPages(filter: string, select?: string[]): Promise<{ rows: Row[]; pages: number }> {
    await this.ensureTable();
    return this.retrying('listEntities', async () => {
      const rows: Row[] = [];
      let pages = 0;
      const queryOptions = select ? { filter, select } : { filter };
      for await (const page of this.client.listEntities<Record<string, unknown>>({ queryOptions }).byPage()) {
        pages++;
        for (const entity of page) rows.push(asRow(entity));
      }
      return { rows, pages };
    });
  }

  /** One page of rows for a filter, or of the whole table (query with continuation). */
  async page(filter: string | undefined, maxPageSize: number, continuationToken?: string): Promise<{ rows: Row[]; continuationToken?: string }> {
    await this.ensureTable();
    return this.retrying('listEntities(page)', async () => {
      const pages = this.client
        .listEntities<Record<string, unknown>>(filter === undefined ? {} : { queryOptions: { filter } })
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
   * did commit: callers re-read, so both outcomes are safe. A 413 (or EntityTooLarge) becomes PayloadTooLargeError.
   * Resolves with the new ETag of each written row, by row key (what the service reported).
   */
  async transact(actions: TransactionAction[], texts?: EntityTexts): Promise<Map<string, string>> {
    const etags = new Map<string, string>();
    if (actions.length === 0) return etags;
    if (actions.length > MAX_TRANSACTION_OPS) throw new Error(`transaction of ${actions.length} operations exceeds ${MAX_TRANSACTION_OPS}`);
    await this.ensureTable();
    await this.retrying('submitTransaction', async () => {
      try {
        // Answers come in the order of the operations.
        (await this.submit(actions, texts)).forEach((answer, i) => {
          const rowKey = actions[i]?.[1].rowKey;
          if (typeof rowKey === 'string' && answer.etag) etags.set(rowKey, answer.etag);
        });
      } catch (err) {
        if (isConflict(err) || isNotFound(err)) {
          throw new ConflictError(statusOf(err) ?? 409, `transaction conflict: ${describe(err)}`);
        }
        if (isTooLarge(err)) throw new PayloadTooLargeError('transaction', 0, MAX_TRANSACTION_BYTES);
        throw err;
      }
    });
    return etags;
  }

  /** One `$batch` round trip; a failed change set throws a RestError with the failing operation's status and code. */
  private async submit(actions: TransactionAction[], texts: EntityTexts | undefined): Promise<ReturnType<typeof parseBatchResponse>> {
    const { body, contentType } = batchRequest(this.tableUrl, actions, texts);
    const request = createPipelineRequest({
      url: this.batchUrl,
      method: 'POST',
      body,
      headers: createHttpHeaders({
        'Content-Type': contentType,
        Accept: 'application/json',
        'x-ms-version': '2019-02-02',
        DataServiceVersion: '3.0;',
        MaxDataServiceVersion: '3.0;NetFx',
      }),
      allowInsecureConnection: true,
    });
    const response = await this.client.pipeline.sendRequest(this.httpClient, request);
    const text = response.bodyAsText ?? '';
    if (response.status < 200 || response.status >= 300) {
      const { code, message } = odataError(text);
      throw new RestError(message ?? `$batch answered ${response.status}`, { statusCode: response.status, ...(code ? { code } : {}) });
    }
    const answers = parseBatchResponse(text);
    const failed = answers.find((a) => a.status < 200 || a.status >= 300);
    if (failed) throw new RestError(failed.message ?? `transaction failed with ${failed.status}`, { statusCode: failed.status, ...(failed.code ? { code: failed.code } : {}) });
    if (answers.length !== actions.length) throw new RestError(`$batch answered ${answers.length} of ${actions.length} operations`, { statusCode: 500 });
    return answers;
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
              await this.client.deleteEntity(entity.partitionKey, entity.rowKey);
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

