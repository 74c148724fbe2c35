/**
 * Reading a normalised spec back from outside the pure core (an orchestration input or status, a reschedule event:
 * anyone with a Durable API key can write those). The shape is checked first, then the content by the one definition
 * schema: the spec's describe view must parse to exactly this spec. So a spec read back satisfies every rule a
 * definition does, without a second copy of the rules.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { checkDefinition, describeSpec, problemLine, type NormalizedSpec } from './normalized-spec.js';

const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const instant = z.number().int().min(-8_640_000_000_000_000).max(8_640_000_000_000_000);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const shape = z.strictObject({
  name: z.string(),
  trigger: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('every'), everyMs: ms, offsetMs: ms }),
    z.strictObject({ kind: z.literal('cron'), expression: z.string(), timeZone: z.string() }),
    z.strictObject({ kind: z.literal('at'), atMs: instant }),
  ]),
  startAtMs: instant.optional(),
  endAtMs: instant.optional(),
  maxCount: count.optional(),
  jitterMs: ms,
  paused: z.boolean(),
  note: z.string().optional(),
  event: z.strictObject({
    type: z.string(),
    source: z.string(),
    subject: z.string().optional(),
    data: z.unknown().optional(),
    dataBase64: z.string().optional(),
    contentType: z.string().optional(),
    extensions: z.record(z.string(), z.string()),
    mode: z.enum(['binary', 'structured']),
  }),
  sink: z.string().optional(),
  oidcTokenFile: z.string().optional(),
  catchUp: z.strictObject({ windowMs: ms, policy: z.enum(['all', 'latest', 'skip']) }),
  overlap: z.enum(['bufferAll', 'bufferOne', 'skip']),
  pauseOnFailure: count.optional(),
  delivery: z.strictObject({
    retry: count,
    backoffPolicy: z.enum(['exponential', 'linear']),
    backoffDelayMs: ms,
    maxBackoffMs: ms,
    timeoutMs: ms,
    deadLetterSink: z.string().optional(),
  }),
});

type SpecReadBack = { ok: true; spec: NormalizedSpec } | { ok: false; problem: string };

/**
 * Specs found valid, by their JSON text. An orchestration reads its spec back on every episode of every tick (three
 * per tick), and the full check (the definition schema on its describe view) cost 6 % of the host's CPU per tick in
 * the bench's profile. A valid spec is deep-equal to what the check returns, so the same text is the same verdict.
 */
const validTexts = new Set<string>();
const VALID_TEXTS_MAX = 20_000;

/** A normalised spec from outside, or the first problem (`delivery.retry: ...`). */
export function checkNormalizedSpec(value: unknown): SpecReadBack {
  const text = JSON.stringify(value);
  if (text !== undefined && validTexts.has(text)) return { ok: true, spec: value as NormalizedSpec };
  const checked = checkUncached(value);
  if (checked.ok && text !== undefined) {
    if (validTexts.size >= VALID_TEXTS_MAX) validTexts.clear();
    validTexts.add(text);
  }
  return checked;
}

function checkUncached(value: unknown): SpecReadBack {
  const parsed = shape.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${issue?.path.join('.') || '(the spec)'}: ${issue?.message ?? 'invalid'}` };
  }
  const spec = parsed.data as NormalizedSpec;
  const checked = checkDefinition(describeSpec(spec, { redact: false }));
  if (!checked.ok) return { ok: false, problem: problemLine(checked.problems[0] ?? { field: '', why: 'invalid' }) };
  // Anything the definition would have written differently (a non-canonical zone or URL, an unsorted field) is not
  // a spec this code made.
  if (!isDeepStrictEqual(checked.spec, value)) return { ok: false, problem: '(the spec): is not in normalised form' };
  return { ok: true, spec: checked.spec };
}
