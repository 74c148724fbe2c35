/**
 * The management API as the CLI calls it: one request, its JSON answer, and every failure as one line a person can act
 * on (the server's own `error` text for a refusal, the address and the setting to change when nothing answers).
 */
import { request } from 'undici';
import type { Globals } from './command-line.js';

export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface Answer {
  status: number;
  body: unknown;
}

const TIMEOUT_MS = 35_000; // a PUT may wait up to 30 s for the schedule to show its new spec

function refusal(status: number, body: unknown, text: string): string {
  if (status === 401) return '401: the key is missing or wrong: pass --key or set EVENT_SOURCE_KEY (a Functions host or function key)';
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error === 'string' && error !== '') return `${status}: ${error}`;
  const first = text.trim().split('\n', 1)[0] ?? '';
  return `${status}${first ? `: ${first.slice(0, 200)}` : ''}`;
}

function unreachable(url: string, error: unknown): CliError {
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const why = code === 'ECONNREFUSED' ? 'connection refused' : code ?? (error as Error).message;
  return new CliError(`cannot reach the event source at ${url} (${why}): is it running (npm start)? set --url or EVENT_SOURCE_URL`);
}

/** Sends one request; answers below 400 come back, anything else throws a one-line CliError. */
export async function call(globals: Globals, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, json?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (globals.key !== undefined) headers['x-functions-key'] = globals.key;
  if (json !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await request(`${globals.url}${path}`, {
      method,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
  } catch (error) {
    throw unreachable(globals.url, error);
  }
  const text = await response.body.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    body = text;
  }
  if (response.statusCode >= 400) throw new CliError(refusal(response.statusCode, body, text));
  return { status: response.statusCode, body };
}

/** A schedule's path under the API, its name encoded. */
export function schedulePath(name: string, action?: string): string {
  return `/api/schedules/${encodeURIComponent(name)}${action !== undefined ? `/${action}` : ''}`;
}
