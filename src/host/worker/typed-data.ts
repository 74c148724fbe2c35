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
