/**
 * One page of orchestration instances, read from the Durable HTTP API's list route (`GET instances/?top=&
 * instanceIdPrefix=`, the `x-ms-continuation-token` header), with the urls of the stock durableClient binding. The
 * stock DurableClient cannot ask for one page: its getStatusAll and getStatusBy follow every continuation token to
 * the end, which reads every instance. The route is the extension's own; the embedded host serves it the same way,
 * one page read from storage per call.
 */
import type { InvocationContext } from '@azure/functions';
import type { DurableOrchestrationStatus } from 'durable-functions';
import { clientInput } from './api-answers.js';

export const CONTINUATION_HEADER = 'x-ms-continuation-token';

export interface PageQuery {
  instanceIdPrefix: string;
  top: number;
  runtimeStatus?: readonly string[];
  continuationToken?: string;
}

export interface InstancePage {
  instances: DurableOrchestrationStatus[];
  continuationToken?: string;
}

/** The route refused the continuation token (malformed or not one it handed out). */
export class BadContinuationToken extends Error {}

/** The list route's url from the binding: the RPC base the stock client prefers, else the webhook status template. */
function listUrl(context: InvocationContext): URL {
  const data = context.extraInputs.get(clientInput) as { rpcBaseUrl?: unknown; managementUrls?: { id?: unknown; statusQueryGetUri?: unknown } } | undefined;
  if (typeof data?.rpcBaseUrl === 'string' && data.rpcBaseUrl !== '') return new URL('instances/', data.rpcBaseUrl);
  const links = data?.managementUrls;
  if (typeof links?.statusQueryGetUri === 'string' && typeof links.id === 'string') return new URL(links.statusQueryGetUri.replace(links.id, ''));
  throw new Error('the durableClient binding gave no url of the Durable HTTP API');
}

export async function readInstancePage(context: InvocationContext, query: PageQuery): Promise<InstancePage> {
  const url = listUrl(context);
  url.searchParams.set('instanceIdPrefix', query.instanceIdPrefix);
  url.searchParams.set('top', String(query.top));
  url.searchParams.set('showInput', 'false');
  if (query.runtimeStatus && query.runtimeStatus.length > 0) url.searchParams.set('runtimeStatus', query.runtimeStatus.join(','));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (query.continuationToken !== undefined) headers[CONTINUATION_HEADER] = query.continuationToken;
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status === 400 && query.continuationToken !== undefined) throw new BadContinuationToken(text.slice(0, 200));
  if (response.status !== 200) throw new Error(`the Durable HTTP API's list route answered ${response.status}: ${text.slice(0, 200)}`);
  const instances = JSON.parse(text) as DurableOrchestrationStatus[];
  const token = response.headers.get(CONTINUATION_HEADER);
  return token ? { instances, continuationToken: token } : { instances };
}
