/**
 * Structured and batched content modes with the JSON event format (CloudEvents JSON format; HTTP binding §3.2, §3.3):
 * the body is one event as a JSON object, or a JSON array of them.
 */
import { attributesProblem, emptyAttributes, quoted, type AttributeValue } from './attributes.js';
import { charsetProblem, type MediaType } from './media-type.js';
import type { ParseResult, ReceivedEvent } from './received-event.js';
import { decodeUtf8 } from './utf8.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseStructured(type: MediaType, body: Buffer, batch: boolean): ParseResult {
  const expected = batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json';
  if (type.essence !== expected) {
    return { ok: false, problem: `unsupported event format "${type.essence}"; expected ${expected}` };
  }
  const charset = charsetProblem(type);
  if (charset) return { ok: false, problem: charset };
  const text = decodeUtf8(body);
  if (text === undefined) return { ok: false, problem: 'body is not valid UTF-8' };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!batch) {
    const one = eventFromJson(document);
    return 'problem' in one ? { ok: false, problem: one.problem } : { ok: true, events: [one.event] };
  }
  if (!Array.isArray(document)) return { ok: false, problem: 'a batch must be a JSON array of events' };
  const events: ReceivedEvent[] = [];
  // The whole batch is refused if one event is invalid: a 400 tells the sender not to retry, so none is half-taken.
  for (const [index, element] of document.entries()) {
    const one = eventFromJson(element);
    if ('problem' in one) return { ok: false, problem: `event [${index}] of the batch: ${one.problem}` };
    events.push(one.event);
  }
  return { ok: true, events };
}

type OneEvent = { readonly event: ReceivedEvent } | { readonly problem: string };

function eventFromJson(document: unknown): OneEvent {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { problem: 'an event must be a JSON object' };
  }
  const attributes = emptyAttributes();
  let data: { readonly present: boolean; readonly value?: unknown } = { present: false };
  let dataBase64: unknown;
  for (const [name, value] of Object.entries(document as Record<string, unknown>)) {
    if (name === 'data') data = { present: true, value };
    else if (name === 'data_base64') dataBase64 = value;
    else if (value === null) continue; // JSON format §2.2: null is the same as absent
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[name] = value;
    else return { problem: `${name}: must be a string, number or boolean, not ${quoted(value)}` };
  }
  const problem = attributesProblem(attributes, (name) => name);
  if (problem) return { problem };
  return dataOf(attributes, data, dataBase64);
}

function dataOf(
  attributes: Record<string, AttributeValue>,
  data: { readonly present: boolean; readonly value?: unknown },
  dataBase64: unknown,
): OneEvent {
  if (dataBase64 !== undefined && dataBase64 !== null) {
    if (typeof dataBase64 !== 'string') return { problem: `data_base64: must be a base64 string, not ${quoted(dataBase64)}` };
    if (!BASE64.test(dataBase64)) return { problem: 'data_base64: is not valid base64 (RFC 4648)' };
    if (data.present) return { problem: 'data_base64: must not be present together with data' };
    return { event: { attributes, dataBase64 } };
  }
  if (!data.present) return { event: { attributes } };
  // 0.3 (JSON format 0.3 §3.1): with datacontentencoding "base64" the data member holds base64 text.
  if (attributes['specversion'] === '0.3' && attributes['datacontentencoding'] === 'base64') {
    if (typeof data.value !== 'string' || !BASE64.test(data.value)) return { problem: 'data: is not valid base64 (datacontentencoding is "base64")' };
    return { event: { attributes, dataBase64: data.value } };
  }
  return { event: { attributes, data: data.value } };
}
