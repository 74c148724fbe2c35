import { HTTP, type CloudEventV1 } from 'cloudevents';

export type EncodingMode = 'binary' | 'structured';

/** An HTTP request ready to send: header names lowercase, values plain strings. */
interface EncodedMessage {
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/**
 * Encodes a CloudEvent as a CloudEvents HTTP message with the SDK: binary (attributes in `ce-*` headers, data as the
 * body) or structured (the whole event as `application/cloudevents+json`).
 */
export function encodeEvent(event: CloudEventV1<unknown>, mode: EncodingMode): EncodedMessage {
  const message = mode === 'binary' ? HTTP.binary(event) : HTTP.structured(event);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    headers[name.toLowerCase()] = name.toLowerCase().startsWith('ce-') ? percentEncodeHeaderValue(text) : text;
  }
  const body = message.body;
  let encodedBody: string | Uint8Array;
  if (typeof body === 'string' || body instanceof Uint8Array) encodedBody = body;
  else if (body === undefined || body === null) encodedBody = '';
  else encodedBody = JSON.stringify(body);
  return { headers, body: encodedBody };
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
