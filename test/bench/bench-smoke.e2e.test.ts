/**
 * The bench's smoke run (BENCH_QUICK=1) as `npm run bench` runs it, so that the bench cannot rot: it must finish,
 * and produce every figure with a sane value. It never fails for poor figures: goals are the bench's business.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

interface Figure {
  id: string;
  value: number | null;
  goal: string | null;
  met: boolean | null;
  details?: Record<string, unknown>;
}

interface Results {
  date: string;
  node: string;
  machine: { cpus: number; memoryBytes: number; os: string };
  figures: Figure[];
}

function runQuickBench(out: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'bench', 'main.js')], {
    cwd: root,
    env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const EXPECTED = [
  'lateness.azurite.1',
  'largestOnTime.azurite',
  'lateness.proxy10ms.1',
  'largestOnTime.proxy10ms',
  'ticksPerSecond',
  'rawPostCeiling',
  'ticksToCeiling',
  'groupedCommits',
  'callsPerTick',
  'tickCost',
  'file.lateness',
  'engine.memory',
  'engine.memory.threads',
  'threads.azurite',
  'many.start',
  'many.rss',
  'many.peakRss',
  'many.recovery',
  'many.idleCalls',
  'many.100000.start',
  'many.100000.rss',
  'many.100000.peakRss',
  'many.100000.recovery',
  'many.100000.idleCalls',
  'npmStart.ready',
  'npmStart.firstEvent',
  'sinkOutage.20.recovery',
  'sinkOutage.20.resumed',
  'sinkOutage.20.drain',
  'sinkOutage.20.lost',
  'sinkOutage.20.doubled',
  'sinkOutage.20.order',
  'sinkOutage.20.reported',
  'listing.top1',
  'listing.top1.hostCpu',
];

test('npm run bench, smoke run: every figure is produced, with sane values', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'des-bench-smoke-'));
  try {
    const out = path.join(dir, 'results.json');
    const { code, output } = await runQuickBench(out);
    assert.equal(code, 0, `the bench exits 0\n${output.slice(-3000)}`);
    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    assert.ok(!Number.isNaN(Date.parse(results.date)));
    assert.match(results.node, /^v\d+/);
    assert.ok(results.machine.cpus > 0 && results.machine.memoryBytes > 0 && results.machine.os.length > 0);

    const byId = new Map(results.figures.map((f) => [f.id, f]));
    for (const id of EXPECTED) assert.ok(byId.has(id), `figure ${id} is reported`);
    for (const figure of results.figures) {
      // A figure with a goal says whether it is met (true or false, never left open).
      if (figure.goal !== null) assert.equal(typeof figure.met, 'boolean', `${figure.id} has a verdict`);
    }

    for (const figure of results.figures.filter((f) => f.id.startsWith('lateness.') || f.id.startsWith('engine.memory') || f.id === 'threads.azurite')) {
      const level = figure.details as { mode: string; delivered: number; lateness: { count: number; p50Ms: number; p99Ms: number; maxMs: number }; hostPeakRssMb: number | null; callsPerTick: number | null; stepsPerTransaction: number | null };
      assert.ok(level.delivered > 0, `${figure.id}: events were delivered`);
      // On Azure Tables every step commits in a transaction, alone or with others of its partition.
      if (level.mode !== 'memory') assert.ok((level.stepsPerTransaction ?? 0) >= 1, `${figure.id}: steps per transaction counted`);
      assert.ok((level.hostPeakRssMb ?? 0) > 0, `${figure.id}: the host's peak RSS is shown`);
      assert.ok(level.lateness.count > 0 && level.lateness.p50Ms <= level.lateness.p99Ms && level.lateness.p99Ms <= level.lateness.maxMs, `${figure.id}: lateness percentiles in order`);
    }
    const value = (id: string): number => {
      const v = byId.get(id)?.value;
      assert.equal(typeof v, 'number', `${id} has a value`);
      return v as number;
    };
    assert.ok(value('callsPerTick') > 0, 'storage calls per tick are counted');
    assert.ok(value('ticksPerSecond') > 0);
    assert.ok(value('rawPostCeiling') > 0);
    const commits = byId.get('groupedCommits')?.details as { alone: { azuriteMs: number }; grouped: { azuriteMs: number } };
    assert.ok(value('groupedCommits') > 0 && commits.alone.azuriteMs > 0 && commits.grouped.azuriteMs >= 0, 'Azurite CPU per commit of each shape measured');
    assert.ok(value('file.lateness') >= 0, 'the schedules of the file delivered');
    assert.equal((byId.get('file.lateness')?.details as { schedules: number; delivered: number }).delivered > 0, true, 'events from the file');
    for (const id of ['engine.memory', 'engine.memory.threads']) {
      assert.equal((byId.get(id)?.details as { callsPerTick: number }).callsPerTick, 0, `${id}: the engine alone makes no storage calls`);
    }
    for (const prefix of ['many', 'many.100000']) {
      assert.ok(value(`${prefix}.rss`) > 0);
      // Sampled every 250 ms from outside, the waiting RSS by the host itself: the peak may miss its last few pages.
      assert.ok(value(`${prefix}.peakRss`) >= 0.9 * value(`${prefix}.rss`), `${prefix}: the peak is at least the waiting RSS`);
      assert.ok(value(`${prefix}.idleCalls`) >= 0);
      const { takeoverS, watchS } = byId.get(`${prefix}.rss`)?.details as { takeoverS: number | null; watchS: number };
      assert.ok(takeoverS !== null && takeoverS >= 0 && takeoverS < watchS, `${prefix}: the new host armed every wake time within the watch (${takeoverS} s)`);
    }
    assert.ok(value('npmStart.ready') > 0, 'npm start became ready');
    assert.ok(value('npmStart.firstEvent') >= value('npmStart.ready'), 'the first event came after ready');
    // The sink outage: the sink was used again after it, and what the host said of it was read.
    assert.ok(value('sinkOutage.20.recovery') >= 0, 'a 2xx delivery after the outage');
    assert.ok(value('sinkOutage.20.doubled') >= 0 && value('sinkOutage.20.lost') >= 0, 'events lost and doubled are counted');
    const outage = byId.get('sinkOutage.20.recovery')?.details as { report: { refusedPosts: number; received: number }; during: { health: string } };
    assert.ok(outage.report.refusedPosts > 0 && outage.report.received > 0, 'the sink refused POSTs during the outage and took events');
    assert.ok(['ok', 'degraded'].includes(outage.during.health), 'healthz was read during the outage');
    const listing = byId.get('listing.top1')?.details as { steps: { schedules: number; p50Ms: number }[] };
    assert.equal(listing.steps.length, 2, 'top=1 timed at two hub sizes');
    assert.ok(listing.steps[0]?.schedules === 10 && (listing.steps[1]?.schedules ?? 0) > 10, 'among 10, then among more (1,000)');
    assert.ok(listing.steps.every((s) => s.p50Ms > 0));
    const tick = byId.get('tickCost')?.details as { reachedTick: number; earlyCpuMsPerTick: number | null };
    assert.ok(tick.reachedTick > 10, 'the one-schedule run got past tick 10');
    assert.match(output, /\| figure +\| measured +\| goal +\| met +\|/, 'the table is printed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
