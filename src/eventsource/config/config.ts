import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkAttributeText, checkUriReference } from '../core/ce-attributes.js';
import { parseCeOverrides } from '../core/ce-overrides.js';
import { DELIVERY_DEFAULTS, type DeliveryPolicy } from '../core/delivery-policy.js';
import { formatDuration, parseDuration, type ParseDurationOptions } from '../core/duration.js';
import { envScheduleSpec } from '../core/env-schedule.js';
import { BACKFILL_TICKS_CEILING } from '../core/fire-times.js';
import { ConfigError, oneLine } from '../core/errors.js';
import type { NormalizedSpec } from '../core/normalized-spec.js';
import { redactUrl } from '../core/redact.js';
import { canonicalTimeZone, describeSchedule, parseSchedule, type Schedule } from '../core/schedule.js';
import { isValidScheduleName } from '../core/schedule-name.js';
import { DEFAULT_CONNECTIONS_PER_ORIGIN } from '../delivery/dispatcher.js';
import { forbiddenHost, parseSinkAllowlist } from '../delivery/sink-guard.js';

/** The event source's configuration, read from the environment once at start-up. */
export interface EventSourceConfig {
  sink: URL;
  scheduleName: string;
  schedule: Schedule;
  ceType: string;
  ceSource: string;
  ceMode: 'binary' | 'structured';
  ceOverrides: Record<string, string>;
  /** K_CA_CERTS and every `*.crt` of K_CA_CERTS_DIR, as one PEM bundle (added to the system roots). */
  caCerts?: string;
  /** The `*.crt` files read from K_CA_CERTS_DIR, in the order they were added to `caCerts`. */
  caCertFiles: string[];
  /** Where Knative mounts the OIDC token for the sink's audience; re-read before each delivery. */
  oidcTokenFile: string;
  /** The environment's delivery policy: its schedule's, and the timeout of an attempt whose schedule names none. */
  delivery: Omit<DeliveryPolicy, 'deadLetterSink'>;
  catchUpWindowMs: number;
  logLevel: string;
  /** Sinks (delivery/sink-guard.ts): the dead-letter sink of every schedule without its own. */
  deadLetterSink?: URL;
  /** Origins a per-schedule sink or dead-letter sink may have (default: the origin of K_SINK). */
  sinkAllowlist: string[];
  /** Open connections per sink origin at most, shared by all schedules (delivery/dispatcher.ts). */
  sinkMaxConnections: number;
  /** Time between two probes of a sink origin that is down, and the retry delay of its ticks (delivery/sink-breaker.ts). */
  sinkProbeIntervalMs: number;
  /** Where the OIDC tokens a schedule's own sink may name (`oidcTokenFile`) are mounted, one file per audience. */
  sinkOidcTokensDir: string;
  /** The schedule above as a schedule definition, normalised by the one schema (env-schedule.ts). */
  scheduleSpec: NormalizedSpec;
  /** SCHEDULES_FILE: the path of the schedules file (YAML or JSON), read and watched by the starter. */
  schedulesFile?: string;
  /**
   * Whether the environment's schedule runs: always without SCHEDULES_FILE; with it, only when SCHEDULE (or
   * DurationInSeconds) is set, so a file of schedules does not bring the default 10 s schedule along.
   */
  envSchedule: boolean;
  /** Overload (observability/overload.ts): a tick dispatched later than this after its scheduled time is late (LATE_TICK_THRESHOLD). */
  lateTickThresholdMs: number;
  /** Overload: one warning line per schedule per this interval at most (OVERLOAD_LOG_INTERVAL). */
  overloadLogIntervalMs: number;
  /** The shortest interval a schedule from the API, the file or SCHEDULE may have (MIN_INTERVAL; cron's too). */
  minIntervalMs: number;
  /** Backfilled ticks a schedule may have queued at once (MAX_BACKFILL_TICKS). */
  maxBackfillTicks: number;
  /** Schedules a host holds at most before the API refuses a new one (MAX_SCHEDULES). */
  maxSchedules: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const CONFIG_DEFAULTS = {
  SCHEDULE: '10s',
  SCHEDULE_TIMEZONE: 'UTC',
  SCHEDULE_NAME: 'default',
  CE_TYPE: 'com.hello.cron-event',
  CE_SOURCE: 'urn:hello-com:cron-source',
  CE_MODE: 'binary',
  K_CA_CERTS_DIR: '/knative-custom-certs',
  K_OIDC_TOKEN_FILE: '/oidc/token',
  // The delivery policy's defaults (core/delivery-policy.ts) in the variables' units: DELIVERY_RETRY counts attempts.
  DELIVERY_TIMEOUT: formatDuration(DELIVERY_DEFAULTS.timeoutMs),
  DELIVERY_RETRY: String(DELIVERY_DEFAULTS.retry + 1),
  DELIVERY_BACKOFF_POLICY: DELIVERY_DEFAULTS.backoffPolicy,
  DELIVERY_BACKOFF_DELAY: formatDuration(DELIVERY_DEFAULTS.backoffDelayMs),
  DELIVERY_MAX_BACKOFF: formatDuration(DELIVERY_DEFAULTS.maxBackoffMs),
  CATCH_UP_WINDOW: '60s',
  LOG_LEVEL: 'info',
  SINK_MAX_CONNECTIONS: String(DEFAULT_CONNECTIONS_PER_ORIGIN),
  SINK_PROBE_INTERVAL: '1s',
  SINK_OIDC_TOKENS_DIR: '/oidc/sinks',
  LATE_TICK_THRESHOLD: '5s',
  OVERLOAD_LOG_INTERVAL: '60s',
  MIN_INTERVAL: '1s',
  MAX_BACKFILL_TICKS: String(BACKFILL_TICKS_CEILING),
  MAX_SCHEDULES: '1000',
} as const;

/** The bounds of the limit settings (MIN_INTERVAL as a duration, the others as whole numbers). */
const LIMIT_SETTINGS = {
  MIN_INTERVAL: { minMs: 1, maxMs: 3_600_000 },
  MAX_BACKFILL_TICKS: { min: 1, max: BACKFILL_TICKS_CEILING },
  MAX_SCHEDULES: { min: 1, max: 1_000_000 },
} as const;

type Env = Record<string, string | undefined>;

/**
 * Validates the environment. Throws ConfigError for the first bad variable, with a one-line `<VAR>: <why>` message
 * that never echoes a secret (sink URLs and CA bundles are not quoted). Blank values count as unset. The variables
 * are read in a fixed order (sink, schedule, event, trust, delivery, logging, overload, limits, sinks), so the one
 * blamed is always the same.
 */
export function loadConfig(env: Env): EventSourceConfig {
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const read: Read = (name, schema) => {
    const result = schema.safeParse(value(name));
    if (!result.success) throw new ConfigError(name, result.error.issues[0]?.message ?? 'invalid value');
    return result.data;
  };

  const sinkVariable = value('K_SINK') === undefined && value('SINK') !== undefined ? 'SINK' : 'K_SINK';
  const sink = read(sinkVariable, sinkSchema);
  const envSchedule = readEnvSchedule(read, value);
  const event = readEvent(read);
  const trust = readTrust(read);
  const delivery = readDelivery(read, value);
  const catchUpWindowMs = read('CATCH_UP_WINDOW', withDefault(CONFIG_DEFAULTS.CATCH_UP_WINDOW, duration({ allowZero: true })));
  const logLevel = read('LOG_LEVEL', withDefault(CONFIG_DEFAULTS.LOG_LEVEL, (text) => {
    const level = text.toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new Error(`${JSON.stringify(text)} is not a log level (${LOG_LEVELS.join(', ')})`);
    }
    return level;
  }));
  const lateTickThresholdMs = read('LATE_TICK_THRESHOLD', withDefault(CONFIG_DEFAULTS.LATE_TICK_THRESHOLD, duration()));
  const overloadLogIntervalMs = read('OVERLOAD_LOG_INTERVAL', withDefault(CONFIG_DEFAULTS.OVERLOAD_LOG_INTERVAL, duration()));
  const limits = readLimits(read);
  const sinks = readSinks(read, sink, sinkVariable);
  const schedulesFile = value('SCHEDULES_FILE');
  const scheduleSpec = envScheduleSpec({
    ...envSchedule, ...event, delivery, catchUpWindowMs, minIntervalMs: limits.minIntervalMs,
  });

