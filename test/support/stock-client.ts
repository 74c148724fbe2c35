/**
 * The STOCK durable-functions DurableClient, made exactly as `df.getClient(context)` makes it in a function
 * invocation: from a durableClient input binding carrying the binding data the host (or the Durable HTTP API) gives.
 */
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

export function stockClient(bindingData: Record<string, unknown>, functionName = 'test-client'): df.DurableClient {
  const binding = df.input.durableClient();
  const context = new InvocationContext({ functionName, options: { extraInputs: [binding] } });
  context.extraInputs.set(binding, bindingData);
  return df.getClient(context);
}
