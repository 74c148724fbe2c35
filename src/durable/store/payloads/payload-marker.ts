/**
 * Large payloads as the Durable extension's Azure Storage provider stores them: a text property (JSON: an input, an
 * output, a message, a history row...) larger than LARGE_PAYLOAD_BYTES goes gzip-compressed into a blob of the hub's
 * `<hub>-largemessages` container, and the row keeps a small marker naming that blob.
 */
import { createHash, randomUUID } from 'node:crypto';

/**
 * The provider's threshold: DurableTask.AzureStorage moves a payload past 60,000 bytes of UTF-8 to a compressed blob
 * (its MessageManager, Azure/durabletask#159 at 60 KiB, lowered to 60,000 bytes by #434 so that a message with its
 * metadata stays under the queue's 64 KiB). Here it applies to a row's whole property (the message with its
 * metadata): well inside a string property (64 KiB) and the entity limit (1 MiB).
 */
export const LARGE_PAYLOAD_BYTES = 60_000;

/** Whether a text is stored in a blob rather than in its row. */
export function isLarge(text: string): boolean {
  if (text.length * 3 <= LARGE_PAYLOAD_BYTES) return false; // at most 3 UTF-8 bytes a UTF-16 unit
  if (text.length > LARGE_PAYLOAD_BYTES) return true; // at least 1
  return Buffer.byteLength(text, 'utf8') > LARGE_PAYLOAD_BYTES;
}

/** What a marker says: the blob, and the text's length in UTF-16 units (checked when it is read back). */
export interface BlobRef {
  blob: string;
  units: number;
}

/** No JSON text starts with `@`, so a marker is never mistaken for a payload (and rows written before stay valid). */
const PREFIX = '@blob:v1:';
const MARKER = /^@blob:v1:(\d{1,15}):([^]+)$/;

export function encodeMarker(ref: BlobRef): string {
  if (!Number.isSafeInteger(ref.units) || ref.units < 0 || ref.blob.length === 0) throw new Error(`bad blob reference ${JSON.stringify(ref)}`);
  return `${PREFIX}${ref.units}:${ref.blob}`;
}

/** The reference a stored value holds, or undefined when the value is the payload itself. */
export function decodeMarker(value: unknown): BlobRef | undefined {
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return undefined;
  const match = MARKER.exec(value);
  if (!match) return undefined;
  return { units: Number(match[1]), blob: match[2] ?? '' };
}

/** The container of a hub's large payloads, named as the provider names it. */
export function containerName(hub: string): string {
  return `${hub.toLowerCase()}-largemessages`;
}

const KEPT = /[A-Za-z0-9._:@-]/;
/** Blob names hold at most 1,024 characters; an id whose safe form is longer is named by its hash. */
const MAX_SAFE_FORM = 900;

/**
 * The instance id's safe form, which every blob name of the instance starts with (then `/`): purge deletes by that
 * prefix, orphans included. Unambiguous (`!` escapes itself), free of characters that URLs or the service treat
 * specially (`%`, `/`, `\`, `?`, `#`, control characters).
 */
export function instanceBlobPrefix(instanceId: string): string {
  let safe = '';
  for (const c of instanceId) safe += KEPT.test(c) ? c : [...Buffer.from(c, 'utf8')].map((b) => `!${b.toString(16).padStart(2, '0')}`).join('');
  if (safe.length > MAX_SAFE_FORM) safe = `!h${createHash('sha256').update(instanceId).digest('hex')}`;
  return `${safe}/`;
}

/** A fresh blob name for one property of one row (the property names what it holds, for people browsing). */
export function newBlobName(instanceId: string, property: string): string {
  return `${instanceBlobPrefix(instanceId)}${property.toLowerCase().replace(/[^a-z0-9]/g, '')}-${randomUUID()}.json.gz`;
}
