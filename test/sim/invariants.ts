/**
 * The README's promises as checks of one history: the sink's attempts against the model's lifetimes. Each returns
 * the violations it finds, named by invariant, with a needle (an event id or a time) to find in the history.
 */
import { eventId } from '../../src/eventsource/core/event.js';
import type { SinkAttemptRecord } from './history.js';
import { BOUNDS, type Lifetime, type Model } from './model.js';

export interface Violation {
  invariant: string;
  detail: string;
  needle?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const RETRIED = new Set([404, 408, 409, 429]);
/** An answer that ends a tick: delivered, or refused for good. */
const settles = (a: SinkAttemptRecord): boolean => typeof a.status === 'number' && (a.status < 300 || (a.status < 500 && !RETRIED.has(a.status)));

const tickIdOf = (life: Lifetime, time: number): string | undefined =>
  life.generation === undefined ? undefined : eventId({ scheduleName: life.name, generation: life.generation, scheduledTime: iso(time) });

/** The lifetime a tick attempt belongs to: the one of its schedule whose id formula gives its id. */
function lifetimeOf(model: Model, a: SinkAttemptRecord): Lifetime | undefined {
  return model.lifetimes.find((l) => l.name === a.schedule && (a.trigger === 'manual' ? l.triggers.has(a.id) : tickIdOf(l, a.time) === a.id));
}

export function checkHistory(model: Model, attempts: SinkAttemptRecord[], end: number): Violation[] {
  const out: Violation[] = [];
  out.push(...checkIdsAndTimes(model, attempts));
  for (const life of model.lifetimes) {
    const own = attempts.filter((a) => lifetimeOf(model, a) === life);
    out.push(...checkSequences(life, own), ...checkPauses(model, life, own), ...checkDelete(life, own), ...checkOwedTicks(model, life, own, end));
  }
  return out;
}

/** One id ↔ one (schedule, generation, scheduled time); nothing before its time; a backfill only of due ticks. */
function checkIdsAndTimes(model: Model, attempts: SinkAttemptRecord[]): Violation[] {
  const out: Violation[] = [];
  for (const a of attempts) {
    const life = lifetimeOf(model, a);
    // A name whose calls the model lost track of may send ids it cannot attribute (a trigger whose answer was lost).
    const lives = model.lifetimes.filter((l) => l.name === a.schedule);
    const known = lives.length > 0 && lives.every((l) => l.generation !== undefined && l.uncertainFrom === undefined);
    if (!life && known) out.push({ invariant: 'id-of-its-tick', detail: `${a.schedule} ${a.trigger ?? 'tick'} at ${iso(a.time)} has id ${a.id}, the id of no (schedule, generation, time) the API made`, needle: a.id });
    if (a.trigger === undefined && a.at < a.time) out.push({ invariant: 'not-before-scheduled-time', detail: `${a.schedule} seq ${a.sequence} for ${iso(a.time)} sent at ${iso(a.at)}`, needle: a.id });
    if (a.trigger === 'backfill' && life) {
      const asked = life.backfills.find((b) => a.time >= b.from && a.time < b.to);
      if (asked && a.time > asked.at) out.push({ invariant: 'no-id-before-its-tick-is-due', detail: `backfill of ${a.schedule} sent the id ${a.id} of the tick at ${iso(a.time)}, not due when asked at ${iso(asked.at)}`, needle: a.id });
    }
  }
  const generations = new Map<string, Set<string>>();
  for (const l of model.lifetimes) {
    if (l.generation === undefined) continue;
    const seen = generations.get(l.name) ?? new Set<string>();
    if (seen.has(l.generation)) out.push({ invariant: 'new-generation-on-recreate', detail: `${l.name} created again with generation ${l.generation}` });
    generations.set(l.name, seen.add(l.generation));
  }
  return out;
}

/** Sequences from 1, +1 per tick sent, first sends in order; one sequence ↔ one id. */
function checkSequences(life: Lifetime, own: SinkAttemptRecord[]): Violation[] {
  const out: Violation[] = [];
  const bySeq = new Map<number, string>();
  const byId = new Map<string, number>();
  const firstOrder: SinkAttemptRecord[] = [];
  for (const a of own) {
    if (a.trigger !== undefined) continue;
    const id = bySeq.get(a.sequence);
    if (id !== undefined && id !== a.id) out.push({ invariant: 'one-sequence-one-id', detail: `${life.name} sequence ${a.sequence} sent with ids ${id} and ${a.id}`, needle: a.id });
    const seq = byId.get(a.id);
    if (seq !== undefined && seq !== a.sequence) out.push({ invariant: 'one-sequence-one-id', detail: `${life.name} id ${a.id} sent with sequences ${seq} and ${a.sequence}`, needle: a.id });
    if (id === undefined && seq === undefined) firstOrder.push(a);
    bySeq.set(a.sequence, a.id);
    byId.set(a.id, a.sequence);
  }
  firstOrder.forEach((a, i) => {
    if (a.sequence !== i + 1 && out.length < 3) {
      out.push({ invariant: 'sequence-in-order-without-gaps', detail: `${life.name}: the ${i + 1}th distinct tick sent (for ${iso(a.time)}) has sequence ${a.sequence}`, needle: a.id });
    }
  });
  return out;
}

/** The end of a pause or of the lifetime, and whether the model knows what happened up to it. */
function pauseEnd(life: Lifetime, to: number | undefined): number {
  return Math.min(to ?? Infinity, life.deletedAt ?? Infinity, life.uncertainFrom ?? Infinity);
}

/** Nothing sent once a pause is applied; on resume the catch-up policy decides about the ticks it missed. */
function checkPauses(model: Model, life: Lifetime, own: SinkAttemptRecord[]): Violation[] {
  const out: Violation[] = [];
  for (const p of life.pauses) {
    if (life.uncertainFrom !== undefined && life.uncertainFrom <= p.from) continue;
    const quietFrom = p.from + BOUNDS.eventApplied;
    const end = pauseEnd(life, p.to);
    const loud = own.find((a) => a.trigger === undefined && a.at >= quietFrom && a.at < end);
    if (loud) out.push({ invariant: 'nothing-sent-while-paused', detail: `${life.name} paused at ${iso(p.from)} sent seq ${loud.sequence} (for ${iso(loud.time)}) at ${iso(loud.at)}`, needle: loud.id });
    if (p.to === undefined || end < p.to) continue;
    const missed = new Set(own.filter((a) => a.trigger === undefined && a.time >= quietFrom && a.time < p.to! - BOUNDS.onTime).map((a) => a.id));
    const policy = model.specAtResume(life, p)?.policy ?? 'all';
    if (policy === 'skip' && missed.size > 0) out.push({ invariant: 'catch-up-policy', detail: `${life.name} (catchUp skip) sent ${missed.size} tick(s) missed during its pause ${iso(p.from)}..${iso(p.to)}` });
    if (policy === 'latest' && missed.size > 1) out.push({ invariant: 'catch-up-policy', detail: `${life.name} (catchUp latest) sent ${missed.size} ticks missed during its pause ${iso(p.from)}..${iso(p.to)}` });
  }
  return out;
}

/** Nothing sent after a delete's 204. */
function checkDelete(life: Lifetime, own: SinkAttemptRecord[]): Violation[] {
  if (life.deletedAt === undefined) return [];
  const late = own.find((a) => a.at > life.deletedAt! + BOUNDS.eventApplied);
  return late ? [{ invariant: 'nothing-sent-after-delete', detail: `${life.name} deleted at ${iso(life.deletedAt)} sent ${late.id} at ${iso(late.at)}`, needle: late.id }] : [];
}

/** Is the tick at `time` excused by a pause (or owed by the `all` catch-up after it)? */
function pausedAt(life: Lifetime, time: number): 'owed' | 'excused' | 'running' {
  for (const p of life.pauses) {
    if (time < p.from) continue;
    if (p.to === undefined) return 'excused';
    if (time >= p.to + BOUNDS.eventApplied) continue;
    const policy = [...life.specs].reverse().find((s) => s.from <= p.to!)?.policy;
    return policy === 'all' && time >= p.from + BOUNDS.eventApplied && time < p.to ? 'owed' : 'excused';
  }
  return 'running';
}

/** Every due tick of a running schedule (catch-up `all`, a window longer than the history) reaches the sink. */
function checkOwedTicks(model: Model, life: Lifetime, own: SinkAttemptRecord[], end: number): Violation[] {
  if (life.generation === undefined) return [];
  // Before a DELETE, or a pause never resumed, a tick may still sit out a sink outage (up to 30 s) and its back-off
  // (a paused schedule holds its backlog until it resumes): only older ones are owed. A write whose answer was unclear
  // may have been that DELETE or pause (a DELETE answered 500 once its purge was done): the same holds before it.
  const open = life.pauses.find((p) => p.to === undefined)?.from;
  const stops = [life.deletedAt, open, life.uncertainFrom].map((at) => (at ?? Infinity) - 2 * BOUNDS.drain);
  const until = Math.min(end - BOUNDS.drain, ...stops);
  const settled = new Set(own.filter(settles).map((a) => a.id));
  const firstSent = new Map<string, number>();
  for (const a of own) if (!firstSent.has(a.id)) firstSent.set(a.id, a.at);
  const out: Violation[] = [];
  let time = life.createdAt;
  while (out.length < 3) {
    const { spec } = model.specAt(life, time);
    time = (Math.floor(time / spec.everyMs) + 1) * spec.everyMs;
    if (time > until) break;
    const here = model.specAt(life, time);
    if (here.nearChange || here.spec.policy !== 'all' || pausedAt(life, time) === 'excused') continue;
    const id = tickIdOf(life, time) as string;
    // A replaced spec applies to every tick not yet sent when it came (the backlog goes out on the new grid); a tick
    // sent once is never dropped.
    const change = life.specs.find((s) => s.from > time)?.from;
    if (change !== undefined && !((firstSent.get(id) ?? Infinity) <= change)) continue;
    if (!settled.has(id)) out.push({ invariant: 'every-due-tick-delivered', detail: `${life.name} tick at ${iso(time)} (id ${id}) never delivered or refused`, needle: 'drain:' });
  }
  return out;
}
