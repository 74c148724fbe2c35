/**
 * Content-Type handling for the CloudEvents HTTP binding (§3): the mode is chosen by the media type, matched
 * case-insensitively, with or without parameters and with any whitespace around `;` and `=` (RFC 9110 §8.3.1).
 */
export interface MediaType {
  /** `type/subtype`, lower-cased. */
  readonly essence: string;
  /** Parameter names lower-cased; values unquoted, case kept. */
  readonly parameters: ReadonlyMap<string, string>;
}

export type Mode = 'structured' | 'batch' | 'binary';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Undefined when the text is not a media type (`type/subtype` of tokens, then `; name=value` parameters). */
export function parseMediaType(text: string): MediaType | undefined {
  const [head = '', ...rest] = splitParameters(text);
  const [type, subtype, extra] = head.trim().split('/');
  if (type === undefined || subtype === undefined || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype)) {
    return undefined;
  }
  const parameters = new Map<string, string>();
  for (const part of rest) {
    if (part.trim() === '') continue; // a trailing ';' is tolerated
    const equals = part.indexOf('=');
    if (equals < 0) return undefined;
    const name = part.slice(0, equals).trim().toLowerCase();
    let value = part.slice(equals + 1).trim();
    if (!TOKEN.test(name)) return undefined;
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    parameters.set(name, value);
  }
  return { essence: `${type}/${subtype}`.toLowerCase(), parameters };
}

/** Splits at `;` outside double quotes (a quoted parameter value may hold one). */
function splitParameters(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (quoted && char === '\\') {
      current += char + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/** §3: prefix `application/cloudevents-batch` → batch, prefix `application/cloudevents` → structured, else binary. */
export function detectMode(contentType: string | undefined): Mode {
  const lower = (contentType ?? '').trim().toLowerCase();
  if (lower.startsWith('application/cloudevents-batch')) return 'batch';
  if (lower.startsWith('application/cloudevents')) return 'structured';
  return 'binary';
}

/** JSON text is UTF-8 (RFC 8259 §8.1): a charset parameter, if any, must say so. */
export function charsetProblem(type: MediaType): string | undefined {
  const charset = type.parameters.get('charset');
  if (charset === undefined || /^utf-?8$/i.test(charset)) return undefined;
  return `charset "${charset}" is not supported; JSON is UTF-8`;
}

/** JSON data: application/json or any `+json` structured suffix (RFC 6839). */
export function isJson(essence: string): boolean {
  return essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');
}

/** Data that is text and can be logged as a string when it is valid UTF-8. */
export function isText(essence: string): boolean {
  return essence.startsWith('text/') || essence === 'application/xml' || essence.endsWith('+xml');
}