  return {
    sink,
    scheduleName: envSchedule.scheduleName,
    schedule: envSchedule.schedule,
    ...event,
    ...trust,
    delivery,
    catchUpWindowMs,
    logLevel,
    ...sinks,
    scheduleSpec,
    ...(schedulesFile !== undefined ? { schedulesFile } : {}),
    envSchedule: schedulesFile === undefined || value('SCHEDULE') !== undefined || value('DurationInSeconds') !== undefined,
    lateTickThresholdMs,
    overloadLogIntervalMs,
    ...limits,
  };
}

type Value = (name: string) => string | undefined;

/** SCHEDULE_TIMEZONE, SCHEDULE (or the legacy DurationInSeconds) and SCHEDULE_NAME: the environment's schedule. */
function readEnvSchedule(read: Read, value: Value): { scheduleName: string; schedule: Schedule; scheduleVariable: 'SCHEDULE' | 'DurationInSeconds' } {
  const timeZone = read('SCHEDULE_TIMEZONE', withDefault(CONFIG_DEFAULTS.SCHEDULE_TIMEZONE, canonicalTimeZone));
  const scheduleVariable = value('SCHEDULE') === undefined && value('DurationInSeconds') !== undefined ? 'DurationInSeconds' : 'SCHEDULE';
  const schedule =
    scheduleVariable === 'DurationInSeconds'
      ? read('DurationInSeconds', legacySecondsSchema)
      : read('SCHEDULE', withDefault(CONFIG_DEFAULTS.SCHEDULE, (text) => parseSchedule(text, timeZone)));
  const scheduleName = read('SCHEDULE_NAME', withDefault(CONFIG_DEFAULTS.SCHEDULE_NAME, (text) => {
    if (!isValidScheduleName(text)) {
      throw new Error(`${JSON.stringify(text)} must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit`);
    }
    return text;
  }));
  return { scheduleName, schedule, scheduleVariable };
}

