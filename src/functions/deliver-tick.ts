/** The delivery activity: one attempt to post one tick's CloudEvent to the sink. */
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { createDelivery } from '../eventsource/delivery/deliver.js';
import { buildEvent } from '../eventsource/event.js';
import type { DeliveryResult, TickInput } from '../eventsource/schedule-state.js';
import { DELIVERY_ACTIVITY } from './shared/names.js';
import { config, logger } from './shared/settings.js';

// One pooled keep-alive dispatcher per worker process.
const delivery = createDelivery({
  sink: config.sink,
  mode: config.ceMode,
  timeoutMs: config.delivery.timeoutMs,
  ...(config.caCerts ? { caCerts: config.caCerts } : {}),
});

export const deliverTick: ActivityHandler = async (tick: TickInput): Promise<DeliveryResult> => {
  const event = buildEvent(tick, { type: config.ceType, source: config.ceSource, overrides: config.ceOverrides });
  const outcome = await delivery.deliver(event);
  const fields = { schedule: tick.scheduleName, sequence: tick.sequence, id: event.id, scheduledTime: tick.scheduledTime };
  if (outcome.ok) {
    logger.info({ ...fields, status: outcome.status, durationMs: outcome.durationMs }, 'event delivered');
    return { ok: true, status: outcome.status };
  }
  logger.warn(
    { ...fields, status: outcome.status, reason: outcome.reason, retryable: outcome.retryable, durationMs: outcome.durationMs },
    'event delivery failed',
  );
  const { durationMs: _duration, ...result } = outcome;
  return result;
};

df.app.activity(DELIVERY_ACTIVITY, { handler: deliverTick });
