/**
 * The Table service's entity-group transaction on the wire: a `multipart/mixed` `$batch` body built from our actions,
 * and its answer read back. The SDK's own `submitTransaction` builds every sub-request by running it through a
 * throw-away HTTP pipeline (a new client per transaction, a serialisation pass per entity): that was the largest
 * single cost of a tick (`npm run bench`, profile in the README). Here the body is one string, and the request still
 * goes through the TableClient's pipeline (authentication, retries, storage metrics), see HubTable.transact.
 *
 * Format: "Performing entity group transactions" in the Table service REST reference; the same shape the SDK sends
 * (sub-requests in one change set, JSON bodies, `Prefer: return-no-content`).
 */
import { randomUUID } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';

const CRLF = '\r\n';

/** The request: its body and the Content-Type naming the batch boundary. */
export interface BatchRequest {
  body: string;
  contentType: string;
}

/** One operation's answer, in the order of the operations. */
export interface BatchAnswer {
  status: number;
  etag?: string;
  /** The service's error (`odata.error`) when the change set failed at this operation. */
  code?: string;
  message?: string;
}

/** `PartitionKey='a''b',RowKey='c'`, escaped as an OData key and then as a URL path segment (the SDK does the same). */
function entityPath(tableUrl: string, partitionKey: string, rowKey: string): string {
  const key = (value: string): string => encodeURIComponent(value.replace(/'/g, "''"));
  return `${tableUrl}(PartitionKey='${key(partitionKey)}',RowKey='${key(rowKey)}')`;
}

/** Entities' JSON bodies made already (by the step's sizing, step-transaction.ts), by entity object. */
export type EntityTexts = ReadonlyMap<object, string>;

/** The entity as the service's JSON: our rows hold only strings, numbers and booleans (typed by the service itself). */
export function entityJson(entity: object): string {
  const { partitionKey, rowKey, ...props } = entity as Record<string, unknown>;
  const out: Record<string, unknown> = { PartitionKey: partitionKey, RowKey: rowKey };
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new TypeError(`table property ${name} must be a string, a finite number or a boolean, got ${typeof value}`);
    }
    out[name] = value;
  }
  return JSON.stringify(out);
}

function subRequest(tableUrl: string, action: TransactionAction, texts: EntityTexts | undefined): string {
  const [kind, entity] = action;
  const json = (): string => texts?.get(entity) ?? entityJson(entity);
  const pk = String(entity.partitionKey);
  const rk = String(entity.rowKey);
  switch (kind) {
    case 'create':
      return `POST ${tableUrl} HTTP/1.1${CRLF}Content-Type: application/json;odata=nometadata${CRLF}Accept: application/json;odata=minimalmetadata${CRLF}DataServiceVersion: 3.0${CRLF}Prefer: return-no-content${CRLF}${CRLF}${json()}`;
    case 'delete':
      return `DELETE ${entityPath(tableUrl, pk, rk)} HTTP/1.1${CRLF}Accept: application/json;odata=minimalmetadata${CRLF}DataServiceVersion: 3.0${CRLF}If-Match: *${CRLF}`;
    case 'update':
    case 'upsert': {
      const mode = action[2] ?? 'Merge';
      const etag = kind === 'update' ? (action[3]?.etag ?? '*') : undefined;
      const verb = mode === 'Replace' ? 'PUT' : 'MERGE';
      const ifMatch = etag === undefined ? '' : `If-Match: ${etag}${CRLF}`;
      return `${verb} ${entityPath(tableUrl, pk, rk)} HTTP/1.1${CRLF}Content-Type: application/json${CRLF}Accept: application/json${CRLF}DataServiceVersion: 3.0${CRLF}${ifMatch}${CRLF}${json()}`;
    }
  }
}

/**
 * The `$batch` body for actions on one partition of the table at `tableUrl` (no trailing slash); an entity found in
 * `texts` is sent as that text (its entityJson, made when the step was sized), the others are serialised here.
 */
export function batchRequest(tableUrl: string, actions: readonly TransactionAction[], texts?: EntityTexts, id: () => string = randomUUID): BatchRequest {
  const batch = `batch_${id()}`;
  const changeset = `changeset_${id()}`;
  const parts: string[] = [`--${batch}${CRLF}Content-Type: multipart/mixed; boundary=${changeset}${CRLF}`];
  for (const action of actions) {
    parts.push(`--${changeset}${CRLF}Content-Type: application/http${CRLF}Content-Transfer-Encoding: binary${CRLF}${CRLF}${subRequest(tableUrl, action, texts)}`);
  }
  parts.push(`--${changeset}--${CRLF}--${batch}--${CRLF}`);
  return { body: parts.join(CRLF), contentType: `multipart/mixed; boundary=${batch}` };
}

/**
 * The answers of a `$batch` response body (status 202). A change set that failed carries a single answer: the
 * failing operation's status and error; one that succeeded carries one answer per operation, in order.
 */
export function parseBatchResponse(body: string): BatchAnswer[] {
  const answers: BatchAnswer[] = [];
  for (const part of body.split('--changesetresponse_').slice(1)) {
    const status = /HTTP\/1\.1 (\d{3})/.exec(part);
    if (!status) continue; // the closing boundary
    const answer: BatchAnswer = { status: Number(status[1]) };
    const etag = /\r?\nETag: ([^\r\n]+)/i.exec(part);
    if (etag) answer.etag = etag[1];
    const json = /\{[\s\S]*\}/.exec(part);
    if (json) Object.assign(answer, odataError(json[0]));
    answers.push(answer);
  }
  return answers;
}

/** The code and message of an `odata.error` JSON body (anything else: none). */
export function odataError(text: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as { 'odata.error'?: { code?: unknown; message?: { value?: unknown } } };
    const error = parsed['odata.error'];
    if (!error) return {};
    return {
      ...(typeof error.code === 'string' ? { code: error.code } : {}),
      ...(typeof error.message?.value === 'string' ? { message: error.message.value } : {}),
    };
  } catch {
    return {};
  }
}
