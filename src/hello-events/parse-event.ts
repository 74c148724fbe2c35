import type { IncomingHttpHeaders } from 'node:http';
import { HTTP, ValidationError, type CloudEventV1 } from 'cloudevents';

export type ParseResult =
  | { readonly ok: true; readonly event: CloudEventV1<unknown> }
  | { readonly ok: false; readonly problem: string };

const SUPPORTED_SPECVERSION = '1.0';
const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;
const MAX_PROBLEM_CHARS = 300;

/**
 * Turns an HTTP request into a CloudEvent (binary or structured mode) or names what is wrong.
 * The SDK's deserializer is lenient (it invents an id, accepts any specversion), so the
 * required attributes are checked here first, then the SDK parses and validates the rest.
 */
export function parseCloudEvent(headers: IncomingHttpHeaders, body: Buffer): ParseResult {
  const contentType = (headerValue(headers['content-type']) ?? '').toLowerCase();
  const precheck = contentType.startsWith('application/cloudevents')
    ? checkStructured(contentType, body)
    : checkBinary(headers);
  if (precheck) return fail(precheck);

  let parsed: CloudEventV1<unknown> | CloudEventV1<unknown>[];
  try {
    parsed = HTTP.toEvent<unknown>({ headers, body: sdkBody(contentType, body) });
  } catch (error) {
    return fail(describe(error, contentType));
  }
  if (Array.isArray(parsed)) return fail('batched CloudEvents are not supported; send one event per request');
  try {
    // validate() exists on the SDK's CloudEvent class; the interface type does not declare it.
    (parsed as CloudEventV1<unknown> & { validate(): boolean }).validate();
  } catch (error) {
    return fail(describe(error, contentType));
  }
  return { ok: true, event: parsed };
}

function checkStructured(contentType: string, body: Buffer): string | undefined {
  if (contentType.startsWith('application/cloudevents-batch')) {
    return 'batched CloudEvents are not supported; send one event per request';
  }
  if (!contentType.startsWith('application/cloudevents+json')) {
    return `unsupported structured format "${contentType}"; expected application/cloudevents+json`;
  }
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return `structured body is not valid JSON: ${messageOf(error)}`;
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return 'structured body must be a JSON object';
  }
  const record = document as Record<string, unknown>;
  const missing = REQUIRED.filter((name) => typeof record[name] !== 'string' || record[name] === '');
  if (missing.length > 0) return `missing required attribute(s): ${missing.join(', ')}`;
  return (
    checkSpecversion(record['specversion'] as string) ??
    checkTime('time', record['time']) ??
    checkDataBase64(record)
  );
}

// RFC 3339 date-time (the CloudEvents `time` type): full date, 'T', full time, and a zone ('Z' or an offset).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * The SDK turns a `time` it cannot read into the current time, so an invalid one would be logged as a real
 * timestamp; it is refused here instead, naming the attribute (`time`, or `ce-time` in binary mode).
 */
function checkTime(attribute: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && isRfc3339(value)) return undefined;
  return `${attribute}: ${quoted(value)} is not an RFC 3339 timestamp (e.g. 2030-01-01T00:00:00Z)`;
}

function isRfc3339(text: string): boolean {
  const match = RFC3339.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second, , offsetHour, offsetMinute] = match.slice(1).map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  return (
    (month ?? 0) >= 1 && (month ?? 0) <= 12 && (day ?? 0) >= 1 && (day ?? 0) <= daysInMonth &&
    (hour ?? 99) <= 23 && (minute ?? 99) <= 59 && (second ?? 99) <= 60 && // 60: a leap second
    (offsetHour ?? 0) <= 23 && (offsetMinute ?? 0) <= 59
  );
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `data_base64` is base64 (RFC 4648) text, and never together with `data` (CloudEvents JSON format 3.1). */
function checkDataBase64(record: Record<string, unknown>): string | undefined {
  const value = record['data_base64'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !BASE64.test(value)) {
    return `data_base64: ${typeof value === 'string' ? 'is not valid base64 (RFC 4648)' : `must be a base64 string, not ${quoted(value)}`}`;
  }
  if ('data' in record) return 'data_base64: must not be present together with data';
  return undefined;
}

function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 63)}…` : text;
}

function checkBinary(headers: IncomingHttpHeaders): string | undefined {
  const missing = REQUIRED.map((name) => `ce-${name}`).filter((name) => !headerValue(headers[name]));
  if (missing.length === REQUIRED.length) {
    return 'not a CloudEvent: no ce-* headers (binary mode) and content-type is not application/cloudevents+json (structured mode)';
  }
  if (missing.length > 0) return `missing required header(s): ${missing.join(', ')}`;
  return checkSpecversion(headerValue(headers['ce-specversion']) ?? '') ?? checkTime('ce-time', headerValue(headers['ce-time']));
}

function checkSpecversion(value: string): string | undefined {
  return value === SUPPORTED_SPECVERSION
    ? undefined
    : `unsupported specversion "${value}" (expected "${SUPPORTED_SPECVERSION}")`;
}

/** JSON and text travel as strings; anything else stays bytes so the SDK keeps it as binary data. */
function sdkBody(contentType: string, body: Buffer): string | Buffer {
  const textual =
    contentType === '' ||
    contentType.startsWith('application/cloudevents') ||
    contentType.includes('json') ||
    contentType.startsWith('text/') ||
    contentType.includes('xml');
  return textual ? body.toString('utf8') : body;
}

function describe(error: unknown, contentType: string): string {
  if (error instanceof ValidationError) {
    const details = (error.errors ?? [])
      .map((detail) => (typeof detail === 'object' && detail !== null ? formatSchemaError(detail) : String(detail)))
      .filter((text) => text !== '');
    const head = error.message.split('\n')[0] ?? 'invalid CloudEvent';
    return details.length > 0 ? `${head}: ${details.join('; ')}` : head;
  }
  if (error instanceof SyntaxError) {
    return `data is not valid JSON for content-type "${contentType}": ${error.message}`;
  }
  return `invalid CloudEvent: ${messageOf(error)}`;
}

function formatSchemaError(detail: object): string {
  const record = detail as { instancePath?: unknown; message?: unknown };
  const where = typeof record.instancePath === 'string' && record.instancePath !== '' ? `${record.instancePath} ` : '';
  return typeof record.message === 'string' ? `${where}${record.message}` : JSON.stringify(detail);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fail(problem: string): ParseResult {
  return { ok: false, problem: problem.length > MAX_PROBLEM_CHARS ? `${problem.slice(0, MAX_PROBLEM_CHARS)}…` : problem };
}
