/**
 * The normalised spec of a schedule: its definition with every default filled in, durations and instants as epoch
 * milliseconds, a plain JSON-serialisable object. This is what an orchestration carries in its state (replays never
 * read a file or the environment), what fire-times.ts computes with, and what `GET /schedules/{name}` shows (through
 * describeSpec, which turns it back into the definition's own shape).
 */
import type { z } from 'zod';
import { DELIVERY_DEFAULTS, type DeliveryPolicy } from './delivery-policy.js';
import { formatDuration } from './duration.js';
import { oneLine } from './errors.js';
import { redactUrl } from './redact.js';
import { cronMinGapMs, parseCron } from './schedule.js';
import {
  DEFAULT_CONTENT_TYPE,
  DEFINITION_LIMITS,
  definitionSchema,
  triggerProblems,
  type JsonValue,
  type ScheduleDefinition,
} from './schedule-definition.js';

export type SpecTrigger =
  | { kind: 'every'; everyMs: number; offsetMs: number }
  | { kind: 'cron'; expression: string; timeZone: string }
  | { kind: 'at'; atMs: number };

export type CatchUpPolicy = 'all' | 'latest' | 'skip';
export type OverlapPolicy = 'bufferAll' | 'bufferOne' | 'skip';

export interface SpecEvent {
  type: string;
  source: string;
  subject?: string;
  /**
   * The event's data: any JSON value for a JSON content type, else the text itself; absent (and no dataBase64): the
   * tick's payload `{schedule, sequence, scheduledTime}`.
   */
  data?: JsonValue;
  /** The event's data as bytes (base64), instead of `data`. */
  dataBase64?: string;
  /** The data's media type (`datacontenttype`); absent: application/json (so a spec from before it reads the same). */
  contentType?: string;
  extensions: Record<string, string>;
  mode: 'binary' | 'structured';
}

export interface NormalizedSpec {
  name: string;
  trigger: SpecTrigger;
  startAtMs?: number;
  endAtMs?: number;
  maxCount?: number;
  jitterMs: number;
  paused: boolean;
  note?: string;
  event: SpecEvent;
  /** Absent: the default sink (K_SINK). */
  sink?: string;
  /** The OIDC token its sink gets (a file name in SINK_OIDC_TOKENS_DIR); absent: K_SINK's token to K_SINK's origin only. */
  oidcTokenFile?: string;
  catchUp: { windowMs: number; policy: CatchUpPolicy };
  overlap: OverlapPolicy;
  pauseOnFailure?: number;
  delivery: DeliveryPolicy;
}

