/**
 * A stand-in schema for the schedules-file tests: the real one (zod, src/eventsource/schedule*.ts) is written
 * elsewhere; the reconcile core only needs entries with a name and a validate function that names the problems.
 */
import { z } from 'zod';
import type { Validation } from '../../../src/eventsource/schedules-file/file.js';

export interface TestEntry {
  readonly name: string;
  readonly every: string;
  readonly note?: string;
}

const entrySchema = z.object({ name: z.string().regex(/^[a-z0-9-]+$/), every: z.string().regex(/^\d+s$/), note: z.string().optional() }).strict();
const fileSchema = z.object({ schedules: z.array(entrySchema) }).strict();

export function validateTestFile(value: unknown): Validation<TestEntry> {
  const result = fileSchema.safeParse(value);
  if (result.success) return { ok: true, entries: result.data.schedules };
  const names = (value as { schedules?: { name?: unknown }[] } | null)?.schedules;
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const [, index, ...field] = issue.path;
      const name = typeof index === 'number' ? names?.[index]?.name : undefined;
      const where = typeof name === 'string' ? `schedule ${JSON.stringify(name)}: ` : '';
      return `${where}${field.length > 0 ? field.join('.') : issue.path.join('.')}: ${issue.message}`;
    }),
  };
}

export function fileText(entries: readonly TestEntry[], format: 'yaml' | 'json' = 'yaml'): string {
  if (format === 'json') return JSON.stringify({ schedules: entries });
  const lines = entries.flatMap((entry) => [`  - name: ${entry.name}`, `    every: ${entry.every}`, ...(entry.note ? [`    note: ${JSON.stringify(entry.note)}`] : [])]);
  return entries.length === 0 ? 'schedules: []\n' : `schedules:\n${lines.join('\n')}\n`;
}
