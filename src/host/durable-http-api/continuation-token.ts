import { HttpApiError } from './errors.js';

/** Longer than any token the table service hands out for this hub's keys (two keys of at most 1 KiB, base64). */
const MAX_TOKEN_LENGTH = 4096;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Characters no table key contains (the service refuses them), so no token of ours holds them. */
const FORBIDDEN_KEY_CHARS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

function bad(field: string, problem: string): HttpApiError {
  return new HttpApiError(400, 'INVALID_CONTINUATION_TOKEN', `${field}: ${problem}`);
}

function isKey(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= 1024 && !FORBIDDEN_KEY_CHARS.test(value);
}

/**
 * Checks the shape of a continuation token (the table SDK's: base64 of {"nextPartitionKey","nextRowKey"?}) before
 * it reaches storage: a malformed one is the caller's mistake (400), not a storage outage to retry.
 */
export function checkContinuationToken(token: string, field: string): string {
  if (token.length > MAX_TOKEN_LENGTH) throw bad(field, `longer than ${MAX_TOKEN_LENGTH} characters`);
  if (token.length % 4 !== 0 || !BASE64.test(token)) throw bad(field, 'not a token this API handed out (not base64)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('latin1'));
  } catch {
    throw bad(field, 'not a token this API handed out (not JSON)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad(field, 'not a token this API handed out');
  const { nextPartitionKey, nextRowKey, ...extra } = parsed as Record<string, unknown>;
  if (!isKey(nextPartitionKey) || (nextRowKey !== undefined && !isKey(nextRowKey)) || Object.keys(extra).length > 0) {
    throw bad(field, 'not a token this API handed out');
  }
  return token;
}
