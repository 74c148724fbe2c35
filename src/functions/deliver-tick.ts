/** The delivery activity: one attempt to post one tick's CloudEvent to the sink. */
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { createDelivery } from '../eventsource/delivery/deliver.js';
import { createOidcTokenSource } from '../eventsource/delivery/oidc-token.js';
import { sendTick } from '../eventsource/delivery/send-tick.js';
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

// Re-read before every attempt: Knative rotates the token.
const oidcToken = createOidcTokenSource(config.oidcTokenFile);

export const deliverTick: ActivityHandler = async (tick: TickInput): Promise<DeliveryResult> =>
  sendTick(tick, {
    delivery,
    oidcToken,
    event: { type: config.ceType, source: config.ceSource, overrides: config.ceOverrides },
    logger,
  });

df.app.activity(DELIVERY_ACTIVITY, { handler: deliverTick });
