/**
 * The bench's sink, in its own process so that its work does not skew the bench's timing: a plain loopback HTTP
 * server that answers every POST 200 and records, for a CloudEvent in binary mode, its id, its sequence, the
 * scheduled time (`ce-time`) and the receive time. `POST /raw` is only counted (the undici ceiling measurement).
 * Asked over IPC for summaries of a time window, so that large arrays never cross the channel.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveIpc } from './ipc-child.js';
import { summarize } from './stats.js';

interface Received {
  id: string;
  sequence: number;
  scheduledAt: number;
  receivedAt: number;
}

let events: Received[] = [];
let raw = 0;

const server = createServer((req, res) => {
  const receivedAt = Date.now();
  req.resume();
  req.on('end', () => {
    if (req.url === '/raw') raw++;
    else if (req.method === 'POST') {
      const time = req.headers['ce-time'];
      const id = req.headers['ce-id'];
      events.push({
        id: typeof id === 'string' ? id : '',
        sequence: Number(req.headers['ce-sequence'] ?? 0),
        scheduledAt: typeof time === 'string' ? Date.parse(time) : Number.NaN,
        receivedAt,
      });
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
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
      return true;
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
