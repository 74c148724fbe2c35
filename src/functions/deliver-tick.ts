/** The delivery activity: one attempt to post one tick's CloudEvent to the sink (and, when it ends the tick, to the dead-letter sink). */
import * as df from 'durable-functions';
import { appServices } from './app-root.js';
import { DELIVERY_ACTIVITY } from './shared/names.js';

df.app.activity(DELIVERY_ACTIVITY, { handler: appServices().deliverTick });
