import { EventSourceError } from './errors.js';

/**
 * Durations as users write them: short form (`500ms`, `10s`, `5m`, `1h`, `1d`, combinations such as `1m30s`,
 * decimals such as `1.5s`) and ISO-8601 (`PT10S`, `PT0.2S`, `PT1H30M`, `P1D`, `P1DT2H`, `P2W`), the form Knative's
 * `spec.delivery` uses. Result is whole milliseconds; years and months are refused (their length varies).
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

const SHORT_FORM = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const SHORT_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const ISO_FORM =
  /^P(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

export interface ParseDurationOptions {
  /** Accept a zero duration (`0`, `0s`, `PT0S`). Default false: zero is refused. */
  allowZero?: boolean;
}

/** Parses a duration into whole milliseconds. Throws EventSourceError `DURATION_INVALID` with a one-line reason. */
export function parseDuration(text: string, options: ParseDurationOptions = {}): number {
  const input = text.trim();
  const quoted = JSON.stringify(text);
  if (input === '') throw invalid(`${quoted} is empty`);
  let ms: number;
  if (/^[-+]/.test(input)) {
    throw invalid(`${quoted} is negative or signed; a duration must be positive`);
  } else if (options.allowZero && input === '0') {
    ms = 0;
  } else if (/^P/i.test(input)) {
    ms = parseIso(input.toUpperCase(), quoted);
  } else if (SHORT_FORM.test(input.toLowerCase())) {
    ms = 0;
    for (const match of input.toLowerCase().matchAll(SHORT_PART)) {
      ms += Number(match[1]) * UNIT_MS[match[2] as Unit];
    }
  } else if (/^\d+(?:\.\d+)?$/.test(input)) {
    throw invalid(`${quoted} has no unit (write e.g. ${input}s, ${input}ms or PT${input}S)`);
  } else {
    throw invalid(`${quoted} is not a duration (e.g. 500ms, 10s, 5m, 1h, 1d, 1m30s, PT10S, PT0.2S)`);
  }
  return checkRange(ms, quoted, options.allowZero === true);
}

function parseIso(input: string, quoted: string): number {
  if (/^P(?:[^T]*Y|[^T]*M)/.test(input) && !input.startsWith('PT')) {
    throw invalid(`${quoted}: ISO-8601 years and months are not supported (their length varies); use days or hours`);
  }
  const match = ISO_FORM.exec(input);
  if (!match || input === 'P' || input.endsWith('T')) {
    throw invalid(`${quoted} is not an ISO-8601 duration (e.g. PT10S, PT0.2S, PT1H30M, P1D)`);
  }
  const [, weeks, days, hours, minutes, seconds] = match;
  const part = (value: string | undefined, unit: Unit): number =>
    value === undefined ? 0 : Number(value.replace(',', '.')) * UNIT_MS[unit];
  return part(weeks, 'w') + part(days, 'd') + part(hours, 'h') + part(minutes, 'm') + part(seconds, 's');
}

function checkRange(raw: number, quoted: string, allowZero: boolean): number {
  // Decimal fractions (0.2 * 1000) are not exact in binary floating point; anything within a micro-ms is a whole ms.
  const ms = Math.round(raw);
  if (Math.abs(raw - ms) > 1e-6) throw invalid(`${quoted} is not a whole number of milliseconds`);
  if (ms === 0 && !allowZero) throw invalid(`${quoted} is zero; a duration must be positive`);
  if (!Number.isSafeInteger(ms)) throw invalid(`${quoted} is too large`);
  return ms;
}

function invalid(message: string): EventSourceError {
  return new EventSourceError('DURATION_INVALID', message);
}

/** Renders milliseconds compactly for messages: 1500 → "1.5s", 90000 → "1m30s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${rest / 1_000}s`);
  return parts.join('');
}