/** CE_TYPE, CE_SOURCE, CE_MODE and K_CE_OVERRIDES: the attributes of the environment's events. */
function readEvent(read: Read): Pick<EventSourceConfig, 'ceType' | 'ceSource' | 'ceMode' | 'ceOverrides'> {
  const ceType = read('CE_TYPE', withDefault(CONFIG_DEFAULTS.CE_TYPE, checkAttributeText));
  const ceSource = read('CE_SOURCE', withDefault(CONFIG_DEFAULTS.CE_SOURCE, checkUriReference));
  const ceMode = read('CE_MODE', withDefault(CONFIG_DEFAULTS.CE_MODE, (text) => {
    const mode = text.toLowerCase();
    if (mode !== 'binary' && mode !== 'structured') throw new Error(`${JSON.stringify(text)} must be binary or structured`);
    return mode;
  }));
  const ceOverrides = read('K_CE_OVERRIDES', withDefault('', parseCeOverrides));
  return { ceType, ceSource, ceMode, ceOverrides };
}

/** K_CA_CERTS, K_CA_CERTS_DIR (every `*.crt` in it, read now) and K_OIDC_TOKEN_FILE: what a sink is trusted and authenticated with. */
function readTrust(read: Read): Pick<EventSourceConfig, 'caCerts' | 'caCertFiles' | 'oidcTokenFile'> {
  const envCaCerts = read('K_CA_CERTS', optional(checkPemBundle));
  const caCertsDir = read('K_CA_CERTS_DIR', withDefault(CONFIG_DEFAULTS.K_CA_CERTS_DIR, (text) => text));
  const dirBundles = readCaCertsDir(caCertsDir);
  const bundles = [...(envCaCerts !== undefined ? [envCaCerts] : []), ...dirBundles.map((bundle) => bundle.pem)];
  const oidcTokenFile = read('K_OIDC_TOKEN_FILE', withDefault(CONFIG_DEFAULTS.K_OIDC_TOKEN_FILE, (text) => text));
  return { ...(bundles.length > 0 ? { caCerts: bundles.join('') } : {}), caCertFiles: dirBundles.map((bundle) => bundle.file), oidcTokenFile };
}