/** What a definition leaves out. The same values as the environment's defaults (config/config.ts), so a bare entry acts like today's schedule. */
export const SPEC_DEFAULTS = {
  jitterMs: 0,
  paused: false,
  event: { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', extensions: {}, mode: 'binary' },
  catchUp: { windowMs: 60_000, policy: 'all' },
  overlap: 'bufferAll',
  delivery: DELIVERY_DEFAULTS,
} as const satisfies Partial<NormalizedSpec>;

/** The definition with every default filled in. Run specProblems on the result before using it. */
function normalize(d: ScheduleDefinition): NormalizedSpec {
  const trigger: SpecTrigger =
    d.every !== undefined
      ? { kind: 'every', everyMs: d.every, offsetMs: d.offset ?? 0 }
      : d.cron !== undefined
        ? { kind: 'cron', expression: d.cron, timeZone: d.timezone ?? 'UTC' }
        : { kind: 'at', atMs: d.at as number };
  const ev = d.event ?? {};
  const dl = d.delivery ?? {};
  return {
    name: d.name,
    trigger,
    ...(d.startAt !== undefined ? { startAtMs: d.startAt } : {}),
    ...(d.endAt !== undefined ? { endAtMs: d.endAt } : {}),
    ...(d.maxCount !== undefined ? { maxCount: d.maxCount } : {}),
    jitterMs: d.jitter ?? SPEC_DEFAULTS.jitterMs,
    paused: d.paused ?? SPEC_DEFAULTS.paused,
    ...(d.note !== undefined ? { note: d.note } : {}),
    event: {
      type: ev.type ?? SPEC_DEFAULTS.event.type,
      source: ev.source ?? SPEC_DEFAULTS.event.source,
      ...(ev.subject !== undefined ? { subject: ev.subject } : {}),
      ...(ev.data !== undefined ? { data: ev.data } : {}),
      ...(ev.dataBase64 !== undefined ? { dataBase64: ev.dataBase64 } : {}),
      ...(ev.contentType !== undefined && ev.contentType !== DEFAULT_CONTENT_TYPE ? { contentType: ev.contentType } : {}),
      extensions: { ...(ev.extensions ?? SPEC_DEFAULTS.event.extensions) },
      mode: ev.mode ?? SPEC_DEFAULTS.event.mode,
    },
    ...(d.sink !== undefined ? { sink: d.sink } : {}),
    ...(d.oidcTokenFile !== undefined ? { oidcTokenFile: d.oidcTokenFile } : {}),
    catchUp: { windowMs: d.catchUp?.window ?? SPEC_DEFAULTS.catchUp.windowMs, policy: d.catchUp?.policy ?? SPEC_DEFAULTS.catchUp.policy },
    overlap: d.overlap ?? SPEC_DEFAULTS.overlap,
    ...(d.pauseOnFailure !== undefined ? { pauseOnFailure: d.pauseOnFailure } : {}),
    delivery: {
      retry: dl.retry ?? SPEC_DEFAULTS.delivery.retry,
      backoffPolicy: dl.backoffPolicy ?? SPEC_DEFAULTS.delivery.backoffPolicy,
      backoffDelayMs: dl.backoffDelay ?? SPEC_DEFAULTS.delivery.backoffDelayMs,
      maxBackoffMs: dl.maxBackoff ?? SPEC_DEFAULTS.delivery.maxBackoffMs,
      timeoutMs: dl.timeout ?? SPEC_DEFAULTS.delivery.timeoutMs,
      ...(dl.deadLetterSink !== undefined ? { deadLetterSink: dl.deadLetterSink } : {}),
    },
  };
}

/**
 * The allow-list seam: delivery (src/eventsource/delivery/) decides which sinks a schedule may use (SINK_ALLOWLIST,
 * no link-local or metadata address). Called with the syntactically valid URL of `sink` or `delivery.deadLetterSink`;
 * returns why it is refused (one line, without the URL's credentials), or undefined when it is allowed.
 */
export type SinkCheck = (url: URL, field: 'sink' | 'delivery.deadLetterSink') => string | undefined;

export interface CheckOptions {
  checkSink?: SinkCheck;
  /**
   * MIN_INTERVAL. Given for a definition a caller hands in (the API, the schedules file, the environment): then a
   * schedule may not fire more often than this, and its jitter must stay below its interval. A spec read back from a
   * running schedule is not held to them: it was accepted under the setting of its day.
   */
  minIntervalMs?: number;
}

/** A problem with one field (`delivery.retry`; '' for the definition as a whole) and why, on one line. */
export interface Problem {
  field: string;
  why: string;
}

/** `<prefix>.<field>: <why>` (`schedules[2] (nightly).cron: ...`), or `<field>: <why>` without a prefix. */
export function problemLine(problem: Problem, prefix = ''): string {
  const where = prefix === '' ? problem.field : problem.field === '' ? prefix : `${prefix}.${problem.field}`;
  return where === '' ? problem.why : `${where}: ${problem.why}`;
}

/** The rules that need the defaults filled in; empty when the spec is good. */
function specProblems(spec: NormalizedSpec, options: CheckOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, why: string): void => {
    problems.push({ field, why });
  };
  const t = spec.trigger;
  if (t.kind === 'every' && t.offsetMs >= t.everyMs) {
    add('offset', `${formatDuration(t.offsetMs)} is not shorter than every (${formatDuration(t.everyMs)})`);
  }
  if (t.kind === 'cron' && spec.maxCount !== undefined && spec.maxCount > DEFINITION_LIMITS.cronMaxCount) {
    add('maxCount', `at most ${DEFINITION_LIMITS.cronMaxCount} for a cron schedule`);
  }
  if (spec.startAtMs !== undefined && spec.endAtMs !== undefined && spec.endAtMs <= spec.startAtMs) {
    add('endAt', 'is not after startAt');
  }
  if (t.kind === 'at' && spec.startAtMs !== undefined && t.atMs < spec.startAtMs) add('at', 'is before startAt, so it would never fire');
  if (t.kind === 'at' && spec.endAtMs !== undefined && t.atMs >= spec.endAtMs) add('at', 'is not before endAt, so it would never fire');
  const { backoffDelayMs, maxBackoffMs } = spec.delivery;
  if (backoffDelayMs > maxBackoffMs) {
    add('delivery.backoffDelay', `${formatDuration(backoffDelayMs)} is longer than delivery.maxBackoff (${formatDuration(maxBackoffMs)})`);
  }
  for (const [where, url] of [['sink', spec.sink], ['delivery.deadLetterSink', spec.delivery.deadLetterSink]] as const) {
    const why = url === undefined || options.checkSink === undefined ? undefined : options.checkSink(new URL(url), where);
    if (why !== undefined) add(where, oneLine(why));
  }
  if (options.minIntervalMs !== undefined) problems.push(...intervalProblems(spec, options.minIntervalMs));
  return problems;
}

