/**
 * The context attributes of a CloudEvent, checked against the core spec of its specversion (1.0 or 0.3): required
 * attributes, attribute names, and the type system (String, URI, URI-reference, Timestamp, Integer, Boolean).
 */
import { isRfc3339 } from './rfc3339.js';
import { parseMediaType } from './media-type.js';

export type AttributeValue = string | number | boolean;
export type Attributes = Readonly<Record<string, AttributeValue>>;

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;
const NAME = /^[a-z0-9]+$/;
// RFC 3986 characters (unreserved, reserved) and pct-encoded triplets: what a URI or URI-reference may hold.
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };

/** How an attribute is called in a problem: `time` in a JSON body, `ce-time` in binary mode. */
export type Label = (name: string) => string;

/**
 * Checks every attribute; `typed` says which values the format can carry natively (JSON: string, integer, boolean;
 * HTTP headers: strings only). Returns the first problem, or undefined when the attributes make a valid event.
 */
export function attributesProblem(attributes: Record<string, AttributeValue>, label: Label): string | undefined {
  const missing = REQUIRED.filter((name) => attributes[name] === undefined || attributes[name] === '');
  if (missing.length > 0) return `missing required attribute(s): ${missing.map(label).join(', ')}`;
  const specversion = attributes['specversion'];
  if (specversion !== '1.0' && specversion !== '0.3') {
    return `unsupported ${label('specversion')} ${quoted(specversion)} (supported: "1.0", "0.3")`;
  }
  for (const [name, value] of Object.entries(attributes)) {
    if (!NAME.test(name)) return `${quoted(label(name))} is not a valid attribute name (lower-case a-z and 0-9 only)`;
    const problem = valueProblem(name, value, specversion);
    if (problem) return `${label(name)}: ${problem}`;
  }
  return undefined;
}

/** The attributes the core spec defines for each version: always strings (only extensions carry other types). */
const CORE: Readonly<Record<'1.0' | '0.3', ReadonlySet<string>>> = {
  '1.0': new Set(['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time']),
  '0.3': new Set(['specversion', 'id', 'source', 'type', 'datacontenttype', 'datacontentencoding', 'schemaurl', 'subject', 'time']),
};

function valueProblem(name: string, value: AttributeValue, specversion: '1.0' | '0.3'): string | undefined {
  if (typeof value !== 'string' && CORE[specversion].has(name)) return `must be a string, not ${quoted(value)}`;
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= INT32.min && value <= INT32.max ? undefined : `${value} is not a 32-bit integer`;
  }
  if (typeof value === 'boolean') return undefined;
  const text = stringProblem(value);
  if (text) return text;
  switch (name) {
    case 'source':
      return uriReferenceProblem(value);
    case 'time':
      return isRfc3339(value) ? undefined : `${quoted(value)} is not an RFC 3339 timestamp (e.g. 2030-01-01T00:00:00Z)`;
    case 'datacontenttype':
      return parseMediaType(value) ? undefined : `${quoted(value)} is not a media type (RFC 2046)`;
    case 'dataschema':
      if (specversion !== '1.0') return undefined; // an extension in 0.3
      return uriReferenceProblem(value) ?? (URI_SCHEME.test(value) ? undefined : `${quoted(value)} is not an absolute URI`);
    case 'schemaurl':
      return specversion === '0.3' ? uriReferenceProblem(value) : undefined;
    case 'subject':
      return value === '' ? 'must not be empty' : undefined;
    case 'datacontentencoding':
      return specversion === '0.3' && value !== 'base64' ? `${quoted(value)} is not supported (only "base64")` : undefined;
    default:
      return undefined;
  }
}

function uriReferenceProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  return URI_CHARS.test(value) ? undefined : `${quoted(value)} is not a URI reference (RFC 3986)`;
}

/** The String type excludes control characters, unpaired surrogates and Unicode noncharacters. */
function stringProblem(value: string): string | undefined {
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'holds a control character';
  if (/\p{Surrogate}/u.test(value)) return 'holds an unpaired surrogate';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if ((code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) === 0xfffe) return 'holds a Unicode noncharacter';
  }
  return undefined;
}

export function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 63)}…` : text;
}

/** Without a prototype, so an attribute named `__proto__` is kept (and then refused by name) rather than swallowed. */
export function emptyAttributes(): Record<string, AttributeValue> {
  return Object.create(null) as Record<string, AttributeValue>;
}
