/**
 * One attempt of one tick as the delivery layers see it, and how layers compose. A layer is `(next) => send`, like
 * undici's interceptors: it may change the attempt on the way in (headers, event), answer without calling `next`
 * (a sink known down, an unreadable token), or act on the outcome on the way out (dead-letter, metrics, logs).
 */
import type { Span } from '@opentelemetry/api';
import type { CloudEvent } from 'cloudevents';
import type { DeliveryResult, TickInput } from '../../core/schedule-state.js';

export interface TickAttempt {
  readonly tick: TickInput;
  readonly event: CloudEvent<unknown>;
  /** The tick's log fields: schedule, sequence, event id, scheduled time. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Headers of this attempt only: the trace context, the Authorization of the sink's token. */
  readonly headers: Readonly<Record<string, string>>;
  /** The attempt's span (a non-recording one until the trace layer starts it). */
  readonly span: Span;
  /** The tick's last attempt: a failure of any kind ends it. */
  readonly lastAttempt: boolean;
}

/** A result, plus what the layers between the POST and the end still need: its duration and a failure's body. */
export type AttemptOutcome = DeliveryResult & { durationMs?: number; body?: Uint8Array };

export type Send = (attempt: TickAttempt) => Promise<AttemptOutcome>;
export type Layer = (next: Send) => Send;

/** The layers around `send`, the first one outermost (it sees the attempt first and the outcome last). */
export function compose(layers: readonly Layer[], send: Send): Send {
  return layers.reduceRight((next, layer) => layer(next), send);
}
