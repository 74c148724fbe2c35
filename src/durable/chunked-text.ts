/**
 * Azure Table string properties hold at most 64 KiB (32K UTF-16 code units); larger JSON is spread over
 * numbered sibling properties (`Name`, `Name__1`, ...; `Name__n` holds the count).
 */

const CHUNK = 30_000;

export type EntityProps = Record<string, unknown>;

export function putText(entity: EntityProps, name: string, text: string | undefined): void {
  if (text === undefined) return;
  const parts = splitText(text, CHUNK);
  entity[name] = parts[0] ?? '';
  if (parts.length > 1) {
    entity[`${name}__n`] = parts.length;
    for (let i = 1; i < parts.length; i++) entity[`${name}__${i}`] = parts[i];
  }
}

/**
 * Cuts text into pieces of at most `size` UTF-16 units, never between the two halves of a surrogate pair (a lone
 * half is not valid Unicode: a service may replace it, and the joined text would no longer be the original).
 */
export function splitText(text: string, size: number): string[] {
  const parts: string[] = [];
  let from = 0;
  do {
    let to = Math.min(text.length, from + size);
    const last = text.charCodeAt(to - 1);
    if (to < text.length && to - from > 1 && last >= 0xd800 && last <= 0xdbff) to--;
    parts.push(text.slice(from, to));
    from = to;
  } while (from < text.length);
  return parts;
}

export function getText(entity: EntityProps, name: string): string | undefined {
  const first = entity[name];
  if (typeof first !== 'string') return undefined;
  const parts = Number(entity[`${name}__n`] ?? 1);
  if (parts <= 1) return first;
  let text = first;
  for (let i = 1; i < parts; i++) {
    const part = entity[`${name}__${i}`];
    if (typeof part !== 'string') throw new Error(`property ${name}__${i} missing: row is corrupt`);
    text += part;
  }
  return text;
}

/** Approximate stored size of an entity in bytes (strings are UTF-16 on the wire). */
export function approxEntityBytes(entity: EntityProps): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(entity)) {
    bytes += key.length * 2 + 8;
    if (typeof value === 'string') bytes += value.length * 2;
    else bytes += 8;
  }
  return bytes;
}

/**
 * Bytes of an entity's JSON as the SDK sends it (UTF-8), with room for the type annotations of its properties;
 * `json`: that JSON when the caller made it already (any spelling of the same properties: only its length counts).
 */
export function wireBytes(entity: EntityProps, json = JSON.stringify(entity)): number {
  return Buffer.byteLength(json, 'utf8') + Object.keys(entity).length * 48;
}

/** Parses stored JSON text; undefined stays undefined. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  return JSON.parse(text) as unknown;
}

export function toJsonText(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}
