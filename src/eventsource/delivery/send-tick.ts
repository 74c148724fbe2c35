import type { Logger } from 'pino';
import { buildEvent, type EventOptions } from '../event.js';
import type { DeliveryResult, TickInput } from '../schedule-state.js';
import type { Delivery } from './deliver.js';
import type { OidcTokenSource } from './oidc-token.js';

export interface TickSender {
  delivery: Delivery;
  /** The OIDC token file, re-read before each attempt (Knative `authentication-oidc`). */
  oidcToken: OidcTokenSource;
  event: EventOptions;
  logger: Logger;
}

/**
 * One attempt to post one tick's CloudEvent, as the delivery activity makes it: reads the OIDC token, delivers, logs
 * the outcome. An OIDC token file that exists but cannot be used is a retryable failed attempt (nothing is sent).
 * Neither the token nor the Authorization header ever reaches a result or a log line.
 */
export async function sendTick(tick: TickInput, sender: TickSender): Promise<DeliveryResult> {
  const event = buildEvent(tick, sender.event);
  const fields = { schedule: tick.scheduleName, sequence: tick.sequence, id: event.id, scheduledTime: tick.scheduledTime };
  const token = await sender.oidcToken.read();
  if (!token.ok) {
    sender.logger.warn({ ...fields, reason: token.reason, retryable: true }, 'event delivery failed');
    return { ok: false, reason: token.reason, retryable: true };
  }
  const oidc = token.headers['authorization'] !== undefined;
  const outcome = await sender.delivery.deliver(event, { headers: token.headers });
  if (outcome.ok) {
    sender.logger.info({ ...fields, status: outcome.status, durationMs: outcome.durationMs, oidc }, 'event delivered');
    return { ok: true, status: outcome.status };
  }
  sender.logger.warn(
    { ...fields, status: outcome.status, reason: outcome.reason, retryable: outcome.retryable, durationMs: outcome.durationMs, oidc },
    'event delivery failed',
  );
  const { durationMs: _duration, ...result } = outcome;
  return result;
}
