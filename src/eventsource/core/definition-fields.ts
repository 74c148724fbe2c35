/**
 * The field types of a schedule definition (schedule-definition.ts), each a zod schema that turns what a person
 * wrote (YAML or JSON, so any JSON value) into a plain value or one issue whose message says why, on one line, never
 * quoting a URL (a sink may carry credentials).
 */
import { z } from 'zod';
import { isJson, parseMediaType, type MediaType } from '../../hello-events/media-type.js';
import { formatDuration, parseDuration } from './duration.js';
import { oneLine } from './errors.js';

/** A zod schema that runs `parse` on any input; what it throws becomes the issue's message. */
export function field<T>(parse: (value: unknown) => T): z.ZodType<T, unknown> {
  return z.unknown().transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: oneLine(error instanceof Error ? error.message : String(error)) });
      return z.NEVER;
    }
  });
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

export function stringOf(value: unknown, what: string): string {
  if (value === undefined) throw new Error('is required');
  if (typeof value !== 'string') throw new Error(`must be ${what}, not ${describeType(value)}`);
  return value;
}

/** Text of at most `max` characters (UTF-16 units), no control characters unless `multiline`. */
export function text(
  max: number,
  options: { multiline?: boolean; nonEmpty?: boolean; check?: (s: string) => string } = {},
): z.ZodType<string, unknown> {
  return field((value) => {
    const s = stringOf(value, 'text');
    if (s.length > max) throw new Error(`is ${s.length} characters long; at most ${max}`);
    const control = options.multiline ? /[\x00-\x08\x0b-\x1f\x7f]/ : /[\x00-\x1f\x7f]/;
    if (control.test(s)) throw new Error('must not contain control characters');
    if (options.nonEmpty && s.trim() === '') throw new Error('must not be empty');
    return options.check ? options.check(s) : s;
  });
}

/**
 * A duration (`10s`, `1m30s`, `PT10S`) as whole milliseconds, at most `max`. A bare number has no unit and is
 * refused.
 */
export function duration(max: number, options: { allowZero?: boolean } = {}): z.ZodType<number, unknown> {
  return field((value) => {
    if (typeof value === 'number') {
      throw new Error(`${value} has no unit; write a duration such as ${value}s, ${value}ms or PT${value}S`);
    }
    const ms = parseDuration(stringOf(value, 'a duration such as 10s, 1m30s or PT10S'), options);
    if (ms > max) throw new Error(`${JSON.stringify(value)} is longer than ${formatDuration(max)}, the longest allowed`);
    return ms;
  });
}

const ISO_INSTANT = z.iso.datetime({ offset: true });

/** The instants a definition may name: the years an ISO-8601 date-time writes with four digits, in UTC. */
const INSTANT_RANGE = { earliestMs: Date.parse('0000-01-01T00:00:00Z'), latestMs: Date.parse('9999-12-31T23:59:59.999Z') } as const;

/**
 * An instant as an ISO-8601 date-time with `Z` or an offset (`2030-01-01T00:00:00Z`), as epoch milliseconds. A local
 * time without an offset is refused: its instant would depend on the host's zone. A YAML loader that turns
 * timestamps into Date objects is accepted as well.
 */
export const instant: z.ZodType<number, unknown> = field((value) => {
  let ms: number;
  if (value instanceof Date) {
    ms = value.getTime();
    if (Number.isNaN(ms)) throw new Error('is not a valid date');
  } else {
    const s = stringOf(value, 'an ISO-8601 instant such as 2030-01-01T00:00:00Z');
    if (!ISO_INSTANT.safeParse(s).success) {
      throw new Error(`${JSON.stringify(s)} is not an ISO-8601 instant with Z or an offset (e.g. 2030-01-01T00:00:00Z)`);
    }
    ms = Date.parse(s);
  }
  // An offset can carry a four-digit year past the range (9999-12-31T23:00:00-05:00); a YAML date can be anything.
  if (ms < INSTANT_RANGE.earliestMs || ms > INSTANT_RANGE.latestMs) {
    throw new Error('is outside the years 0000 to 9999 (UTC), the instants allowed');
  }
  return ms;
});

/** A whole number in [min, max]. */
export function wholeNumber(min: number, max: number): z.ZodType<number, unknown> {
  return field((value) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new Error(`must be a whole number from ${min} to ${max}, not ${describeType(value)}`);
    }
    return value;
  });
}

export const flag: z.ZodType<boolean, unknown> = field((value) => {
  if (typeof value !== 'boolean') throw new Error(`must be true or false, not ${describeType(value)}`);
  return value;
});

export function oneOf<const T extends readonly string[]>(choices: T): z.ZodType<T[number], unknown> {
  return field((value) => {
    if (typeof value !== 'string' || !choices.includes(value)) {
      throw new Error(`must be one of ${choices.join(', ')}, not ${describeType(value)}`);
    }
    return value;
  });
}