/** The minimum interval (MIN_INTERVAL) and jitter below the interval, for a definition a caller hands in. */
function intervalProblems(spec: NormalizedSpec, minIntervalMs: number): Problem[] {
  const t = spec.trigger;
  if (t.kind === 'at') return [];
  const field = t.kind === 'every' ? 'every' : 'cron';
  const intervalMs = t.kind === 'every' ? t.everyMs : cronMinGapMs(parseCron(t.expression, t.timeZone));
  const shown = t.kind === 'every' ? formatDuration(intervalMs) : `can fire ${formatDuration(intervalMs)} apart, which`;
  if (intervalMs < minIntervalMs) {
    return [{ field, why: `${shown} is shorter than the minimum interval ${formatDuration(minIntervalMs)} (MIN_INTERVAL)` }];
  }
  if (spec.jitterMs >= intervalMs) {
    const interval = t.kind === 'every' ? `every (${formatDuration(intervalMs)})` : `the shortest time between the cron's fire times (${formatDuration(intervalMs)})`;
    return [{ field: 'jitter', why: `${formatDuration(spec.jitterMs)} is not shorter than ${interval}` }];
  }
  return [];
}

export type DefinitionCheck =
  | { ok: true; definition: ScheduleDefinition; spec: NormalizedSpec }
  | { ok: false; problems: Problem[] };

/**
 * Checks one definition (an API body, a file entry after its defaults were merged in) and normalises it. Every
 * problem is reported, naming its field (`cron`, `delivery.retry`); problemLine makes the line a person reads.
 */
export function checkDefinition(value: unknown, options: CheckOptions = {}): DefinitionCheck {
  const parsed = definitionSchema.safeParse(value);
  if (!parsed.success) {
    const problems = zodProblems(parsed.error);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      // The trigger rules, which zod skipped because a field failed; each problem once, in field order.
      for (const { path, message } of triggerProblems(value as Record<string, unknown>)) {
        const field = fieldPath(path);
        if (!problems.some((p) => p.field === field)) problems.push({ field, why: message });
      }
    }
    return { ok: false, problems };
  }
  const spec = normalize(parsed.data);
  const problems = specProblems(spec, options);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definition: parsed.data, spec };
}

