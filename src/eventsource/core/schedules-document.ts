/**
 * A schedules document, the `{defaults, schedules: [...]}` shape of SCHEDULES_FILE (after YAML or JSON parsing,
 * which is the file reader's job). Every entry is checked by the one definition schema with the defaults merged
 * under it, and every problem is reported, each on one line naming the entry and the field:
 * `schedules[2] (nightly).cron: "0 61 * * *" is not a cron expression: ...`.
 *
 * How defaults merge: a field the entry gives wins; `event`, `catchUp` and `delivery` merge field by field (the
 * entry's `event.data` and `event.extensions` replace the defaults' whole, and its `event.data` or `event.dataBase64`
 * replaces the defaults' data in either form). An entry that gives its own `every`,
 * `cron` or `at` takes none of the defaults' every, offset, cron or at; a default `timezone` applies to cron
 * entries only.
 */
import { z } from 'zod';
import {
  checkDefinition,
  fieldPath,
  problemLine,
  zodProblems,
  type CheckOptions,
  type NormalizedSpec,
} from './normalized-spec.js';
import { definitionFields, type ScheduleDefinition } from './schedule-definition.js';
import { isValidScheduleName } from './schedule-name.js';

/** Most entries in one document: a typo that repeats a list must not make the host start millions of schedules. */
export const MAX_SCHEDULES = 10_000;

interface ScheduleEntry {
  name: string;
  definition: ScheduleDefinition;
  spec: NormalizedSpec;
}

export type DocumentCheck = { ok: true; entries: ScheduleEntry[] } | { ok: false; problems: string[] };

const defaultsSchema = z.strictObject(definitionFields, { error: 'must be an object' });

const MERGED_OBJECTS = ['event', 'catchUp', 'delivery'] as const;
const TRIGGER_KEYS = ['every', 'offset', 'cron', 'at'] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a whole document: the entries with their names and normalised specs, or every problem found (the bad
 * defaults, each bad entry, each duplicate name). Nothing is half-accepted: one problem refuses the document.
 */
export function parseSchedulesDocument(value: unknown, options: CheckOptions = {}): DocumentCheck {
  if (!isObject(value)) return { ok: false, problems: ['the document must be an object with a schedules list ({defaults?, schedules: [...]})'] };
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'defaults' && key !== 'schedules') problems.push(`${key}: unknown field (a document has defaults and schedules)`);
  }
  const defaults = checkDefaults(value['defaults'], problems);
  const list = value['schedules'];
  if (!Array.isArray(list)) {
    problems.push(list === undefined ? 'schedules: is required (a list, possibly empty)' : 'schedules: must be a list');
    return { ok: false, problems };
  }
  if (list.length > MAX_SCHEDULES) {
    problems.push(`schedules: has ${list.length} entries; at most ${MAX_SCHEDULES}`);
    return { ok: false, problems };
  }
  const entries: ScheduleEntry[] = [];
  const firstIndex = new Map<string, number>();
  list.forEach((raw: unknown, index) => {
    const label = entryLabel(raw, index);
    if (!isObject(raw)) {
      problems.push(`${label}: must be an object with a name and one of every, cron or at`);
      return;
    }
    const checked = checkDefinition(withDefaults(raw, defaults), options);
    if (!checked.ok) {
      problems.push(...checked.problems.map((problem) => problemLine(problem, label)));
      return;
    }
    const earlier = firstIndex.get(checked.spec.name);
    if (earlier !== undefined) {
      problems.push(`${label}.name: duplicate of schedules[${earlier}]; names must be unique`);
      return;
    }
    firstIndex.set(checked.spec.name, index);
    entries.push({ name: checked.spec.name, definition: checked.definition, spec: checked.spec });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, entries };
}

/** `schedules[2] (nightly)`, or `schedules[2]` when the entry has no usable name. */
function entryLabel(raw: unknown, index: number): string {
  const name = isObject(raw) ? raw['name'] : undefined;
  const shown = typeof name === 'string' && isValidScheduleName(name) ? ` (${name})` : '';
  return `${fieldPath(['schedules', index])}${shown}`;
}

/** The raw defaults block when it is valid; its problems go to `problems` (and then no defaults are merged). */
function checkDefaults(raw: unknown, problems: string[]): Json {
  if (raw === undefined || raw === null) return {};
  if (isObject(raw) && 'name' in raw) {
    problems.push('defaults.name: not allowed (defaults apply to every entry; each entry has its own name)');
    return {};
  }
  const parsed = defaultsSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...zodProblems(parsed.error).map((problem) => problemLine(problem, 'defaults')));
    return {};
  }
  return raw as Json;
}

/** The entry over the defaults, by the rules in the header. Works on the raw values, before the schema. */
export function withDefaults(entry: Json, defaults: Json): Json {
  const base: Json = { ...defaults };
  if (TRIGGER_KEYS.some((key) => key !== 'offset' && entry[key] !== undefined)) {
    for (const key of TRIGGER_KEYS) delete base[key];
  }
  const merged: Json = { ...base, ...entry };
  for (const key of MERGED_OBJECTS) {
    if (isObject(base[key]) && isObject(entry[key])) merged[key] = { ...base[key], ...entry[key] };
  }
  const entryEvent = entry['event'];
  if (isObject(base['event']) && isObject(entryEvent) && (entryEvent['data'] !== undefined || entryEvent['dataBase64'] !== undefined)) {
    // The data is one fact in two forms: the entry's replaces the defaults', whichever form each gave.
    const { data: _data, dataBase64: _bytes, ...rest } = base['event'];
    merged['event'] = { ...rest, ...entryEvent };
  }
  if (entry['timezone'] === undefined && merged['cron'] === undefined) delete merged['timezone'];
  return merged;
}
