/**
 * What the CLI prints: JSON and YAML as the API answered them, or a table for a person (a list as rows, a single
 * object as `field: value` lines). Pure: strings in, a string out.
 */
import { stringify } from 'yaml';
import type { Output } from './command-line.js';

type Row = Record<string, unknown>;

/** A summary's trigger (the definition's own fields) in one cell: `every 10s`, `cron 0 2 * * * Europe/Berlin`, `at …`. */
function triggerCell(row: Row): string | undefined {
  if (typeof row.every === 'string') return typeof row.offset === 'string' ? `every ${row.every} offset ${row.offset}` : `every ${row.every}`;
  if (typeof row.cron === 'string') return row.timezone !== undefined && row.timezone !== 'UTC' ? `cron ${row.cron} ${cell(row.timezone)}` : `cron ${row.cron}`;
  return typeof row.at === 'string' ? `at ${row.at}` : undefined;
}

/** The list's columns: the fields a person scans first (each a field of the list's summary); describe has the rest. */
const LIST_COLUMNS: ReadonlyArray<[string, (row: Row) => unknown]> = [
  ['NAME', (row) => row.name],
  ['STATUS', (row) => row.status],
  ['ORIGIN', (row) => row.origin],
  ['SCHEDULE', triggerCell],
  ['NEXT FIRE', (row) => row.nextFireTime ?? row.resumesFrom],
  ['LAST', (row) => (row.lastDelivery as Row | undefined)?.outcome],
];

/** A value as one cell or word: a string as it is, anything else as JSON, nothing as `-`. */
export function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Rows under a header, each column as wide as its widest cell. */
export function table(rows: readonly Row[], columns = LIST_COLUMNS): string {
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, get]) => cell(get(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]?.length ?? 0)));
  return cells.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** An object as `field: value` lines; nested values as compact JSON. */
export function fields(object: Row): string {
  const width = Math.max(0, ...Object.keys(object).map((key) => key.length));
  return Object.entries(object)
    .map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${cell(value)}`)
    .join('\n');
}

export function render(value: unknown, output: Output, shape: 'list' | 'object'): string {
  if (output === 'json') return JSON.stringify(value, null, 2);
  if (output === 'yaml') return stringify(value).trimEnd();
  if (shape === 'list' && Array.isArray(value)) return value.length === 0 ? 'no schedules' : table(value as Row[]);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return fields(value as Row);
  return cell(value);
}
