import type { RuntimeStatus } from '../../durable/index.js';
import { HttpApiError } from './errors.js';

export const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Pending',
  'Suspended',
];

/** Query parameter names are matched case-insensitively, as ASP.NET does for the extension. */
export function param(query: URLSearchParams, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of query) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

const MIN_STORABLE_DATE = Date.UTC(1601, 0, 1);
const MAX_STORABLE_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function badParam(name: string, problem: string): HttpApiError {
  return new HttpApiError(400, 'INVALID_QUERY_PARAMETER', `${name}: ${problem}`);
}

export function dateParam(query: URLSearchParams, name: string): Date | undefined {
  const raw = param(query, name);
  if (raw === undefined || raw === '') return undefined;
  // The stock client sends toISOString() unencoded; a '+' offset arrives as a space after form decoding.
  const date = new Date(raw.trim().replace(/ (\d\d:?\d\d)$/, '+$1'));
  if (Number.isNaN(date.getTime())) throw badParam(name, 'must be an ISO 8601 date-time');
  // The table service's DateTime range; a date outside it would be refused by storage, not by us.
  if (date.getTime() < MIN_STORABLE_DATE || date.getTime() > MAX_STORABLE_DATE) throw badParam(name, 'must be between the years 1601 and 9999');
  return date;
}

/** Accepts comma-separated lists and repeated parameters; names are case-insensitive, as .NET enum parsing is. */
export function runtimeStatusParam(query: URLSearchParams, name: string): RuntimeStatus[] | undefined {
  const wanted = name.toLowerCase();
  const found: RuntimeStatus[] = [];
  for (const [key, value] of query) {
    if (key.toLowerCase() !== wanted) continue;
    for (const part of value.split(',')) {
      const trimmed = part.trim();
      if (trimmed === '') continue;
      const status = RUNTIME_STATUSES.find((s) => s.toLowerCase() === trimmed.toLowerCase());
      if (!status) throw badParam(name, `unknown runtime status '${trimmed.slice(0, 64)}' (expected one of ${RUNTIME_STATUSES.join(', ')})`);
      if (!found.includes(status)) found.push(status);
    }
  }
  return found.length > 0 ? found : undefined;
}

/**
 * A boolean as .NET's bool.TryParse reads it (how the extension reads restartWithNewInstanceId): "true"/"false" in
 * any letter case, surrounding white space and trailing NUL characters ignored; anything else is undefined.
 */
export function dotnetBoolean(raw: string): boolean | undefined {
  const value = raw.replace(/\u0000+$/, '').trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/*
 * The extension's reading of the read-only routes' parameters (TryParse, the value ignored when it does not parse):
 * the status and list routes, and the wait of a start. Destructive routes (purge) keep the strict readers above: an
 * ignored filter there would delete more than the caller asked for.
 */

/** showHistory, showInput ...: a boolean as bool.TryParse reads it, else the default. */
export function lenientBooleanParam(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const raw = param(query, name);
  return (raw === undefined ? undefined : dotnetBoolean(raw)) ?? fallback;
}

/** top: a positive integer (int.TryParse), else undefined (the default page size). */
export function lenientPositiveIntParam(query: URLSearchParams, name: string): number | undefined {
  const raw = param(query, name)?.trim();
  if (raw === undefined || !/^\+?\d{1,10}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= 1 && value <= 2_147_483_647 ? value : undefined;
}

/** createdTimeFrom/To of a list: a date-time the task hub can hold, else undefined (no filter). */
export function lenientDateParam(query: URLSearchParams, name: string): Date | undefined {
  try {
    return dateParam(query, name);
  } catch {
    return undefined;
  }
}

/** runtimeStatus of a list: the names it knows (comma-separated or repeated); the others are skipped. */
export function lenientRuntimeStatusParam(query: URLSearchParams, name: string): RuntimeStatus[] | undefined {
  const wanted = name.toLowerCase();
  const found: RuntimeStatus[] = [];
  for (const [key, value] of query) {
    if (key.toLowerCase() !== wanted) continue;
    for (const part of value.split(',')) {
      const status = RUNTIME_STATUSES.find((s) => s.toLowerCase() === part.trim().toLowerCase());
      if (status !== undefined && !found.includes(status)) found.push(status);
    }
  }
  return found.length > 0 ? found : undefined;
}

/** timeout / pollingInterval: seconds (double.TryParse), else undefined (no wait). */
export function lenientSecondsParam(query: URLSearchParams, name: string): number | undefined {
  const raw = param(query, name)?.trim();
  if (raw === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
