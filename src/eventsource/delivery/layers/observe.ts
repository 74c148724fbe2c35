/**
 * What a sent attempt shows: counted (eventsource_delivery_attempts_total, eventsource_delivery_duration_seconds),
 * the response status on the span and the span's status, one log line (`oidc`: whether a token went with it).
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from '../../observability/logger.js';
import { recordAttempt, type EventSourceMetrics } from '../../observability/metrics.js';
import type { Layer } from './attempt.js';

export function observeLayer(logger: Logger, metrics?: EventSourceMetrics): Layer {
  return (next) => async (attempt) => {
    const oidc = attempt.headers['authorization'] !== undefined;
    const outcome = await next(attempt);
    const { fields, span } = attempt;
    if (metrics) recordAttempt(metrics, attempt.tick.scheduleName, outcome.status, outcome.durationMs);
    if (outcome.status !== undefined) span.setAttribute('http.response.status_code', outcome.status);
    if (outcome.ok) {
      logger.info({ ...fields, status: outcome.status, durationMs: outcome.durationMs, oidc }, 'event delivered');
      return outcome;
    }
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
    logger.warn(
      { ...fields, status: outcome.status, reason: outcome.reason, retryable: outcome.retryable, durationMs: outcome.durationMs, oidc },
      'event delivery failed',
    );
    return outcome;
  };
}
