import { CloudEvent, HTTP, type CloudEventV1 } from 'cloudevents';
import { isJsonContentType } from '../core/definition-fields.js';

export type EncodingMode = 'binary' | 'structured';

/** An HTTP request ready to send: header names lowercase, values plain strings. */
interface EncodedMessage {
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/**
 * Encodes a CloudEvent as a CloudEvents HTTP message: binary (attributes in `ce-*` headers, `datacontenttype` as
 * Content-Type, the data as the body) or structured (the whole event as `application/cloudevents+json`). The SDK
 * makes the headers; the body is made here, by the rules of the HTTP binding and the JSON format, which the SDK
 * does not all follow (a JSON string or null as a binary body, empty bytes in structured mode).
 */
export function encodeEvent(event: CloudEventV1<unknown>, mode: EncodingMode): EncodedMessage {
  const message = mode === 'binary' ? HTTP.binary(event) : HTTP.structured(event);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    headers[name.toLowerCase()] = name.toLowerCase().startsWith('ce-') ? percentEncodeHeaderValue(text) : text;
  }
  return { headers, body: mode === 'binary' ? binaryBody(event) : structuredBody(event) };
}

function isBytes(data: unknown): data is Uint8Array {
  return data instanceof Uint8Array;
}

/** JSON data: the datacontenttype says so (application/json, text/json, any +json), or there is none (JSON is the default). */
function isJsonData(event: CloudEventV1<unknown>): boolean {
  return event.datacontenttype === undefined || isJsonContentType(event.datacontenttype);
}

/** HTTP binding §3.1.1: the body is the data as it is: bytes raw, JSON as JSON text, text as UTF-8. */
function binaryBody(event: CloudEventV1<unknown>): string | Uint8Array {
  const data = event.data;
  if (data === undefined) return '';
  if (isBytes(data)) return data;
  if (typeof data === 'string' && !isJsonData(event)) return data;
  return JSON.stringify(data);
}

/**
 * JSON format §3.1: bytes as `data_base64`; JSON data as a JSON value in `data`; text (a type that is not JSON) as a
 * JSON string in `data`.
 */
function structuredBody(event: CloudEventV1<unknown>): string {
  // The SDK's own JSON of the event (its `time` normalised), when it is one; its data members are replaced below.
  const json = event instanceof CloudEvent ? event.toJSON() : { ...event };
  const { data: _json, data_base64: _base64, ...attributes } = json;
  const data = event.data;
  const member = data === undefined ? {} : isBytes(data) ? { data_base64: Buffer.from(data).toString('base64') } : { data };
  return JSON.stringify({ ...attributes, ...member });
}

/**
 * CloudEvents HTTP binding 3.1.3.2: header values are percent-encoded (UTF-8) outside printable ASCII. Only the
 * characters HTTP cannot carry at all are encoded (controls and non-ASCII); plain values pass unchanged.
 */
function percentEncodeHeaderValue(value: string): string {
  if (!/[^\x20-\x7e]/.test(value)) return value;
  return Array.from(value, (ch) =>
    /[\x20-\x7e]/.test(ch) ? ch : Array.from(Buffer.from(ch, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  ).join('');
}
