/**
 * What every management endpoint shares: the answer shapes, the JSON body, and the `{name}` of the path resolved to
 * the schedule's instance and who created it.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { problemLine, type Problem } from '../../eventsource/core/normalized-spec.js';
import { isValidScheduleName } from '../../eventsource/core/schedule-name.js';
import { originKindOf, type OriginKind } from '../../eventsource/core/schedule-origin.js';
import { asScheduleStatus } from '../../eventsource/core/schedule-schema.js';
import { findInstance } from './instances.js';
import { instanceIdFor } from './names.js';

export const clientInput = df.input.durableClient();

export function problem(status: number, message: string): HttpResponseInit {
  return { status, jsonBody: { error: message } };
}

/** A 400 whose `error` is the first problem's line and `problems` all of them, each naming its field. */
export function badRequest(problems: readonly Problem[]): HttpResponseInit {
  const first = problems[0];
  return { status: 400, jsonBody: { error: first ? problemLine(first) : 'invalid request', problems } };
}

/** A value, or the answer that ends the request. */
export type Or<T> = { ok: true; value: T } | { ok: false; answer: HttpResponseInit };

const refuse = (answer: HttpResponseInit): { ok: false; answer: HttpResponseInit } => ({ ok: false, answer });

/** The request's JSON body; undefined when it has none. */
export async function jsonBody(request: HttpRequest): Promise<Or<unknown>> {
  const text = await request.text();
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return refuse(badRequest([{ field: 'body', why: 'is not valid JSON' }]));
  }
}

const NAME_RULE = 'name: a schedule name is 1-63 characters of a-z, 0-9 and -, starting with a letter or digit';

/** The `{name}` of the path when it is a valid schedule name, else the 400. */
export function pathName(request: HttpRequest): Or<string> {
  const name = request.params.name;
  return name && isValidScheduleName(name) ? { ok: true, value: name } : refuse(problem(400, NAME_RULE));
}

/** Who created a schedule: its marker's kind (checked with the app's origin key), or undefined when no starter of this app made it. */
export function originOf(originKey: Buffer, name: string, status: DurableOrchestrationStatus): OriginKind | undefined {
  const custom = asScheduleStatus(status.customStatus);
  if (!custom || custom.name !== name) return undefined;
  return originKindOf(originKey, name, custom.generation, custom.origin);
}

export interface FoundSchedule {
  name: string;
  instanceId: string;
  client: DurableClient;
  status: DurableOrchestrationStatus;
}

/** Resolves the `{name}` of a request to its schedule's instance, or to the 400/404 answer. */
export async function lookup(request: HttpRequest, context: InvocationContext): Promise<Or<FoundSchedule>> {
  const named = pathName(request);
  if (!named.ok) return named;
  const name = named.value;
  const client = df.getClient(context);
  const instanceId = instanceIdFor(name);
  const status = await findInstance(client, instanceId);
  if (!status) return refuse(problem(404, `no schedule named ${name}`));
  return { ok: true, value: { name, instanceId, client, status } };
}
