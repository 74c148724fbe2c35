/**
 * The dashboard's only source of data: the management API, called with the key the user gave (kept in
 * sessionStorage, so it lasts as long as the tab) or with none in keyless local mode. URLs are relative to the
 * script (`/api/dashboard/api.js` → `/api/schedules`), so the page works under any route prefix.
 */
import { browser } from './dom.js';
import type { Page } from './paging.js';
import type { ScheduleDetail, ScheduleSummary } from './ticks.js';

const KEY_ITEM = 'durable-event-source.functions-key';

/** The API refused the key (or demanded one): the page asks for it. */
export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export function storedKey(): string | undefined {
  return browser.sessionStorage.getItem(KEY_ITEM) ?? undefined;
}

export function storeKey(key: string): void {
  browser.sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey(): void {
  browser.sessionStorage.removeItem(KEY_ITEM);
}

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = storedKey();
  if (key !== undefined) headers['x-functions-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Relative to this module (/api/dashboard/api.js), not to the page: a trailing slash in the page's URL changes nothing.
  const url = new URL(`../${path}`, import.meta.url);
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  if (response.status === 401) throw new Unauthorized(key === undefined ? 'this host demands a key' : 'the key was refused');
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: the message below quotes the status.
  }
  if (!response.ok) {
    const error = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown; message?: unknown }) : {};
    const why = typeof error.message === 'string' ? error.message : typeof error.error === 'string' ? error.error : text.slice(0, 200);
    throw new ApiError(`${method} ${path}: ${response.status} ${why}`, response.status);
  }
  return parsed;
}

/** Schedules the dashboard shows at once: the API's default page size. */
const PAGE_SIZE = 100;

/** One page of schedules (in name order, a summary each), from `token` on; a refresh reads only the page on screen. */
export async function listSchedules(token: string | undefined): Promise<Page<ScheduleSummary>> {
  const query = token === undefined ? '' : `&continuationToken=${encodeURIComponent(token)}`;
  return (await call('GET', `schedules?top=${PAGE_SIZE}${query}`)) as Page<ScheduleSummary>;
}

export async function describeSchedule(name: string): Promise<ScheduleDetail> {
  return (await call('GET', `schedules/${encodeURIComponent(name)}`)) as ScheduleDetail;
}

export type Action = 'pause' | 'resume' | 'trigger';

export async function act(name: string, action: Action): Promise<unknown> {
  const body = action === 'trigger' ? {} : { note: `${action}d from the dashboard` };
  return call('POST', `schedules/${encodeURIComponent(name)}/${action}`, body);
}
