/**
 * The one schema of a schedule definition (issue #9): a schedules-file entry, a `PUT /schedules/{name}` body and the
 * environment's single schedule (env-schedule.ts) are all checked by it. Field names are the issue's; durations are
 * `10s`/`1m30s` or ISO-8601 `PT10S`; instants ISO-8601 with `Z` or an offset.
 *
 * The schema checks each field and the rules between fields that need nothing filled in (exactly one of every, cron
 * or at; offset only with every; timezone only with cron). normalized-spec.ts fills in the defaults and checks the
 * rest (e.g. backoffDelay against the default maxBackoff); checkDefinition does both and reports every problem, each
 * as `<field path>: <why>`.
 */
import { z } from 'zod';
import { checkAttributeText, checkUriReference } from './ce-attributes.js';
import { checkExtensionName } from './ce-overrides.js';
import { charsetProblem, parseMediaType } from '../../hello-events/media-type.js';
import {
  base64Text,
  duration,
  field,
  flag,
  httpUrl,
  isJsonContentType,
  instant,
  jsonValue,
  mediaType,
  oneOf,
  stringOf,
  text,
  tokenFileName,
  wholeNumber,
  type JsonValue,
} from './definition-fields.js';
import { canonicalTimeZone, parseCron } from './schedule.js';
import { isValidScheduleName } from './schedule-name.js';

/** Bounds that keep a spec small enough to travel in every orchestration state and status. */
export const DEFINITION_LIMITS = {
  /** `event.data` as JSON, and `event.dataBase64` (48 KiB of bytes), in characters. */
  dataChars: 65_536,
  /** `event.contentType`. */
  contentTypeChars: 256,
  /** Text fields (type, source, subject, an extension's value). */
  textChars: 1_024,
  note: 1_024,
  extensions: 32,
  /** maxCount of a cron schedule: its last tick is found by walking the matches (fire-times.ts). */
  cronMaxCount: 10_000,
  maxCount: Number.MAX_SAFE_INTEGER,
  retry: 1_000,
  pauseOnFailure: 1_000_000,
  /**
   * The longest `every`, `offset`, `jitter`, `catchUp.window`, `delivery.backoffDelay` and `delivery.maxBackoff`
   * (3650 days): with instants within the years 0000-9999, every fire time and deadline computed from them is a
   * valid date.
   */
  durationMs: 3_650 * 86_400_000,
  /** The longest `delivery.timeout` (one attempt; 1 h): a timer far beyond it would overflow Node's 24.8-day limit. */
  timeoutMs: 3_600_000,
} as const;

/** Extension names this source sets itself on events of a schedule: `trigger=manual` marks a triggered event. */
const DEFINITION_RESERVED_EXTENSIONS = new Set(['trigger']);

const name = field((value) => {
  const s = stringOf(value, 'a schedule name');
  if (!isValidScheduleName(s)) {
    throw new Error(`${JSON.stringify(s)} must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit`);
  }
  return s;
});

/** Syntax only here; the time zone it runs in is checked with it (see the refinement below). */
const cron = field((value) => parseCron(stringOf(value, 'a cron expression such as "0 30 2 * * *" or @hourly'), 'UTC').expression);

const timezone = field((value) => canonicalTimeZone(stringOf(value, 'an IANA time zone such as Europe/Berlin')));

const extensions = field((value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('must be an object of name → value');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > DEFINITION_LIMITS.extensions) throw new Error(`has ${entries.length} extensions; at most ${DEFINITION_LIMITS.extensions}`);
  const result: Record<string, string> = {};
  for (const [key, item] of entries) {
    checkExtensionName(key);
    if (DEFINITION_RESERVED_EXTENSIONS.has(key)) throw new Error(`extension "${key}" is set by this event source and cannot be configured`);
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      throw new Error(`extension "${key}" must have a string, number or boolean value`);
    }
    const s = String(item);
    if (s.length > DEFINITION_LIMITS.textChars) throw new Error(`extension "${key}" is ${s.length} characters long; at most ${DEFINITION_LIMITS.textChars}`);
    checkAttributeText(s);
    result[key] = s;
  }
  return result;
});

const eventSchema = z.strictObject(
  {
    type: text(DEFINITION_LIMITS.textChars, { nonEmpty: true }).optional(),
    source: text(DEFINITION_LIMITS.textChars, { nonEmpty: true, check: checkUriReference }).optional(),
    subject: text(DEFINITION_LIMITS.textChars).optional(),
    data: jsonValue(DEFINITION_LIMITS.dataChars).optional(),
    dataBase64: base64Text(DEFINITION_LIMITS.dataChars).optional(),
    contentType: mediaType(DEFINITION_LIMITS.contentTypeChars).optional(),
    extensions: extensions.optional(),
    mode: oneOf(['binary', 'structured'] as const).optional(),
  },
  { error: 'must be an object' },
);

const catchUpSchema = z.strictObject(
  { window: duration(DEFINITION_LIMITS.durationMs, { allowZero: true }).optional(), policy: oneOf(['all', 'latest', 'skip'] as const).optional() },
  { error: 'must be an object' },
);