/** DELIVERY_TIMEOUT, DELIVERY_RETRY (attempts per tick), DELIVERY_BACKOFF_POLICY, DELIVERY_BACKOFF_DELAY, DELIVERY_MAX_BACKOFF. */
function readDelivery(read: Read, value: Value): EventSourceConfig['delivery'] {
  const timeoutMs = read('DELIVERY_TIMEOUT', withDefault(CONFIG_DEFAULTS.DELIVERY_TIMEOUT, duration()));
  const maxAttempts = read('DELIVERY_RETRY', withDefault(CONFIG_DEFAULTS.DELIVERY_RETRY, (text) => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000) {
      throw new Error(`${JSON.stringify(text)} must be a whole number of attempts per tick from 1 to 1000`);
    }
    return Number(text);
  }));
  const backoffPolicy = read('DELIVERY_BACKOFF_POLICY', withDefault(CONFIG_DEFAULTS.DELIVERY_BACKOFF_POLICY, (text) => {
    const policy = text.toLowerCase();
    if (policy !== 'exponential' && policy !== 'linear') {
      throw new Error(`${JSON.stringify(text)} must be exponential or linear`);
    }
    return policy;
  }));
  const backoffDelayMs = read('DELIVERY_BACKOFF_DELAY', withDefault(CONFIG_DEFAULTS.DELIVERY_BACKOFF_DELAY, duration()));
  const maxBackoffMs = read('DELIVERY_MAX_BACKOFF', withDefault(CONFIG_DEFAULTS.DELIVERY_MAX_BACKOFF, duration()));
  if (maxBackoffMs < backoffDelayMs) {
    // Blame the variable the operator set: a long delay against the default cap is the delay's problem.
    if (value('DELIVERY_MAX_BACKOFF') === undefined) {
      throw new ConfigError('DELIVERY_BACKOFF_DELAY', `is longer than DELIVERY_MAX_BACKOFF (${CONFIG_DEFAULTS.DELIVERY_MAX_BACKOFF} by default); set DELIVERY_MAX_BACKOFF too`);
    }
    throw new ConfigError('DELIVERY_MAX_BACKOFF', `${JSON.stringify(value('DELIVERY_MAX_BACKOFF'))} is shorter than DELIVERY_BACKOFF_DELAY (${backoffDelayMs} ms)`);
  }
  return { retry: maxAttempts - 1, backoffPolicy, backoffDelayMs, maxBackoffMs, timeoutMs };
}

type Read = <T>(name: string, schema: z.ZodType<T, string | undefined>) => T;

/**
 * DEAD_LETTER_SINK, SINK_ALLOWLIST and SINK_MAX_CONNECTIONS (delivery/sink-guard.ts, dispatcher.ts). The operator's
 * own K_SINK and DEAD_LETTER_SINK need no allowlist entry, but no sink may be a link-local or metadata address.
 */
