/**
 * The sink's OIDC token (Knative `authentication-oidc`), read before each attempt and sent as the Authorization
 * header. A token file that exists but cannot be used is a retryable failed attempt: nothing is sent, the attempt is
 * counted without a status, and the reason is logged. Neither the token nor the header ever reaches a result or a
 * log line.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from '../../observability/logger.js';
import { recordAttempt, type EventSourceMetrics } from '../../observability/metrics.js';
import type { OidcTokenSource } from '../oidc-token.js';
import type { Layer } from './attempt.js';

export function authLayer(token: OidcTokenSource, logger: Logger, metrics?: EventSourceMetrics): Layer {
  return (next) => async (attempt) => {
    const read = await token.read();
    if (!read.ok) {
      logger.warn({ ...attempt.fields, reason: read.reason, retryable: true }, 'event delivery failed');
      if (metrics) recordAttempt(metrics, attempt.tick.scheduleName, undefined, undefined);
      attempt.span.setStatus({ code: SpanStatusCode.ERROR, message: read.reason });
      return { ok: false, reason: read.reason, retryable: true, durationMs: 0 };
    }
    return next({ ...attempt, headers: { ...attempt.headers, ...read.headers } });
  };
}