const deliverySchema = z.strictObject(
  {
    retry: wholeNumber(0, DEFINITION_LIMITS.retry).optional(),
    backoffPolicy: oneOf(['exponential', 'linear'] as const).optional(),
    backoffDelay: duration(DEFINITION_LIMITS.durationMs).optional(),
    maxBackoff: duration(DEFINITION_LIMITS.durationMs).optional(),
    timeout: duration(DEFINITION_LIMITS.timeoutMs).optional(),
    deadLetterSink: httpUrl.optional(),
  },
  { error: 'must be an object' },
);

/** Every field but the name: the shape of a file's `defaults` block, all optional. */
export const definitionFields = {
  every: duration(DEFINITION_LIMITS.durationMs).optional(),
  offset: duration(DEFINITION_LIMITS.durationMs, { allowZero: true }).optional(),
  cron: cron.optional(),
  timezone: timezone.optional(),
  at: instant.optional(),
  startAt: instant.optional(),
  endAt: instant.optional(),
  maxCount: wholeNumber(1, DEFINITION_LIMITS.maxCount).optional(),
  jitter: duration(DEFINITION_LIMITS.durationMs, { allowZero: true }).optional(),
  paused: flag.optional(),
  note: text(DEFINITION_LIMITS.note, { multiline: true }).optional(),
  event: eventSchema.optional(),
  sink: httpUrl.optional(),
  oidcTokenFile: tokenFileName.optional(),
  catchUp: catchUpSchema.optional(),
  overlap: oneOf(['bufferAll', 'bufferOne', 'skip'] as const).optional(),
  pauseOnFailure: wholeNumber(1, DEFINITION_LIMITS.pauseOnFailure).optional(),
  delivery: deliverySchema.optional(),
};

/** The trigger fields: exactly one of these is given. */
const TRIGGER_FIELDS = ['every', 'cron', 'at'] as const;

/**
 * The rules between trigger fields, on presence alone: exactly one of every, cron or at; offset only with every;
 * timezone only with cron. They hold for raw input too, so checkDefinition reports them even when a field's value
 * is bad (zod runs refinements only on an object whose fields all passed).
 */
export function triggerProblems(d: Record<string, unknown>): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = [];
  const given = TRIGGER_FIELDS.filter((key) => d[key] !== undefined);
  if (given.length === 0) problems.push({ path: [], message: 'needs one of every, cron or at' });
  for (const extra of given.slice(1)) {
    problems.push({ path: [extra], message: `cannot be combined with ${given[0]}; give exactly one of every, cron or at` });
  }
  if (d['offset'] !== undefined && d['every'] === undefined) problems.push({ path: ['offset'], message: 'is a phase of every; give every too' });
  if (d['timezone'] !== undefined && d['cron'] === undefined) problems.push({ path: ['timezone'], message: 'applies to cron only' });
  return problems;
}

/** The media type events of a schedule carry when it names none. */
export const DEFAULT_CONTENT_TYPE = 'application/json';

type EventFields = NonNullable<z.output<typeof eventSchema>>;

/**
 * The rules between the event's data fields, as PingSource has them: `data` or `dataBase64`, not both; with a media
 * type that is not JSON, `data` is the text itself (sent as UTF-8) and one of them is needed (the tick's own payload
 * is JSON).
 */
export function eventDataProblems(ev: EventFields | undefined): Array<{ path: string[]; message: string }> {
  if (ev === undefined) return [];
  const problems: Array<{ path: string[]; message: string }> = [];
  if (ev.data !== undefined && ev.dataBase64 !== undefined) {
    problems.push({ path: ['event', 'dataBase64'], message: 'cannot be combined with event.data; give the data as one or the other' });
  }
  const contentType = ev.contentType ?? DEFAULT_CONTENT_TYPE;
  if (isJsonContentType(contentType)) return problems;
  if (ev.data === undefined && ev.dataBase64 === undefined) {
    problems.push({ path: ['event', 'contentType'], message: `${contentType} is not JSON, so it needs event.data (text) or event.dataBase64 (bytes); the tick's own payload is JSON` });
  } else if (ev.data !== undefined && typeof ev.data !== 'string') {
    problems.push({ path: ['event', 'data'], message: `must be text for event.contentType ${contentType} (only JSON types take any JSON value); give bytes as event.dataBase64` });
  } else if (ev.data !== undefined) {
    const type = parseMediaType(contentType);
    const charset = type === undefined ? undefined : charsetProblem(type);
    if (charset !== undefined) {
      problems.push({ path: ['event', 'contentType'], message: `charset ${JSON.stringify(type?.parameters.get('charset'))} does not fit: event.data is sent as UTF-8 (give the bytes as event.dataBase64)` });
    }
  }
  return problems;
}

export const definitionSchema = z
  .strictObject({ name, ...definitionFields }, { error: 'must be an object' })
  .superRefine((d, ctx) => {
    for (const problem of triggerProblems(d)) ctx.addIssue({ code: 'custom', ...problem });
    for (const problem of eventDataProblems(d.event)) ctx.addIssue({ code: 'custom', ...problem });
    if (d.cron !== undefined && d.timezone !== undefined) {
      try {
        parseCron(d.cron, d.timezone);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['cron'], message: error instanceof Error ? error.message : String(error) });
      }
    }
  });

/** A definition as parsed: the user's fields, durations and instants in milliseconds, nothing filled in yet. */
export type ScheduleDefinition = z.output<typeof definitionSchema>;

export type { JsonValue };
