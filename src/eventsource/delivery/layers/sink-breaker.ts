/**
 * The sink breaker (../sink-breaker.ts) at its two places in an attempt. `admitLayer`, outside the token and the
 * POST: an origin known down is answered at once, nothing sent, and the tick keeps its attempts; a failure while the
 * origin is down says when to come back (the probe interval). `recordLayer`, right around the POST: what a real
 * attempt showed goes to the breaker, and the origin going down or coming back is logged.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from '../../observability/logger.js';
import { signalOf, type SinkBreaker } from '../sink-breaker.js';
import type { Layer } from './attempt.js';

export interface BreakerPlace {
  breaker: SinkBreaker;
  /** The sink's origin. */
  origin: string;
  logger: Logger;
  /** The breaker's clock (epoch ms). */
  now: () => number;
}

/** `mayProbe` false: while the origin is down, this attempt is answered at once even when a probe is due. */
export function admitLayer({ breaker, origin, logger, now }: BreakerPlace, mayProbe = true): Layer {
  return (next) => async (attempt) => {
    const admission = breaker.admit(origin, now(), mayProbe);
    if (!admission.send) {
      const reason = `sink ${origin} is down since ${new Date(admission.since).toISOString()} (${admission.lastReason}); not sent`;
      attempt.span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      logger.debug({ ...attempt.fields, reason }, 'event delivery deferred');
      return { ok: false, reason, retryable: true, sinkDown: true, sinkDownRetryMs: breaker.probeIntervalMs };
    }
    const outcome = await next(attempt);
    // A real attempt (a probe, or the failure that marked the origin down): a normal attempt that also says so.
    return !outcome.ok && breaker.isDown(origin) ? { ...outcome, sinkDownRetryMs: breaker.probeIntervalMs } : outcome;
  };
}

export function recordLayer({ breaker, origin, logger, now }: BreakerPlace): Layer {
  return (next) => async (attempt) => {
    const outcome = await next(attempt);
    const transition = breaker.record(origin, signalOf(outcome), now(), outcome.ok ? '' : outcome.reason);
    if (transition?.kind === 'down') {
      logger.warn({ origin, reason: transition.reason }, 'sink down: attempts wait for a probe to succeed');
    } else if (transition?.kind === 'up') {
      logger.info({ origin, downMs: transition.downMs }, 'sink up again');
    }
    return outcome;
  };
}
