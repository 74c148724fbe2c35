/**
 * The storage (a persistent Azurite) goes away for 10 s while a 1 s schedule runs, and comes back on the same port
 * and folder. The host is not restarted: it must ride out the outage without exiting, recover by itself, and continue
 * the sequence with no gap, delivering the ticks of the outage late and in order. Twice: a clean stop (every
 * acknowledged write kept), and a crash that loses Azurite's last unsaved seconds (the lost steps are redone).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { freePort, startAzurite, type RunningAzurite } from '../../src/host/storage/azurite.js';
import { checkStream } from '../support/delivery-checks.js';
import { HostProcess, until, scheduleSettings } from '../support/host-process.js';
import { RecordingSink, type ReceivedEvent } from '../support/recording-sink.js';

const OUTAGE_MS = 10_000;
/** Azurite's table service keeps its data in this LokiJS file under `location`. */
const DB_FILE = '__azurite_db_table__.json';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * How the storage goes down. `stop`: SIGTERM, Azurite exits keeping every acknowledged write (an outage). `crash`:
 * kill -9 after at least one save; LokiJS saves every 5 s, so it comes back with data up to 5 s old: the host's latest
 * steps are gone and their deliveries are made again, with the same ids (a harsher failure than real storage has).
 */
type Outage = 'stop' | 'crash';

async function storageOutage(t: TestContext, outage: Outage): Promise<void> {
  const began = Date.now();
  const location = mkdtempSync(path.join(tmpdir(), 'storage-outage-'));
  let azurite: RunningAzurite | undefined;
  let host: HostProcess | undefined;
  const sink = new RecordingSink();
  try {
    const tablePort = await freePort();
    azurite = await startAzurite({ location, tablePort });
    await sink.start();
    host = await HostProcess.start({
      port: await freePort(),
      label: 'host',
      env: scheduleSettings(azurite.connectionString, sink.url, outage === 'stop' ? 'StorageOutage' : 'StorageCrash'),
    });
    const running = host;
    await sink.waitFor(3, 20_000);

    let savedAt = 0;
    if (outage === 'crash') {
      // Only after a save that holds deliveries: a crash before the first save would wipe the task hub.
      const third = (sink.events[2] as ReceivedEvent).receivedAt;
      const file = path.join(location, DB_FILE);
      await until('Azurite to save its data after the third delivery', () => {
        const mtime = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
        return mtime > third ? mtime : undefined;
      }, 15_000, 20);
      savedAt = Date.now();
      await sleep(Math.round(Math.random() * 4_000));
    }
    const outageStart = Date.now();
    const linesBefore = running.lines.length;
    if (outage === 'crash') await azurite.kill();
    else await azurite.stop();
    const down = Date.now();
    // The host must stay up the whole time (checked twice a second).
    while (Date.now() - outageStart < OUTAGE_MS) {
      assert.ok(running.running, `the host exited during the storage outage: ${JSON.stringify(running.exit)}\n${running.tail()}`);
      await sleep(500);
    }
    const health = await running.getJson<{ status: string }>('/api/healthz');
    assert.equal(health.status, 200, 'the host still answers its probe while the storage is down');
    const outageLines = running.lines.slice(linesBefore);
    azurite = await startAzurite({ location, tablePort });
    const outageEnd = Date.now();

    await until(
      'the host to recover and deliver ticks scheduled 3 s after the storage came back',
      () => (sink.events.some((e) => Date.parse(e.time) >= outageEnd + 3_000) ? true : undefined),
      40_000,
    );
    assert.ok(running.running, `the host exited after the storage outage: ${JSON.stringify(running.exit)}\n${running.tail()}`);
    const recovered = sink.events.find((e) => e.receivedAt >= outageEnd)?.receivedAt ?? Date.now();

    const instances = await running.getJson<Array<{ name: string; runtimeStatus: string }>>('/runtime/webhooks/durabletask/instances');
    assert.equal(instances.status, 200);
    // Between two ticks the instance is briefly ContinuedAsNew; both mean the schedule is alive.
    assert.deepEqual(
      instances.body.map((i) => [i.name, i.runtimeStatus === 'ContinuedAsNew' ? 'Running' : i.runtimeStatus]),
      [['scheduleOrchestrator', 'Running']],
      'exactly one schedule instance, running',
    );
    const schedule = await running.getJson<{ counters: { skipped: number } }>('/api/schedules/default');
    assert.equal(schedule.status, 200);
    assert.equal(schedule.body.counters.skipped, 0, 'the outage (10 s) is shorter than the catch-up window (60 s): no tick may be skipped');
    await running.stop();

    const summary = checkStream(sink.events, 1_000);
    assert.ok(summary.firstTime < outageStart && summary.lastTime > outageEnd, 'ticks before and after the outage were delivered');
    const outageTicks = new Set(
      sink.events.filter((e) => Date.parse(e.time) >= down && Date.parse(e.time) < outageEnd).map((e) => e.data.sequence),
    );
    const outageSeconds = Math.floor((outageEnd - down) / 1000);
    assert.ok(outageTicks.size >= outageSeconds, `every second of the ${outageSeconds} s outage has its tick (${outageTicks.size} distinct)`);

    const accepted = new Set(sink.events.map((e) => `${e.data.sequence}/${e.id}`));
    for (const record of running.records()) {
      if (record.msg !== 'event delivered') continue;
      assert.ok(accepted.has(`${String(record.sequence)}/${String(record.id)}`), `the host logged sequence ${String(record.sequence)} as delivered, but the sink never got it`);
    }
    const warnings = outageLines.filter((line) => /"level":(40|50|"warn"|"error")/.test(line)).length;

    t.diagnostic(`storage down ${((outageEnd - down) / 1000).toFixed(1)} s; the host logged ${outageLines.length} lines (${warnings} warnings/errors) meanwhile and stayed up`);
    t.diagnostic(`first event after the storage came back: ${((recovered - outageEnd) / 1000).toFixed(1)} s; ticks of the outage delivered: ${outageTicks.size}`);
    t.diagnostic(`events received: ${summary.received}, distinct: ${summary.distinct}, duplicates: ${summary.duplicates} [${summary.redelivered.join(', ')}]`);
    if (outage === 'crash') t.diagnostic(`killed ${((outageStart - savedAt) / 1000).toFixed(1)} s after a save: the duplicates are the deliveries whose record was lost`);
    t.diagnostic(`whole test ${((Date.now() - began) / 1000).toFixed(1)} s`);
  } catch (error) {
    if (host) console.error(host.tail(80));
    console.error(`sink received: ${sink.events.map((e) => `${e.data.sequence}@${e.time.slice(11)}`).join(' ')}`);
    throw error;
  } finally {
    await host?.dispose();
    await sink.stop();
    await azurite?.kill();
    rmSync(location, { recursive: true, force: true });
  }
}

test('storage down 10 s and back: the host rides it out and the sequence continues with no gap', { timeout: 120_000 }, (t) =>
  storageOutage(t, 'stop'),
);

test('storage crashes (kill -9, loses its last unsaved seconds) and is back after 10 s: redeliveries with the same ids, no gap', { timeout: 120_000 }, (t) =>
  storageOutage(t, 'crash'),
);
