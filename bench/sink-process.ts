/**
 * The bench's sink, in its own process so that its work does not skew the bench's timing: a plain loopback HTTP
 * server that answers every POST 200 and records, for a CloudEvent in binary mode, its id, its sequence, its
 * schedule (the data's `schedule`), the scheduled time (`ce-time`) and the receive time. `POST /raw` is only counted
 * (the undici ceiling measurement). An outage (`outage`) answers every POST with a given status until a given time,
 * recording nothing but the refusal. Asked over IPC for summaries, so that large arrays never cross the channel.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveIpc } from './ipc-child.js';
import { outageReport, type Received } from './sink-outage-report.js';
import { summarize } from './stats.js';

let events: Received[] = [];
let raw = 0;
/** While set, POSTs received before `until` are answered `status` and not recorded; `refused` holds their times. */
let outage: { status: number; from: number; until: number } | undefined;
let refused: number[] = [];

/** The data's `schedule` (the default event data, JSON); '' when the body is something else. */
function scheduleOf(body: string): string {
  try {
    const data = JSON.parse(body) as { schedule?: unknown };
    return typeof data.schedule === 'string' ? data.schedule : '';
  } catch {
    return '';
  }
}

function answer(res: ServerResponse, status = 200): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'outage');
}

function eventOf(headers: IncomingHttpHeaders, body: string, receivedAt: number): Received {
  const time = headers['ce-time'];
  const id = headers['ce-id'];
  return {
    id: typeof id === 'string' ? id : '',
    schedule: scheduleOf(body),
    sequence: Number(headers['ce-sequence'] ?? 0),
    scheduledAt: typeof time === 'string' ? Date.parse(time) : Number.NaN,
    receivedAt,
  };
}

const server = createServer((req, res) => {
  const receivedAt = Date.now();
  if (req.url === '/raw' || req.method !== 'POST') {
    // The ceiling's requests (and anything that is no event) are only counted: their bodies are not read.
    req.resume();
    req.on('end', () => {
      if (req.url === '/raw') raw++;
      answer(res);
    });
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (outage !== undefined && receivedAt < outage.until) {
      refused.push(receivedAt);
      answer(res, outage.status);
      return;
    }
    events.push(eventOf(req.headers, Buffer.concat(chunks).toString('utf8'), receivedAt));
    answer(res);
  });
});
server.keepAliveTimeout = 30_000;

function within(args: Record<string, unknown>): Received[] {
  const from = Number(args.from ?? 0);
  const to = Number(args.to ?? Number.MAX_SAFE_INTEGER);
  return events.filter((e) => e.receivedAt >= from && e.receivedAt < to);
}

function handle(cmd: string, args: Record<string, unknown>): unknown {
  switch (cmd) {
    case 'reset':
      events = [];
      raw = 0;
      outage = undefined;
      refused = [];
      return true;
    case 'outage': {
      // Answer `status` to every POST from now for `durationMs`; says when exactly (the sink's own clock).
      const from = Date.now();
      outage = { status: Number(args.status ?? 503), from, until: from + Number(args.durationMs) };
      return { from, until: outage.until };
    }
    case 'caughtUp': {
      // How many schedules have an event scheduled at or after `at`.
      const at = Number(args.at);
      return new Set(events.filter((e) => e.scheduledAt >= at).map((e) => e.schedule)).size;
    }
    case 'outageReport':
      if (outage === undefined) throw new Error('no outage was set');
      return outageReport(events, refused, outage, Number(args.intervalMs));
    case 'raw':
      return raw;
    case 'count':
      return events.length;
    case 'window': {
      // Events received in [from, to): distinct ids, and the lateness of each (receive − scheduled time).
      const seen = within(args);
      const lateness = seen.filter((e) => Number.isFinite(e.scheduledAt)).map((e) => e.receivedAt - e.scheduledAt);
      return { received: seen.length, distinct: new Set(seen.map((e) => e.id)).size, lateness: summarize(lateness) };
    }
    case 'latest':
      // The highest sequence seen so far and when (the one-schedule tick-cost run).
      return events.reduce((best, e) => (e.sequence > best.sequence ? { sequence: e.sequence, receivedAt: e.receivedAt } : best), { sequence: 0, receivedAt: 0 });
    case 'arrivals': {
      // Receive time of the first copy of each sequence in [fromSeq, toSeq] (one schedule).
      const fromSeq = Number(args.fromSeq);
      const toSeq = Number(args.toSeq);
      const first = new Map<number, number>();
      for (const e of events) if (e.sequence >= fromSeq && e.sequence <= toSeq && !first.has(e.sequence)) first.set(e.sequence, e.receivedAt);
      return [...first.entries()].sort((a, b) => a[0] - b[0]);
    }
    case 'lateSince': {
      // Events scheduled in [from, to): how many, and the last receive time of one later than `thresholdMs`.
      const from = Number(args.from);
      const to = Number(args.to ?? Number.MAX_SAFE_INTEGER);
      const threshold = Number(args.thresholdMs);
      let count = 0;
      let lastLateAt = 0;
      let lastLateness = 0;
      const ids = new Set<string>();
      for (const e of events) {
        if (!(e.scheduledAt >= from && e.scheduledAt < to)) continue;
        count++;
        ids.add(e.id);
        const lateness = e.receivedAt - e.scheduledAt;
        if (lateness > threshold && e.receivedAt > lastLateAt) {
          lastLateAt = e.receivedAt;
          lastLateness = lateness;
        }
      }
      return { count, distinct: ids.size, lastLateAt, lastLateness };
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

server.listen(0, '127.0.0.1', () => serveIpc({ port: (server.address() as AddressInfo).port }, handle));
