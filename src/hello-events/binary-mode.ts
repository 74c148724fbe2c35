/**
 * Binary content mode (HTTP binding §3.1): each attribute is a `ce-` header (its value quoted-string-unescaped and
 * percent-decoded, §3.1.3.2), `Content-Type` is `datacontenttype`, the body is the data.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { attributesProblem, emptyAttributes } from './attributes.js';
import { decodeHeaderValue } from './header-value.js';
import { isJson, isText, parseMediaType } from './media-type.js';
import type { ParseResult, ReceivedEvent } from './received-event.js';
import { decodeUtf8 } from './utf8.js';

const PREFIX = 'ce-';

export function parseBinary(headers: IncomingHttpHeaders, body: Buffer): ParseResult {
  const attributes = emptyAttributes();
  for (const [header, raw] of Object.entries(headers)) {
    if (!header.startsWith(PREFIX) || raw === undefined) continue; // Node lower-cases header names
    const name = header.slice(PREFIX.length);
    if (name === 'datacontenttype') {
      return { ok: false, problem: 'ce-datacontenttype must not be sent in binary mode; Content-Type carries it' };
    }
    const decoded = decodeHeaderValue(Array.isArray(raw) ? raw.join(', ') : raw);
    if (!decoded.ok) return { ok: false, problem: `${header}: ${decoded.problem}` };
    attributes[name] = decoded.value;
  }
  if (Object.keys(attributes).length === 0) {
    return {
      ok: false,
      problem: 'not a CloudEvent: no ce-* headers (binary mode) and content-type is not application/cloudevents+json (structured mode)',
    };
  }
  const contentType = headers['content-type'];
  if (contentType !== undefined) attributes['datacontenttype'] = contentType.trim();
  const label = (name: string): string => (name === 'datacontenttype' ? 'content-type' : `${PREFIX}${name}`);
  const problem = attributesProblem(attributes, label);
  if (problem) return { ok: false, problem };
  const data = dataOf(contentType, body);
  return 'problem' in data ? { ok: false, problem: data.problem } : { ok: true, events: [{ attributes, ...data }] };
}

type Data = Omit<ReceivedEvent, 'attributes'> | { readonly problem: string };

/** JSON is parsed (and must parse), text kept as text when it is valid UTF-8, anything else logged as base64. */
function dataOf(contentType: string | undefined, body: Buffer): Data {
  if (body.length === 0) return {};
  const essence = contentType === undefined ? undefined : parseMediaType(contentType)?.essence;
  const text = decodeUtf8(body);
  if (essence !== undefined && isJson(essence)) {
    if (text === undefined) return { problem: `data is not valid UTF-8 for content-type "${essence}"` };
    try {
      return { data: JSON.parse(text) as unknown };
    } catch (error) {
      return { problem: `data is not valid JSON for content-type "${essence}": ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const textual = essence === undefined || isText(essence);
  return textual && text !== undefined ? { data: text } : { dataBase64: body.toString('base64') };
}
