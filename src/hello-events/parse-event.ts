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
  return checkSpecversion(record['specversion'] as string);
}

function checkBinary(headers: IncomingHttpHeaders): string | undefined {
  const missing = REQUIRED.map((name) => `ce-${name}`).filter((name) => !headerValue(headers[name]));
  if (missing.length === REQUIRED.length) {
    return 'not a CloudEvent: no ce-* headers (binary mode) and content-type is not application/cloudevents+json (structured mode)';
  }
  if (missing.length > 0) return `missing required header(s): ${missing.join(', ')}`;
  return checkSpecversion(headerValue(headers['ce-specversion']) ?? '');
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
