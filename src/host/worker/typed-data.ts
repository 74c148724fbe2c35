import type { RpcTypedData } from './core-types.js';

/** A value as the host sends JSON-serialisable binding data to the worker (undefined stays absent). */
export function jsonTypedData(value: unknown): RpcTypedData | undefined {
  if (value === undefined) return undefined;
  return { json: JSON.stringify(value) };
}

/** A string as binding data (the worker's converter parses it as JSON when it can). */
export function stringTypedData(value: string): RpcTypedData {
  return { string: value };
}

/** The first character of any text JSON.parse accepts (after JSON's whitespace). */
const COULD_BE_JSON = /^[ \t\n\r]*[{["\-0-9tfn]/;

/**
 * A string the worker's converter must see exactly as stringTypedData would hand it over, sent the cheap way. The
 * converter tries JSON.parse on a `string` and keeps the text when that throws; for text that cannot be JSON (an
 * instance id such as `schedule-a`) the throw costs an Error with a stack on every invocation. Sent as `json` of the
 * string instead, the converter gets the very same string back without throwing. Text that could parse still goes as
 * `string`, so "42" or "true" become what they always became.
 */
export function metadataStringTypedData(value: string): RpcTypedData {
  return COULD_BE_JSON.test(value) ? stringTypedData(value) : { json: JSON.stringify(value) };
}

/** Converts what a function returned (RpcTypedData) back to a JS value, as the host would deserialise it. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (data.collectionString?.string) return data.collectionString.string;
  if (data.collectionDouble?.double) return data.collectionDouble.double;
  if (data.collectionSint64?.sint64) return data.collectionSint64.sint64.map(Number);
  if (data.collectionBytes?.bytes) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  return undefined;
}
