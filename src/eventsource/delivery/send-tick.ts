import type { Logger } from 'pino';
import { buildEvent, type EventOptions } from '../event.js';
import type { DeliveryResult, TickInput } from '../schedule-state.js';
import { deadLetterEvent, type LastFailure } from './dead-letter.js';
import type { Delivery, DeliveryOutcome } from './deliver.js';
import type { OidcTokenSource } from './oidc-token.js';

export interface TickSender {
  delivery: Delivery;
  /** The dead-letter sink (the schedule's, else DEAD_LETTER_SINK); absent: a tick whose attempts ran out is kept. */
  deadLetter?: Delivery;
  /** The OIDC token file, re-read before each attempt (Knative `authentication-oidc`). */
  oidcToken: OidcTokenSource;
  event: EventOptions;
  logger: Logger;
}

export interface SendOptions {
  /** This is the tick's last attempt: a failure of any kind ends it (to the dead-letter sink, if one is set). */
  lastAttempt?: boolean;
}

/**
 * One attempt to post one tick's CloudEvent, as the delivery activity makes it: reads the OIDC token, delivers, logs
 * the outcome. An OIDC token file that exists but cannot be used is a retryable failed attempt (nothing is sent).
 * Neither the token nor the Authorization header ever reaches a result or a log line.
 *
 * When the attempt fails for good (a non-retryable status, or any failure on the last attempt) and a dead-letter
 * sink is set, the event goes there (dead-letter.ts) and the result says `deadLettered`: the schedule counts it
 * and moves on. If the dead-letter sink does not take it either, the result is a retryable failure naming both, so
 * the tick is kept and tried again, as without a dead-letter sink. The OIDC token is not sent to the dead-letter
 * sink: it is issued for the sink's audience.
 */
export async function sendTick(tick: TickInput, sender: TickSender, options: SendOptions = {}): Promise<DeliveryResult> {
  const event = buildEvent(tick, sender.event);
  const fields = { schedule: tick.scheduleName, sequence: tick.sequence, id: event.id, scheduledTime: tick.scheduledTime };
  const token = await sender.oidcToken.read();
  let failure: Extract<DeliveryOutcome, { ok: false }> | undefined;
  let oidc = false;
  if (!token.ok) {
    sender.logger.warn({ ...fields, reason: token.reason, retryable: true }, 'event delivery failed');
    failure = { ok: false, reason: token.reason, retryable: true, durationMs: 0 };
  } else {
    oidc = token.headers['authorization'] !== undefined;
    const outcome = await sender.delivery.deliver(event, { headers: token.headers });
    if (outcome.ok) {
      sender.logger.info({ ...fields, status: outcome.status, durationMs: outcome.durationMs, oidc }, 'event delivered');
      return { ok: true, status: outcome.status };
    }
    failure = outcome;
    sender.logger.warn(
      { ...fields, status: outcome.status, reason: outcome.reason, retryable: outcome.retryable, durationMs: outcome.durationMs, oidc },
      'event delivery failed',
    );
  }
  const { durationMs: _duration, body, ...result } = failure;
  const final = !result.retryable || options.lastAttempt === true;
  if (!final || sender.deadLetter === undefined) return result;
  return deadLetter(event, sender.deadLetter, sender, fields, { ...result, ...(body !== undefined ? { body } : {}) });
}

async function deadLetter(
  event: ReturnType<typeof buildEvent>,
  target: Delivery,
  sender: TickSender,
  fields: Record<string, unknown>,
  failure: LastFailure & { retryable: boolean; retryAfterMs?: number },
): Promise<DeliveryResult> {
  const letter = deadLetterEvent(event, sender.delivery.destination, failure);
  const outcome = await target.deliver(letter);
  const base = { ...(failure.status !== undefined ? { status: failure.status } : {}), reason: failure.reason };
  if (outcome.ok) {
    sender.logger.warn(
      { ...fields, ...base, deadLetterSink: target.destination, deadLetterStatus: outcome.status },
      'event dead-lettered',
    );
    return { ok: false, ...base, retryable: failure.retryable, deadLettered: true };
  }
  const reason = `${failure.reason}; the dead-letter sink failed too: ${outcome.reason}`;
  sender.logger.error({ ...fields, ...base, deadLetterSink: target.destination, deadLetterReason: outcome.reason }, 'event dead-lettering failed');
  return { ok: false, ...(failure.status !== undefined ? { status: failure.status } : {}), reason, retryable: true };
}
