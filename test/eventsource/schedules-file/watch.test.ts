/**
 * The schedules-file watcher on real files in a temp directory: add, change and remove entries, an invalid edit (the
 * problems are reported, nothing else), the file removed and put back, a burst of writes read once, and the
 * Kubernetes ConfigMap update (a new `..data` link renamed over the old one, the old directory deleted). An edit the
 * watcher may read is a new file renamed over the old one (replaceFile), as a ConfigMap update or an editor's save
 * is: an in-place write read between its truncate and its write is an empty file. Only the burst writes in place,
 * which its long debounce covers.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planFileReconcile, readSchedulesFile, type FileRead } from '../../../src/eventsource/schedules-file/file.js';
import { watchSchedulesFile, type SchedulesFileWatch } from '../../../src/eventsource/schedules-file/watch.js';
import { replaceFile } from '../../support/replace-file.js';
import { fileText, validateTestFile, type TestEntry } from './support.js';

const a: TestEntry = { name: 'a', every: '5s' };
const b: TestEntry = { name: 'b', every: '10s' };

/** Collects the watcher's reports; `next()` waits for the next one (or fails after a while). */
function reports(): { onChange: (read: FileRead<TestEntry>) => void; next(timeoutMs?: number): Promise<FileRead<TestEntry>>; all: FileRead<TestEntry>[] } {
  const all: FileRead<TestEntry>[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  return {
    all,
    onChange(read) {
      all.push(read);
      wake?.();
    },
    async next(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (all.length <= taken) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no report within ${timeoutMs} ms (had ${all.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return all[taken++] as FileRead<TestEntry>;
    },
  };
}

function entriesOf(read: FileRead<TestEntry>): readonly TestEntry[] {
  assert.ok(read.ok, `expected entries, got ${JSON.stringify(read)}`);
  return read.entries;
}

describe('watchSchedulesFile', () => {
  let directory = '';
  let file = '';
  let watcher: SchedulesFileWatch | undefined;
  const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'schedules-watch-'));
    file = path.join(directory, 'schedules.yaml');
  });
  afterEach(async () => {
    watcher?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('reports an added, a changed and a removed entry; the plan follows', async () => {
    await writeFile(file, fileText([a]));
    const first = await readSchedulesFile(file, validateTestFile);
    const seen = reports();
    watcher = watchSchedulesFile(file, validateTestFile, seen.onChange, { since: first, debounceMs: 50 });
    await quiet(200);
    assert.equal(seen.all.length, 0, 'nothing changed since the caller read it');

    replaceFile(file, fileText([a, b]));
    const added = entriesOf(await seen.next());
    assert.deepEqual(planFileReconcile(entriesOf(first), added, [{ name: 'a', origin: 'file' }]), [{ action: 'start', entry: b }]);

    const changedB = { ...b, every: '20s' };
    replaceFile(file, fileText([a, changedB]));
    const changed = entriesOf(await seen.next());
    assert.deepEqual(planFileReconcile(added, changed, [{ name: 'a', origin: 'file' }, { name: 'b', origin: 'file' }]), [{ action: 'update', entry: changedB }]);

    replaceFile(file, fileText([changedB]));
    const removed = entriesOf(await seen.next());
    assert.deepEqual(planFileReconcile(changed, removed, [{ name: 'a', origin: 'file' }, { name: 'b', origin: 'file' }]), [{ action: 'stop', name: 'a' }]);
  });

  it('an invalid edit reports the problems (the caller keeps its schedules); the fix is reported next', async () => {
    await writeFile(file, fileText([a]));
    const seen = reports();
    watcher = watchSchedulesFile(file, validateTestFile, seen.onChange, { since: await readSchedulesFile(file, validateTestFile), debounceMs: 50 });
    replaceFile(file, 'schedules:\n  - name: a\n    every: often\n');
    const bad = await seen.next();
    assert.ok(!bad.ok);
    assert.match(bad.problems[0] ?? '', /schedules\.yaml: schedule "a": every: /);
    replaceFile(file, fileText([b]));
    assert.deepEqual(entriesOf(await seen.next()), [b]);
  });

  it('a removed file is reported as a problem, and its return as entries', async () => {
    await writeFile(file, fileText([a]));
    const seen = reports();
    watcher = watchSchedulesFile(file, validateTestFile, seen.onChange, { debounceMs: 50 });
    assert.deepEqual(entriesOf(await seen.next()), [a], 'without `since` the first read is reported');
    await rm(file);
    const gone = await seen.next();
    assert.ok(!gone.ok);
    assert.match(gone.problems[0] ?? '', /does not exist/);
    replaceFile(file, fileText([a, b]));
    assert.deepEqual(entriesOf(await seen.next()), [a, b]);
  });

  it('a burst of writes is read once, after it, with the last content', async () => {
    await writeFile(file, fileText([]));
    const seen = reports();
    watcher = watchSchedulesFile(file, validateTestFile, seen.onChange, { since: await readSchedulesFile(file, validateTestFile), debounceMs: 1_000 });
    await quiet(100); // the watcher's own first read is done
    const names = Array.from({ length: 20 }, (_, i) => `s-${i}`);
    for (let i = 1; i <= names.length; i += 1) {
      await writeFile(file, fileText(names.slice(0, i).map((name) => ({ name, every: '1s' }))));
      await quiet(5);
    }
    assert.equal(entriesOf(await seen.next()).length, 20);
    await quiet(1_200);
    assert.equal(seen.all.length, 1, `${seen.all.length} reports`);
  });

  it('an edit is read within the debounce time while a sibling file in the folder changes without pause', async () => {
    await writeFile(file, fileText([a]));
    const seen = reports();
    watcher = watchSchedulesFile(file, validateTestFile, seen.onChange, { since: await readSchedulesFile(file, validateTestFile), debounceMs: 200 });
    let busy = true;
    const sibling = (async () => {
      for (let i = 0; busy; i += 1) {
        await writeFile(path.join(directory, 'busy.log'), `line ${i}\n`);
        await quiet(20);
      }
    })();
    try {
      await quiet(300);
      assert.equal(seen.all.length, 0, 'the sibling file alone is not the schedules file');
      const edited = Date.now();
      replaceFile(file, fileText([a, b]));
      assert.deepEqual(entriesOf(await seen.next(3_000)), [a, b]);
      const took = Date.now() - edited;
      assert.ok(took < 1_000, `the edit was read ${took} ms after it, with the sibling still busy`);
    } finally {
      busy = false;
      await sibling;
    }
  });

  it('follows a Kubernetes ConfigMap update (..data renamed over, the old directory deleted), again and again', async () => {
    // The layout the kubelet makes: schedules.yaml -> ..data/schedules.yaml, ..data -> ..<timestamp>/
    const version = async (stamp: string, entries: TestEntry[]): Promise<void> => {
      await mkdir(path.join(directory, stamp));
      await writeFile(path.join(directory, stamp, 'schedules.yaml'), fileText(entries));
    };
    await version('..2030_01_01_00_00_00.1', [a]);
    await symlink('..2030_01_01_00_00_00.1', path.join(directory, '..data'));
    await symlink('..data/schedules.yaml', file);
    const seen = reports();
    watcher = watchSchedulesFile(file, validateTestFile, seen.onChange, { since: await readSchedulesFile(file, validateTestFile), debounceMs: 50 });

    const swap = async (from: string, to: string, entries: TestEntry[]): Promise<void> => {
      await version(to, entries);
      await symlink(to, path.join(directory, '..data_tmp'));
      await rename(path.join(directory, '..data_tmp'), path.join(directory, '..data'));
      await rm(path.join(directory, from), { recursive: true });
    };
    await swap('..2030_01_01_00_00_00.1', '..2030_01_01_00_01_00.2', [a, b]);
    assert.deepEqual(entriesOf(await seen.next()), [a, b]);
    await swap('..2030_01_01_00_01_00.2', '..2030_01_01_00_02_00.3', [b]);
    assert.deepEqual(entriesOf(await seen.next()), [b]);
    await quiet(300);
    assert.equal(seen.all.length, 2, 'one report per update');
  });

  it('the poll reads the file even when no event arrives', async () => {
    // A file in another directory than the watched one stands for a file system that reports nothing: the link's
    // target changes, the watched directory sees no event.
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'schedules-target-'));
    try {
      await writeFile(path.join(elsewhere, 'real.yaml'), fileText([a]));
      await symlink(path.join(elsewhere, 'real.yaml'), file);
      const seen = reports();
      watcher = watchSchedulesFile(file, validateTestFile, seen.onChange, { since: await readSchedulesFile(file, validateTestFile), debounceMs: 20, pollMs: 200 });
      replaceFile(path.join(elsewhere, 'real.yaml'), fileText([b]));
      assert.deepEqual(entriesOf(await seen.next(3_000)), [b]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('no report after close', async () => {
    await writeFile(file, fileText([a]));
    const seen = reports();
    const closing = watchSchedulesFile(file, validateTestFile, seen.onChange, { since: await readSchedulesFile(file, validateTestFile), debounceMs: 50, pollMs: 100 });
    closing.close();
    await writeFile(file, fileText([b]));
    await quiet(400);
    assert.equal(seen.all.length, 0);
  });
});
