/**
 * The core of the `SCHEDULES_FILE` reconcile: reading the file (YAML or JSON) into entries, and the plan that turns
 * the file's entries and the schedules that exist into actions. The schema of an entry belongs to the caller (a
 * `validate` function); here an entry is an object with a `name`. The file only ever acts on the schedules it
 * created (origin `file`); those created through the management API (origin `api`) are left as they are.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../core/errors.js';
import { parse as parseYaml } from 'yaml';

export interface FileEntry {
  readonly name: string;
}

/** What the caller's schema says of a parsed file: its entries, or the problems (each one line, naming entry and field). */
export type Validation<E extends FileEntry> =
  | { readonly ok: true; readonly entries: readonly E[] }
  | { readonly ok: false; readonly problems: readonly string[] };

export type Validate<E extends FileEntry> = (value: unknown) => Validation<E>;

/** A schedule that exists, and who created it. `entry` is the file entry it runs, when the caller knows it. */
export interface ExistingSchedule<E extends FileEntry = FileEntry> {
  readonly name: string;
  readonly origin: 'file' | 'api';
  readonly entry?: E;
}

export type FileAction<E extends FileEntry> =
  /** A new entry: start its schedule. */
  | { readonly action: 'start'; readonly entry: E }
  /** A changed entry: hand the running schedule its new spec from its next tick; its sequence goes on. */
  | { readonly action: 'update'; readonly entry: E }
  /** An entry gone from the file: stop its schedule. */
  | { readonly action: 'stop'; readonly name: string }
  /** An entry whose name an API-created schedule holds: the file does not touch it; the caller says so in its log. */
  | { readonly action: 'skip'; readonly name: string; readonly problem: string };

/**
 * The actions that bring the schedules in line with the file: start what is new, update what changed, stop what was
 * removed, never touch API schedules. `previous` is the file's entries at the last reconcile, or undefined for the
 * first one after a start: then a running file schedule is updated unless its `entry` is known and equal (the
 * caller's update leaves a schedule whose spec is already the same as it is). Stops come first, then updates, then
 * starts, each in name order, so a plan is the same whatever order the inputs came in.
 */
export function planFileReconcile<E extends FileEntry>(
  previous: readonly E[] | undefined,
  current: readonly E[],
  existing: readonly ExistingSchedule<E>[],
): FileAction<E>[] {
  const byName = <T extends { name: string }>(items: readonly T[]): Map<string, T> => new Map(items.map((item) => [item.name, item]));
  const before = byName(previous ?? []);
  const now = byName(current);
  const running = byName(existing);
  const stops: FileAction<E>[] = [];
  const updates: FileAction<E>[] = [];
  const starts: FileAction<E>[] = [];

  for (const schedule of existing) {
    if (schedule.origin === 'file' && !now.has(schedule.name)) stops.push({ action: 'stop', name: schedule.name });
  }
  for (const entry of current) {
    const schedule = running.get(entry.name);
    if (!schedule) {
      starts.push({ action: 'start', entry });
    } else if (schedule.origin === 'api') {
      const problem = `schedule ${JSON.stringify(entry.name)} was created through the management API; the file's entry is ignored until it is deleted there`;
      updates.push({ action: 'skip', name: entry.name, problem });
    } else {
      const known = schedule.entry ?? before.get(entry.name);
      if (known === undefined || !sameEntry(known, entry)) updates.push({ action: 'update', entry });
    }
  }
  const nameOf = (action: FileAction<E>): string => ('entry' in action ? action.entry.name : action.name);
  const inOrder = (actions: FileAction<E>[]): FileAction<E>[] => actions.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  return [...inOrder(stops), ...inOrder(updates), ...inOrder(starts)];
}

/**
 * Whether two entries say the same. Entries are JSON data (they come from a file and travel in durable state, where
 * an `undefined` field vanishes), so they are compared as JSON with sorted keys: key order, prototypes and
 * `undefined` fields make no difference.
 */
export function sameEntry(a: FileEntry, b: FileEntry): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : inner,
  );
}

/** A ConfigMap holds at most 1 MiB; a file far beyond that is a mistake, not a schedule list. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

export type FileRead<E extends FileEntry> = Validation<E> & { readonly text?: string };

/**
 * Reads and validates the schedules file. YAML 1.2 is a superset of JSON, so one parser reads both (duplicate keys
 * and alias bombs are refused by it). Every problem is one line that starts with the file's path.
 */
export async function readSchedulesFile<E extends FileEntry>(path: string, validate: Validate<E>): Promise<FileRead<E>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist (removed?)' : `cannot be read (${code ?? String(error)})`;
    return { ok: false, problems: [`${path}: ${why}`] };
  }
  if (bytes.length > MAX_FILE_BYTES) {
    return { ok: false, problems: [`${path}: the file has ${bytes.length} bytes, more than the ${MAX_FILE_BYTES} allowed`] };
  }
  const text = bytes.toString('utf8');
  const result = parseSchedulesText(text, validate);
  if (!result.ok) return { ok: false, problems: result.problems.map((problem) => `${path}: ${problem}`), text };
  return { ...result, text };
}

/** Parses and validates the text of a schedules file; the problems do not name the file. */
export function parseSchedulesText<E extends FileEntry>(text: string, validate: Validate<E>): Validation<E> {
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, logLevel: 'error' });
  } catch (error) {
    return { ok: false, problems: [`not valid YAML or JSON: ${firstLine(error)}`] };
  }
  if (document === null || document === undefined) return { ok: false, problems: ['the file is empty'] };
  let result: Validation<E>;
  try {
    result = validate(document);
  } catch (error) {
    return { ok: false, problems: [`the schema check failed: ${firstLine(error)}`] };
  }
  if (!result.ok) {
    const problems = result.problems.map((problem) => problem.replace(/\s*\n\s*/g, ' '));
    return { ok: false, problems: problems.length > 0 ? problems : ['invalid (the schema named no problem)'] };
  }
  const seen = new Set<string>();
  const repeated = result.entries.filter((entry) => seen.size === seen.add(entry.name).size).map((entry) => entry.name);
  if (repeated.length > 0) {
    return { ok: false, problems: [...new Set(repeated)].map((name) => `schedules: the name ${JSON.stringify(name)} is used more than once`) };
  }
  return result;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The yaml package's messages run on with a code frame after '... at line 2, column 1:'.
  return (message.split('\n', 1)[0] ?? message).replace(/:$/, '');
}

/**
 * SCHEDULES_FILE checked when the worker starts: a file that cannot be read or holds a bad entry stops the start with
 * one line naming the file, the entry and the field (the first problem; the count of the others). The reconciles
 * read the file again when they run: a read kept from start-up may be stale by then.
 */
export function checkSchedulesFileAtStart<E extends FileEntry>(path: string, validate: Validate<E>): void {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw new Error(`the file has ${bytes.length} bytes, more than the ${MAX_FILE_BYTES} allowed`);
    text = bytes.toString('utf8');
  } catch (error) {
    throw new ConfigError('SCHEDULES_FILE', `${path}: cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  const read = parseSchedulesText(text, validate);
  if (!read.ok) {
    const more = read.problems.length > 1 ? ` (and ${read.problems.length - 1} more problem(s))` : '';
    throw new ConfigError('SCHEDULES_FILE', `${path}: ${read.problems[0] ?? 'invalid'}${more}`);
  }
}
