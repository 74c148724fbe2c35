/**
 * The management API's inputs besides a schedule definition (that one is checkDefinitionFor's): the list query, the
 * `{note}` of pause and resume, the `{from, to}` of a backfill, and the list's continuation token. Each check gives
 * the value or the problems, every problem naming its field (`top: ...`, `from: ...`).
 */
import { z } from 'zod';
import { DEFINITION_LIMITS } from './schedule-definition.js';
import { instant, text } from './definition-fields.js';
import { zodProblems, type Problem } from './normalized-spec.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

function check<T>(schema: z.ZodType<T, unknown>, value: unknown): Checked<T> {
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: zodProblems(result.error) };
}

/** The `status` a schedule is listed under. */
export const LIST_STATUSES = ['running', 'paused', 'failed', 'completed'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

export const LIST_TOP_DEFAULT = 100;
export const LIST_TOP_MAX = 1_000;
/** Room for the Durable list route's token (two table keys of a schedule's instance, base64) with margin. */
const TOKEN_CHARS = 2_000;
/** The query parameter a Functions key may be presented in, on any route. */
const FUNCTIONS_KEY_PARAMETER = 'code';

export interface ListQuery {
  status?: ListStatus;
  top: number;
  /** Where the page starts: the Durable list route's own continuation token, carried inside ours. */
  page?: string;
}

const listQuerySchema = z.strictObject({
  status: z.enum(LIST_STATUSES, { error: `must be one of ${LIST_STATUSES.join(', ')}` }).optional(),
  top: z
    .string()
    .regex(/^[0-9]{1,7}$/, { error: `must be a whole number from 1 to ${LIST_TOP_MAX}` })
    .transform(Number)
    .pipe(z.number().min(1, { error: `must be a whole number from 1 to ${LIST_TOP_MAX}` }).max(LIST_TOP_MAX, { error: `must be a whole number from 1 to ${LIST_TOP_MAX}` }))
    .optional(),
  continuationToken: z
    .string()
    .max(TOKEN_CHARS, { error: 'is not a continuation token this API gave' })
    .transform((token, ctx) => {
      const page = tokenPage(token);
      if (page === undefined) ctx.addIssue({ code: 'custom', message: 'is not a continuation token this API gave' });
      return page ?? '';
    })
    .optional(),
});

/** The query of `GET /schedules`, as name → value (a repeated parameter is a problem of its own). */
export function checkListQuery(query: Iterable<[string, string]>): Checked<ListQuery> {
  const values: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const [key, value] of query) {
    // The Functions key parameter (`?code=<key>`) rides along on every route; the host has checked it already.
    if (key === FUNCTIONS_KEY_PARAMETER) continue;
    if (key in values) problems.push({ field: key, why: 'is given more than once' });
    values[key] = value;
  }
  if (problems.length > 0) return { ok: false, problems };
  const checked = check(listQuerySchema, values);
  if (!checked.ok) return checked;
  const { status, top, continuationToken } = checked.value;
  return {
    ok: true,
    value: { ...(status ? { status } : {}), top: top ?? LIST_TOP_DEFAULT, ...(continuationToken ? { page: continuationToken } : {}) },
  };
}

const TOKEN_PREFIX = 'page:';

/**
 * The token of the page that starts where the Durable list route's `page` token says (opaque to callers;
 * base64url, so it needs no escaping in a query). The route's token names the next row, so a page starts where the
 * last ended whatever was created or deleted in between.
 */
export function continuationTokenFor(page: string): string {
  return Buffer.from(`${TOKEN_PREFIX}${page}`, 'utf8').toString('base64url');
}

function tokenPage(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith(TOKEN_PREFIX)) return undefined;
  const page = decoded.slice(TOKEN_PREFIX.length);
  // The route's tokens are printable ASCII (base64, or a number in the memory store); anything else is not ours.
  return /^[\x21-\x7e]{1,1400}$/.test(page) ? page : undefined;
}

/** The body of pause and resume: optional, `{}` or `{"note": "..."}`. */
const noteSchema = z.strictObject({ note: text(DEFINITION_LIMITS.note, { multiline: true }).optional() }, { error: 'must be an object' });

export function checkNoteBody(body: unknown): Checked<{ note?: string }> {
  if (body === undefined) return { ok: true, value: {} };
  const checked = check(noteSchema, body);
  if (!checked.ok) return checked;
  return { ok: true, value: checked.value.note === undefined ? {} : { note: checked.value.note } };
}

interface BackfillRange {
  fromMs: number;
  toMs: number;
}

const backfillSchema = z
  .strictObject({ from: instant, to: instant }, { error: 'must be an object {"from": ISO, "to": ISO}' })
  .refine((range) => range.from <= range.to, { path: ['to'], error: 'is before from; a backfill covers [from, to)' });

export function checkBackfillBody(body: unknown): Checked<BackfillRange> {
  const checked = check(backfillSchema, body);
  return checked.ok ? { ok: true, value: { fromMs: checked.value.from, toMs: checked.value.to } } : checked;
}