/**
 * Checks the body of `PUT /schedules/{name}`: `name` may be left out (the path names the schedule) and must match the
 * path when given. Otherwise as checkDefinition.
 */
export function checkDefinitionFor(pathName: string, value: unknown, options: CheckOptions = {}): DefinitionCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return checkDefinition(value, options);
  const body = value as Record<string, unknown>;
  if (body['name'] !== undefined && body['name'] !== pathName) {
    return { ok: false, problems: [{ field: 'name', why: `${JSON.stringify(body['name'])} does not match the schedule's name in the path (${JSON.stringify(pathName)}); leave it out or make it equal` }] };
  }
  return checkDefinition({ ...body, name: pathName }, options);
}

/** The schema's issues as problems; an unknown key is `<path>.<key>: unknown field`. */
export function zodProblems(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: fieldPath([...issue.path, key]), why: 'unknown field' });
    } else {
      problems.push({ field: fieldPath(issue.path), why: issue.message });
    }
  }
  return problems;
}

/** `delivery.retry`, `schedules[2]`, `event.extensions`: how a person points at a field. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The definition's shape, with every field explicit (the describe view, `spec` in GET /schedules/{name}). */
export type DefinitionView = Record<string, unknown> & { name: string };

/**
 * The normalised spec in the definition's own words: durations as `1m30s`, instants as ISO strings, every default
 * shown. checkDefinition(describeSpec(spec, { redact: false })) gives the same spec back. By default the sinks'
 * credentials and queries are redacted, as in every view and log.
 */
export function describeSpec(spec: NormalizedSpec, options: { redact?: boolean } = {}): DefinitionView {
  const url = (u: string): string => (options.redact === false ? u : redactUrl(u));
  const t = spec.trigger;
  const trigger =
    t.kind === 'every'
      ? { every: formatDuration(t.everyMs), offset: formatDuration(t.offsetMs) }
      : t.kind === 'cron'
        ? { cron: t.expression, timezone: t.timeZone }
        : { at: iso(t.atMs) };
  const { delivery: dl, event: ev } = spec;
  return {
    name: spec.name,
    ...trigger,
    ...(spec.startAtMs !== undefined ? { startAt: iso(spec.startAtMs) } : {}),
    ...(spec.endAtMs !== undefined ? { endAt: iso(spec.endAtMs) } : {}),
    ...(spec.maxCount !== undefined ? { maxCount: spec.maxCount } : {}),
    jitter: formatDuration(spec.jitterMs),
    paused: spec.paused,
    ...(spec.note !== undefined ? { note: spec.note } : {}),
    event: {
      type: ev.type,
      source: ev.source,
      ...(ev.subject !== undefined ? { subject: ev.subject } : {}),
      contentType: ev.contentType ?? DEFAULT_CONTENT_TYPE,
      ...(ev.data !== undefined ? { data: ev.data } : {}),
      ...(ev.dataBase64 !== undefined ? { dataBase64: ev.dataBase64 } : {}),
      extensions: { ...ev.extensions },
      mode: ev.mode,
    },
    ...(spec.sink !== undefined ? { sink: url(spec.sink) } : {}),
    ...(spec.oidcTokenFile !== undefined ? { oidcTokenFile: spec.oidcTokenFile } : {}),
    catchUp: { window: formatDuration(spec.catchUp.windowMs), policy: spec.catchUp.policy },
    overlap: spec.overlap,
    ...(spec.pauseOnFailure !== undefined ? { pauseOnFailure: spec.pauseOnFailure } : {}),
    delivery: {
      retry: dl.retry,
      backoffPolicy: dl.backoffPolicy,
      backoffDelay: formatDuration(dl.backoffDelayMs),
      maxBackoff: formatDuration(dl.maxBackoffMs),
      timeout: formatDuration(dl.timeoutMs),
      ...(dl.deadLetterSink !== undefined ? { deadLetterSink: url(dl.deadLetterSink) } : {}),
    },
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
