import { CloudEvent } from 'cloudevents';
import { EventSourceError, oneLine } from './errors.js';
import { checkExtensionName } from './ce-overrides.js';
import { isValidScheduleName } from './schedule-name.js';
import { URL_NAMESPACE, uuidV5 } from './uuid-v5.js';

export { parseCeOverrides, checkExtensionName, SPEC_ATTRIBUTES, RESERVED_EXTENSIONS } from './ce-overrides.js';

/** One scheduled occurrence. Everything in it is decided by the orchestrator, so it is identical on every replay. */
export interface Tick {
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
  /** Extension attributes from K_CE_OVERRIDES. */
  overrides: Record<string, string>;
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
 * The event id of a tick: a name-based (v5) UUID of `${scheduleName}/${generation}/${sequence}`. The same tick gets
 * the same id on every retry and redelivery (sinks can deduplicate on it); different ticks get different ids.
 */
export function eventId(tick: Pick<Tick, 'scheduleName' | 'generation' | 'sequence'>): string {
  // The '/'-joined name is unambiguous only if the parts cannot contain '/'.
  if (!isValidScheduleName(tick.scheduleName)) {
    throw new EventSourceError('EVENT_INVALID', `schedule name ${JSON.stringify(tick.scheduleName)} is not valid`);
  }
  if (tick.generation === '' || tick.generation.includes('/')) {
    throw new EventSourceError('EVENT_INVALID', `generation ${JSON.stringify(tick.generation)} is not valid`);
  }
  formatSequence(tick.sequence);
  return uuidV5(`${tick.scheduleName}/${tick.generation}/${tick.sequence}`, EVENT_ID_NAMESPACE);
}

/**
 * Builds the CloudEvent of a tick. Pure (id and time are given, so the SDK reads no clock and draws no random id).
 * Throws EventSourceError (`CE_OVERRIDES_INVALID` naming the attribute, or `EVENT_INVALID`).
 */
export function buildEvent(tick: Tick, options: EventOptions): CloudEvent<TickEventData> {
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
    return new CloudEvent<TickEventData>({
      ...extensions,
      specversion: '1.0',
      id: eventId(tick),
      type: options.type,
      source: options.source,
      time: scheduledTime,
      datacontenttype: 'application/json',
      sequence: formatSequence(tick.sequence),
      data: { schedule: tick.scheduleName, sequence: tick.sequence, scheduledTime },
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
