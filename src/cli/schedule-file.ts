/**
 * `schedules apply -f FILE`: the SCHEDULES_FILE format (YAML or JSON, `{defaults?, schedules: [...]}`), read and
 * checked by the same code the host uses for SCHEDULES_FILE, giving each schedule's definition with the defaults
 * merged, ready to PUT. Every problem is reported at once, each naming the entry and the field.
 */
import { readFile } from 'node:fs/promises';
import { parseSchedulesDocument, withDefaults } from '../eventsource/core/schedules-document.js';
import { MAX_FILE_BYTES, parseSchedulesText, type Validate } from '../eventsource/schedules-file/file.js';
import { CliError } from './api-client.js';

type Json = Record<string, unknown>;

interface FileDefinition {
  name: string;
  /** The entry as written with the defaults merged under it: what the API's PUT takes (durations as text). */
  definition: Json;
}

/** Checked as the host checks SCHEDULES_FILE; each entry is sent as written, with the document's defaults merged. */
const validate: Validate<FileDefinition> = (value) => {
  const checked = parseSchedulesDocument(value);
  if (!checked.ok) return checked;
  const document = value as { defaults?: Json; schedules: Json[] };
  return { ok: true, entries: document.schedules.map((entry, i) => ({ name: checked.entries[i]?.name ?? String(entry.name), definition: withDefaults(entry, document.defaults ?? {}) })) };
};

export async function readDefinitions(file: string): Promise<readonly FileDefinition[]> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_FILE_BYTES) throw new CliError(`${file}: ${bytes.length} bytes, more than the ${MAX_FILE_BYTES} allowed`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const checked = parseSchedulesText(text, validate);
  if (!checked.ok) throw new CliError(checked.problems.map((problem) => `${file}: ${problem}`).join('\n'));
  return checked.entries;
}
