/** What the layer tests share: one tick's attempt as sendTick starts it, and a `next` that records what reached it. */
import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import { buildEvent } from '../../../../src/eventsource/core/event.js';
import type { TickInput } from '../../../../src/eventsource/core/schedule-state.js';
import type { AttemptOutcome, Send, TickAttempt } from '../../../../src/eventsource/delivery/layers/attempt.js';

export const tick: TickInput = { scheduleName: 'nightly', generation: '2030-01-01T00:00:00.000Z', sequence: 4, scheduledTime: '2030-01-01T02:30:00.000Z' };

export function attemptOf(overrides: Partial<TickAttempt> = {}): TickAttempt {
  const event = buildEvent(tick, { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} });
  return {
    tick,
    event,
    fields: { schedule: tick.scheduleName, sequence: tick.sequence, id: event.id, scheduledTime: tick.scheduledTime },
    headers: {},
    span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
    lastAttempt: false,
    ...overrides,
  };
}

/** A `next` answering `outcome`, keeping every attempt that reached it. */
export function answering(outcome: AttemptOutcome): Send & { seen: TickAttempt[] } {
  const seen: TickAttempt[] = [];
  const send = (attempt: TickAttempt): Promise<AttemptOutcome> => {
    seen.push(attempt);
    return Promise.resolve(outcome);
  };
  return Object.assign(send, { seen });
}