function readSinks(
  read: Read,
  sink: URL,
  sinkVariable: string,
): Pick<EventSourceConfig, 'deadLetterSink' | 'sinkAllowlist' | 'sinkMaxConnections' | 'sinkProbeIntervalMs' | 'sinkOidcTokensDir'> {
  if (forbiddenHost(sink.hostname)) {
    throw new ConfigError(sinkVariable, 'is a link-local or cloud metadata address, never allowed as a sink');
  }
  const deadLetterSink = read('DEAD_LETTER_SINK', sinkSchema.optional());
  if (deadLetterSink !== undefined && forbiddenHost(deadLetterSink.hostname)) {
    throw new ConfigError('DEAD_LETTER_SINK', 'is a link-local or cloud metadata address, never allowed as a sink');
  }
  // The default is K_SINK's origin itself, not parsed as a list: a host name may hold a ',' (WHATWG URL allows it).
  const sinkAllowlist = read('SINK_ALLOWLIST', parsed(parseSinkAllowlist, () => [sink.origin]));
  const sinkMaxConnections = read('SINK_MAX_CONNECTIONS', withDefault(CONFIG_DEFAULTS.SINK_MAX_CONNECTIONS, (text) => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 10_000) {
      throw new Error(`${JSON.stringify(text)} must be a whole number of connections per sink origin from 1 to 10000`);
    }
    return Number(text);
  }));
  const sinkProbeIntervalMs = read('SINK_PROBE_INTERVAL', withDefault(CONFIG_DEFAULTS.SINK_PROBE_INTERVAL, duration()));
  if (sinkProbeIntervalMs < 100 || sinkProbeIntervalMs > 60_000) {
    throw new ConfigError('SINK_PROBE_INTERVAL', `must be from 100ms to 1m, got ${sinkProbeIntervalMs} ms`);
  }
  const sinkOidcTokensDir = read('SINK_OIDC_TOKENS_DIR', withDefault(CONFIG_DEFAULTS.SINK_OIDC_TOKENS_DIR, (text) => {
    if (!path.isAbsolute(text)) throw new Error(`${JSON.stringify(text)} must be an absolute directory path`);
    return path.resolve(text);
  }));
  return { ...(deadLetterSink !== undefined ? { deadLetterSink } : {}), sinkAllowlist, sinkMaxConnections, sinkProbeIntervalMs, sinkOidcTokensDir };
}

/** MIN_INTERVAL, MAX_BACKFILL_TICKS and MAX_SCHEDULES, each within its bounds (LIMIT_SETTINGS). */
function readLimits(read: Read): Pick<EventSourceConfig, 'minIntervalMs' | 'maxBackfillTicks' | 'maxSchedules'> {
  const { MIN_INTERVAL: interval } = LIMIT_SETTINGS;
  const minIntervalMs = read('MIN_INTERVAL', withDefault(CONFIG_DEFAULTS.MIN_INTERVAL, (text) => {
    const ms = parseDuration(text);
    if (ms > interval.maxMs) throw new Error(`${JSON.stringify(text)} is longer than ${formatDuration(interval.maxMs)}, the longest allowed`);
    return ms;
  }));
  const whole = (name: 'MAX_BACKFILL_TICKS' | 'MAX_SCHEDULES', what: string): number => {
    const { min, max } = LIMIT_SETTINGS[name];
    return read(name, withDefault(CONFIG_DEFAULTS[name], (text) => {
      if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
        throw new Error(`${JSON.stringify(text)} must be a whole number of ${what} from ${min} to ${max}`);
      }
      return Number(text);
    }));
  };
  return {
    minIntervalMs,
    maxBackfillTicks: whole('MAX_BACKFILL_TICKS', 'queued backfill ticks per schedule'),
    maxSchedules: whole('MAX_SCHEDULES', 'schedules'),
  };
}

/** The configuration in a form that is safe to log: the sink without userinfo or query, the CA bundle summarised. */
export function redactedConfig(c: EventSourceConfig): Record<string, unknown> {
  return {
    sink: redactUrl(c.sink),
    scheduleName: c.scheduleName,
    schedule: describeSchedule(c.schedule),
    ceType: c.ceType,
    ceSource: c.ceSource,
    ceMode: c.ceMode,
    ceOverrides: c.ceOverrides,
    caCerts: c.caCerts === undefined ? 'none' : `${countCertificates(c.caCerts)} certificate(s)`,
    caCertFiles: [...c.caCertFiles],
    oidcTokenFile: c.oidcTokenFile,
    delivery: { ...c.delivery },
    catchUpWindowMs: c.catchUpWindowMs,
    logLevel: c.logLevel,
    deadLetterSink: c.deadLetterSink === undefined ? 'none' : redactUrl(c.deadLetterSink),
    sinkAllowlist: [...c.sinkAllowlist],
    sinkMaxConnections: c.sinkMaxConnections,
    sinkProbeIntervalMs: c.sinkProbeIntervalMs,
    sinkOidcTokensDir: c.sinkOidcTokensDir,
    schedulesFile: c.schedulesFile ?? 'none',
    envSchedule: c.envSchedule,
    lateTickThresholdMs: c.lateTickThresholdMs,
    overloadLogIntervalMs: c.overloadLogIntervalMs,
    minIntervalMs: c.minIntervalMs,
    maxBackfillTicks: c.maxBackfillTicks,
    maxSchedules: c.maxSchedules,
  };
}

