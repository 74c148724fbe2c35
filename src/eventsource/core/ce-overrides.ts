import { EventSourceError } from './errors.js';

/**
 * CloudEvents extension attributes from Knative's `K_CE_OVERRIDES` (`{"extensions":{"name":"value"}}`).
 * They are added to every event; they may not replace the spec's own attributes.
 */

/** Context attributes of the CloudEvents spec (1.0, and 0.3's extras the SDK also treats specially). */
export const SPEC_ATTRIBUTES: ReadonlySet<string> = new Set([
  'id', 'source', 'specversion', 'type', 'datacontenttype', 'dataschema', 'subject', 'time', 'data', 'data_base64',
  'schemaurl', 'datacontentencoding',
]);

/** Extension attributes this source sets itself on every event (overriding them would break ordering). */
export const RESERVED_EXTENSIONS: ReadonlySet<string> = new Set(['sequence']);

/** CloudEvents 1.0: attribute names MUST be lowercase ASCII letters and digits (SHOULD be at most 20 characters). */
const EXTENSION_NAME = /^[a-z0-9]+$/;

/** Throws EventSourceError `CE_OVERRIDES_INVALID` if `name` may not be used as an override extension name. */
export function checkExtensionName(name: string): void {
  if (SPEC_ATTRIBUTES.has(name)) {
    throw invalid(`extension "${name}" would override the CloudEvents spec attribute "${name}", which is not allowed`);
  }
  if (RESERVED_EXTENSIONS.has(name)) {
    throw invalid(`extension "${name}" is set by this event source and cannot be overridden`);
  }
  if (!EXTENSION_NAME.test(name)) {
    throw invalid(
      `extension name ${JSON.stringify(name)} is invalid: CloudEvents attribute names are lowercase letters a-z and digits 0-9 only`,
    );
  }
}

/**
 * Parses `K_CE_OVERRIDES`. Empty (or blank) text means no overrides. Values are stringified (numbers and booleans
 * become their text); null, objects and arrays are refused. The message never quotes the raw JSON.
 */
export function parseCeOverrides(json: string): Record<string, string> {
  if (json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw invalid('is not valid JSON (expected {"extensions":{"name":"value"}})');
  }
  if (!isPlainObject(parsed)) throw invalid('must be a JSON object like {"extensions":{"name":"value"}}');
  const unknownKeys = Object.keys(parsed).filter((key) => key !== 'extensions');
  if (unknownKeys.length > 0) {
    throw invalid(`unknown key ${JSON.stringify(unknownKeys[0])}; only "extensions" is supported`);
  }
  const extensions = parsed['extensions'];
  if (extensions === undefined || extensions === null) return {};
  if (!isPlainObject(extensions)) throw invalid('"extensions" must be a JSON object of name → value');
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(extensions)) {
    checkExtensionName(name);
    if (typeof value === 'string') result[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') result[name] = String(value);
    else throw invalid(`extension "${name}" must have a string, number or boolean value`);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): EventSourceError {
  return new EventSourceError('CE_OVERRIDES_INVALID', message);
}