/**
 * An http(s) URL, syntax only: the allow-list and address checks belong to delivery (see SinkCheck). The message
 * never quotes the URL. The result is the URL's canonical form (`new URL(...).href`), credentials included: the
 * delivery needs them; views redact them.
 */
/** A token file name a schedule may give (`oidcTokenFile`): no path, no leading dot (so never `..` or a hidden file). */
export const TOKEN_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export const tokenFileName: z.ZodType<string, unknown> = field((value) => {
  if (typeof value !== 'string') throw new Error(`must be a file name, not ${value === null ? 'null' : typeof value}`);
  if (!TOKEN_FILE_NAME.test(value)) {
    throw new Error('must be a plain file name in SINK_OIDC_TOKENS_DIR (letters, digits, ".", "_", "-"; no path, not starting with "."; at most 255)');
  }
  return value;
});

export const httpUrl: z.ZodType<string, unknown> = field((value) => {
  if (typeof value !== 'string') throw new Error(`must be an http or https URL, not ${value === null ? 'null' : typeof value}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('is not a valid absolute URL (expected http:// or https://)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`must be an http or https URL, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.hostname === '') throw new Error('has no host');
  if (!decodes(url.username) || !decodes(url.password)) {
    throw new Error('has a user name or password with an invalid percent-escape (write % as %25)');
  }
  if (url.href.length > 2_048) throw new Error(`is ${url.href.length} characters long; at most 2048`);
  return url.href;
});

function decodes(s: string): boolean {
  try {
    decodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Any JSON value (YAML's too, once loaded), at most `maxChars` characters as JSON and 32 levels deep. */
export function jsonValue(maxChars: number): z.ZodType<JsonValue, unknown> {
  return field((value) => {
    const problem = jsonProblem(value, 0);
    if (problem !== undefined) throw new Error(problem);
    const json = JSON.stringify(value);
    if (json.length > maxChars) throw new Error(`is ${json.length} characters of JSON; at most ${maxChars}`);
    // What the orchestration state will hold after a round through storage (-0 is 0 there), so replays agree.
    return JSON.parse(json) as JsonValue;
  });
}

function jsonProblem(value: unknown, depth: number): string | undefined {
  if (depth > 32) return 'is nested more than 32 levels deep';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `is not JSON (${value})`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = jsonProblem(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) {
      const problem = jsonProblem(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return `is not JSON (${value === undefined ? 'undefined' : typeof value})`;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A media type in one spelling: `type/subtype` in lower case, then `; name=value` (names lower case, values quoted when not a token). */
export function formatMediaType(type: MediaType): string {
  const parameters = [...type.parameters].map(([name, value]) => `; ${name}=${TOKEN.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`}`);
  return `${type.essence}${parameters.join('')}`;
}

/**
 * A media type (RFC 9110 §8.3.1: `text/plain`, `application/xml; charset=utf-8`), in its one spelling
 * (formatMediaType). It is sent as the Content-Type header (binary mode), so only printable ASCII; and never the
 * CloudEvents envelope's own types, which would make a receiver read a binary-mode event as a structured one.
 */
export function mediaType(maxChars: number): z.ZodType<string, unknown> {
  return field((value) => {
    const s = stringOf(value, 'a media type such as text/plain or application/json');
    if (s.length > maxChars) throw new Error(`is ${s.length} characters long; at most ${maxChars}`);
    if (/[^\x20-\x7e]/.test(s)) throw new Error('must be printable ASCII (it is sent as the Content-Type header)');
    const type = parseMediaType(s);
    if (type === undefined) throw new Error(`${JSON.stringify(s)} is not a media type (type/subtype, then optional "; name=value" parameters)`);
    if (type.essence.startsWith('application/cloudevents')) {
      throw new Error(`${type.essence} is the CloudEvents envelope's own type, not a type of event data`);
    }
    return formatMediaType(type);
  });
}

/** Whether data of this media type is JSON (application/json, text/json, any +json): then `event.data` is any JSON value. */
export function isJsonContentType(contentType: string): boolean {
  const type = parseMediaType(contentType);
  return type !== undefined && isJson(type.essence);
}

/** Base64 text (RFC 4648 §4: A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4), at most `maxChars`; as written. */
export function base64Text(maxChars: number): z.ZodType<string, unknown> {
  return field((value) => {
    const s = stringOf(value, 'base64 text');
    if (s.length > maxChars) throw new Error(`is ${s.length} characters of base64; at most ${maxChars}`);
    // Decoding and encoding again gives the same text only for canonical base64 (no stray bits in the last character).
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0 || Buffer.from(s, 'base64').toString('base64') !== s) {
      throw new Error('is not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters; no spaces or line breaks)');
    }
    return s;
  });
}
