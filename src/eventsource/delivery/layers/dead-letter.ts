/**
 * The dead-letter sink (the schedule's, else DEAD_LETTER_SINK). When an attempt fails for good (a non-retryable
 * status, or any failure on the tick's last attempt), the event goes there as Knative's dispatcher sends it
 * (../dead-letter.ts) and the result says `deadLettered`: the schedule counts it and moves on. If the dead-letter
 * sink does not take it either, the result is a retryable failure naming both, so the tick is kept and tried again.
 * An attempt not made (the sink known down) spends nothing and is never final. The OIDC token is not sent to the
 * dead-letter sink: it is issued for the sink's audience.
 */
import type { Logger } from '../../observability/logger.js';
import { deadLetterEvent } from '../dead-letter.js';
import type { Delivery } from '../deliver.js';
import type { AttemptOutcome, Layer, TickAttempt } from './attempt.js';

export function deadLetterLayer(target: Delivery, sinkDestination: string, logger: Logger): Layer {
  return (next) => async (attempt) => {
    const outcome = await next(attempt);
    if (outcome.ok || outcome.sinkDown === true) return outcome;
    const final = !outcome.retryable || attempt.lastAttempt;
    return final ? deadLetter(attempt, outcome, target, sinkDestination, logger) : outcome;
  };
}

async function deadLetter(
  attempt: TickAttempt,
  failure: Extract<AttemptOutcome, { ok: false }>,
  target: Delivery,
  sinkDestination: string,
  logger: Logger,
): Promise<AttemptOutcome> {
  const letter = deadLetterEvent(attempt.event, sinkDestination, failure);
  const outcome = await target.deliver(letter);
  const base = { ...(failure.status !== undefined ? { status: failure.status } : {}), reason: failure.reason };
  if (outcome.ok) {
    logger.warn({ ...attempt.fields, ...base, deadLetterSink: target.destination, deadLetterStatus: outcome.status }, 'event dead-lettered');
    return { ok: false, ...base, retryable: failure.retryable, deadLettered: true };
  }
  const reason = `${failure.reason}; the dead-letter sink failed too: ${outcome.reason}`;
  logger.error({ ...attempt.fields, ...base, deadLetterSink: target.destination, deadLetterReason: outcome.reason }, 'event dead-lettering failed');
  return { ok: false, ...base, reason, retryable: true };
}
