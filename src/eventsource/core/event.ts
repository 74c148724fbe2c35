import { CloudEvent } from 'cloudevents';
import { EventSourceError, oneLine } from './errors.js';
import { checkExtensionName } from './ce-overrides.js';
import { isValidScheduleName } from './schedule-name.js';
import { URL_NAMESPACE, uuidV5 } from './uuid-v5.js';

/** One scheduled occurrence. Everything in it is decided by the orchestrator, so it is identical on every replay. */
export interface Tick {
  /** A manual or backfilled event: the extension `trigger` says which. */
  trigger?: 'manual' | 'backfill';
  /** A manual trigger's request id: the event's id is manualEventId of it, not the tick's. */
  requestId?: string;
  scheduleName: string;
  /** ISO time at which the schedule was first created (by the starter): survives continue-as-new and restarts, differs for a purged+recreated schedule. */
  generation: string;
  /** 1, 2, 3, ... per generation. */
  sequence: number;
  /** ISO-8601 time the tick was scheduled for. */
  scheduledTime: string;
}

export interface EventOptions {
  type: string;
  source: string;
  /** Extension attributes from K_CE_OVERRIDES (or the schedule's `event.extensions`). */
  overrides: Record<string, string>;
  subject?: string;
  /** The schedule's own data (any JSON for a JSON content type, else text); absent (and no dataBase64): TickEventData. */
  data?: unknown;
  /** The schedule's own data as bytes (base64), instead of `data`. */
  dataBase64?: string;
  /** The data's media type (`datacontenttype`); absent: application/json. */
  contentType?: string;
}

/** The JSON payload of a tick event. */
export interface TickEventData {
  schedule: string;
  sequence: number;
  scheduledTime: string;
}

const SEQUENCE_DIGITS = 16; // Number.MAX_SAFE_INTEGER has 16 digits

/** The CloudEvents `sequence` extension value: zero-padded decimal, so string order equals numeric order. */
export function formatSequence(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new EventSourceError('EVENT_INVALID', `sequence must be a non-negative safe integer, got ${n}`);
  }
  return String(n).padStart(SEQUENCE_DIGITS, '0');
}

// Namespace of this source's event ids: a v5 UUID of the project's URN in the RFC 4122 URL namespace.
const EVENT_ID_NAMESPACE = uuidV5('urn:durable-event-source:event-id', URL_NAMESPACE);

/**
 * The event id of a tick: a name-based (v5) UUID of `${scheduleName}/${generation}/${scheduledTime}` (the scheduled
 * time as a canonical ISO string, milliseconds included). It depends on when the tick was scheduled, not on its
 * sequence, so the original tick, every retry and redelivery, and a backfill of the same time all carry the same id
 * (sinks deduplicate on it); different times, schedules or generations get different ids. A schedule's fire times
 * strictly increase, so two ticks of one generation never share a time. (Ids before this change named the sequence
 * instead, `.../42`: a time never looks like a sequence number, so old and new ids cannot collide.)
 */
export function eventId(tick: Pick<Tick, 'scheduleName' | 'generation' | 'scheduledTime'>): string {
  return uuidV5(`${idPrefix(tick)}/${canonicalTime(tick.scheduledTime)}`, EVENT_ID_NAMESPACE);
}

/** Request ids of a manual trigger: what a Durable or HTTP request id looks like, and never a '/'. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a manually triggered event (`POST /schedules/{name}/trigger`): a v5 UUID of
 * `${scheduleName}/${generation}/trigger/${requestId}`, in the same namespace as tick ids. It has four parts where a
 * tick id has three, so a manual event never takes the id of a scheduled tick, even one at the same instant: a
 * receiver that deduplicates by id keeps both. The same request (a retried trigger, a replayed orchestration) gives
 * the same id; each new request gives a new one.
 */
export function manualEventId(trigger: { scheduleName: string; generation: string; requestId: string }): string {
  if (!REQUEST_ID.test(trigger.requestId)) {
    throw new EventSourceError('EVENT_INVALID', `request id ${JSON.stringify(trigger.requestId)} must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-'`);
  }
  return uuidV5(`${idPrefix(trigger)}/trigger/${trigger.requestId}`, EVENT_ID_NAMESPACE);
}

/** `${scheduleName}/${generation}`, checked: the '/'-joined name is unambiguous only if the parts cannot contain '/'. */
function idPrefix(parts: { scheduleName: string; generation: string }): string {
  if (!isValidScheduleName(parts.scheduleName)) {
    throw new EventSourceError('EVENT_INVALID', `schedule name ${JSON.stringify(parts.scheduleName)} is not valid`);
  }
  if (parts.generation === '' || parts.generation.includes('/')) {
    throw new EventSourceError('EVENT_INVALID', `generation ${JSON.stringify(parts.generation)} is not valid`);
  }
  return `${parts.scheduleName}/${parts.generation}`;
}

/** One spelling per instant ("2030-01-01T00:00:00Z" and "...00.000Z" are the same tick, so the same id). */
function canonicalTime(text: string): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new EventSourceError('EVENT_INVALID', `scheduledTime ${JSON.stringify(text)} is not a date`);
  return new Date(ms).toISOString();
}

/**
 * Builds the CloudEvent of a tick. Pure (id and time are given, so the SDK reads no clock and draws no random id).
 * Throws EventSourceError (`CE_OVERRIDES_INVALID` naming the attribute, or `EVENT_INVALID`).
 */
export function buildEvent(tick: Tick, options: EventOptions): CloudEvent<unknown> {
  const time = new Date(tick.scheduledTime);
  if (Number.isNaN(time.getTime())) {
    throw new EventSourceError('EVENT_INVALID', `scheduledTime ${JSON.stringify(tick.scheduledTime)} is not a date`);
  }
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.overrides)) {
    checkExtensionName(name);
    extensions[name] = value;
  }
  const scheduledTime = time.toISOString();
  try {
    const id = tick.trigger === 'manual' && tick.requestId !== undefined ? manualEventId({ ...tick, requestId: tick.requestId }) : eventId(tick);
    // Bytes travel as a Uint8Array: the encoder sends them raw (binary mode) or as data_base64 (structured mode).
    const data: unknown =
      options.dataBase64 !== undefined
        ? new Uint8Array(Buffer.from(options.dataBase64, 'base64'))
        : options.data !== undefined
          ? options.data
          : ({ schedule: tick.scheduleName, sequence: tick.sequence, scheduledTime } satisfies TickEventData);
    return new CloudEvent<unknown>({
      ...extensions,
      ...(tick.trigger !== undefined ? { trigger: tick.trigger } : {}),
      specversion: '1.0',
      id,
      type: options.type,
      source: options.source,
      ...(options.subject !== undefined ? { subject: options.subject } : {}),
      time: scheduledTime,
      datacontenttype: options.contentType ?? 'application/json',
      sequence: formatSequence(tick.sequence),
      data,
    });
  } catch (error) {
    if (error instanceof EventSourceError) throw error;
    const detail = error instanceof Error ? describeSdkError(error) : String(error);
    throw new EventSourceError('EVENT_INVALID', `the event is not a valid CloudEvent: ${detail}`, { cause: error });
  }
}

function describeSdkError(error: Error): string {
  const errors = (error as { errors?: unknown }).errors;
  const first = Array.isArray(errors) ? (errors[0] as { instancePath?: string; message?: string } | undefined) : undefined;
  if (first?.message) return oneLine(`${first.instancePath ?? ''} ${first.message}`);
  return oneLine(error.message);
}