// --- schemas: each turns an optional string into a value or a one-line issue ---

/** Runs `parse` (which throws with a reason) as a zod transform; an unset value becomes `onUnset()`. */
function parsed<T, U>(parse: (text: string) => T, onUnset: () => U): z.ZodType<T | U, string | undefined> {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      try {
        return text === undefined ? onUnset() : parse(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: oneLine(error instanceof Error ? error.message : String(error)) });
        return z.NEVER;
      }
    });
}

/** `parse`, with `fallback` parsed the same way when the variable is unset. */
function withDefault<T>(fallback: string, parse: (text: string) => T): z.ZodType<T, string | undefined> {
  return parsed(parse, () => parse(fallback));
}

function optional<T>(parse: (text: string) => T): z.ZodType<T | undefined, string | undefined> {
  return parsed(parse, () => undefined);
}

function duration(options: ParseDurationOptions = {}): (text: string) => number {
  return (text) => parseDuration(text, options);
}

const sinkSchema: z.ZodType<URL, string | undefined> = z
  .string({ error: 'not set (Knative injects it into a ContainerSource or SinkBinding; set K_SINK or SINK)' })
  .transform((text, ctx) => {
    // The URL may carry credentials, so no message quotes it.
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a valid absolute URL (expected http:// or https://)' });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must be an http or https URL, not ${url.protocol.replace(/:$/, '')}` });
      return z.NEVER;
    }
    if (url.hostname === '') {
      ctx.addIssue({ code: 'custom', message: 'has no host' });
      return z.NEVER;
    }
    // The delivery sends the userinfo as Basic credentials, percent-decoded; a bad escape would stop it later with
    // nothing but "URI malformed".
    if (!decodes(url.username) || !decodes(url.password)) {
      ctx.addIssue({ code: 'custom', message: 'has a user name or password with an invalid percent-escape (write % as %25)' });
      return z.NEVER;
    }
    return url;
  });

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Legacy `DurationInSeconds` of the old demo: a positive number of seconds, used when SCHEDULE is unset. */
const legacySecondsSchema: z.ZodType<Schedule, string | undefined> = z.string().transform((text, ctx) => {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(seconds > 0)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} must be a positive number of seconds (or set SCHEDULE instead)` });
    return z.NEVER;
  }
  try {
    return parseSchedule(`${text}s`);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: oneLine(error instanceof Error ? error.message : String(error)) });
    return z.NEVER;
  }
});

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** K_CA_CERTS (and each mounted `*.crt`) must hold at least one PEM certificate, each of which must parse. */
function checkPemBundle(text: string): string {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error('contains no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)');
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch {
      throw new Error(`certificate ${index + 1} of ${blocks.length} is not a valid X.509 certificate`);
    }
  });
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Reads every `*.crt` in `dir` (Knative's mounted trust bundles), sorted by name so the bundle is the same on every
 * start. A missing directory means none. Entries are stat'ed (following symlinks, as Kubernetes mounts are) and only
 * regular files count. A bad file is a ConfigError on K_CA_CERTS_DIR naming the file, never quoting its content.
 */
function readCaCertsDir(dir: string): Array<{ file: string; pem: string }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw new ConfigError('K_CA_CERTS_DIR', `${dir}: cannot be listed (${errorCode(error) ?? 'error'})`);
  }
  const bundles: Array<{ file: string; pem: string }> = [];
  for (const name of names.filter((n) => n.endsWith('.crt')).sort()) {
    const file = path.join(dir, name);
    let pem: string;
    try {
      if (!statSync(file).isFile()) continue;
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError('K_CA_CERTS_DIR', `${file}: cannot be read (${errorCode(error) ?? 'error'})`);
    }
    try {
      bundles.push({ file, pem: checkPemBundle(pem) });
    } catch (error) {
      throw new ConfigError('K_CA_CERTS_DIR', `${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return bundles;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function countCertificates(pem: string): number {
  return (pem.match(PEM_CERTIFICATE) ?? []).length;
}
