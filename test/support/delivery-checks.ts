/**
 * The guarantees of the event stream a sink receives, checked on what it actually recorded: at least once (copies
 * allowed), no gap, first copies in order, one id and one scheduled time per sequence, fixed rate.
 */
import assert from 'node:assert/strict';
import type { ReceivedEvent } from './recording-sink.js';

export interface StreamSummary {
  /** Every POST the sink answered 2xx, copies included. */
  received: number;
  /** Distinct sequences (1..distinct). */
  distinct: number;
  /** received - distinct: redeliveries of a sequence already received. */
  duplicates: number;
  /** Sequences that arrived more than once. */
  redelivered: number[];
  /** Scheduled time of sequence 1 and of the last sequence (epoch ms). */
  firstTime: number;
  lastTime: number;
}

/** Asserts the stream's guarantees (the messages say which one broke) and returns its figures. */
export function checkStream(events: readonly ReceivedEvent[], intervalMs: number): StreamSummary {
  assert.ok(events.length > 0, 'the sink received no event at all');
  for (const e of events) {
    assert.equal(Number(e.sequence), e.data.sequence, `event ${e.id}: sequence attribute ${e.sequence} and data.sequence ${e.data.sequence} differ`);
    assert.equal(e.time, e.data.scheduledTime, `event ${e.id}: time ${e.time} is not its data.scheduledTime ${e.data.scheduledTime}`);
  }

  const firstArrival: number[] = [];
  const bySequence = new Map<number, ReceivedEvent[]>();
  for (const e of events) {
    const n = e.data.sequence;
    const copies = bySequence.get(n);
    if (copies) copies.push(e);
    else {
      bySequence.set(n, [e]);
      firstArrival.push(n);
    }
  }
  const expected = firstArrival.map((_, i) => i + 1);
  const firstBad = firstArrival.findIndex((n, i) => n !== i + 1);
  assert.deepEqual(
    firstArrival,
    expected,
    `distinct sequences in order of first arrival must be 1..${expected.length} with no gap or reordering; first difference at position ${firstBad}: got ${firstArrival[firstBad]}`,
  );

  const redelivered: number[] = [];
  const ids = new Map<string, number>();
  const times: number[] = [];
  for (const n of firstArrival) {
    const copies = bySequence.get(n) as ReceivedEvent[];
    if (copies.length > 1) redelivered.push(n);
    const idsSeen = [...new Set(copies.map((c) => c.id))];
    assert.equal(idsSeen.length, 1, `sequence ${n} arrived ${copies.length} times with different ids ${idsSeen.join(', ')}: a second schedule or a new id per attempt`);
    const timesSeen = [...new Set(copies.map((c) => c.time))];
    assert.equal(timesSeen.length, 1, `sequence ${n} arrived with different scheduled times ${timesSeen.join(', ')}`);
    const id = idsSeen[0] as string;
    const other = ids.get(id);
    assert.equal(other, undefined, `sequences ${other} and ${n} carry the same id ${id}`);
    ids.set(id, n);
    times.push(Date.parse(timesSeen[0] as string));
  }
  for (let i = 1; i < times.length; i++) {
    const step = (times[i] as number) - (times[i - 1] as number);
    assert.equal(
      step,
      intervalMs,
      `scheduled times of sequences ${i} and ${i + 1} are ${step} ms apart, not ${intervalMs} ms (fixed rate, no tick lost): ` +
        `${new Date(times[i - 1] as number).toISOString()} -> ${new Date(times[i] as number).toISOString()}`,
    );
  }
  return {
    received: events.length,
    distinct: firstArrival.length,
    duplicates: events.length - firstArrival.length,
    redelivered,
    firstTime: times[0] as number,
    lastTime: times[times.length - 1] as number,
  };
}
