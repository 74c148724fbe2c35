/**
 * The schedules-file reconcile core: the plan (new starts, removed stops, changed updates, API schedules left
 * alone), checked by example and against a model of the schedules it is applied to; and the reader, on real files
 * (YAML and JSON, invalid entries, parse errors, duplicate names, a missing file), fuzzed for one-line problems.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  parseSchedulesText,
  planFileReconcile,
  readSchedulesFile,
  sameEntry,
  type ExistingSchedule,
  type FileAction,
} from '../../../src/eventsource/schedules-file/file.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { fileText, validateTestFile, type TestEntry } from './support.js';

type FileEntryLike = { name: string } & Record<string, unknown>;

const a: TestEntry = { name: 'a', every: '5s' };
const b: TestEntry = { name: 'b', every: '10s' };
const c: TestEntry = { name: 'c', every: '15s' };

describe('planFileReconcile', () => {
  it('starts a new entry, stops a removed one, updates a changed one, leaves an unchanged one', () => {
    const existing: ExistingSchedule<TestEntry>[] = [
      { name: 'a', origin: 'file' },
      { name: 'b', origin: 'file' },
      { name: 'old', origin: 'file' },
    ];
    const changedB = { ...b, every: '20s' };
    const plan = planFileReconcile([a, b, { name: 'old', every: '1s' }], [c, changedB, a], existing);
    assert.deepEqual(plan, [
      { action: 'stop', name: 'old' },
      { action: 'update', entry: changedB },
      { action: 'start', entry: c },
    ]);
  });

  it('never touches a schedule created through the API, whether the file names it or not', () => {
    const existing: ExistingSchedule<TestEntry>[] = [
      { name: 'a', origin: 'api' },
      { name: 'api-only', origin: 'api' },
    ];
    const plan = planFileReconcile([], [a], existing);
    assert.equal(plan.length, 1);
    const [skip] = plan;
    assert.equal(skip?.action, 'skip');
    assert.ok(skip?.action === 'skip' && skip.name === 'a' && /management API/.test(skip.problem));
  });

  it('the first reconcile after a start updates running file schedules unless their entry is known and equal', () => {
    const plan = planFileReconcile(undefined, [a, b], [
      { name: 'a', origin: 'file' },
      { name: 'b', origin: 'file', entry: { ...b } },
    ]);
    assert.deepEqual(plan, [{ action: 'update', entry: a }]);
  });

  it('a known running entry outranks the previous file (a change made while the file said otherwise)', () => {
    const running = { ...a, every: '7s' };
    assert.deepEqual(planFileReconcile([a], [a], [{ name: 'a', origin: 'file', entry: running }]), [{ action: 'update', entry: a }]);
  });

  it('an entry equal but for key order, prototype or an undefined field is unchanged', () => {
    const reordered = JSON.parse('{"every":"5s","name":"a"}') as TestEntry;
    const bare = Object.assign(Object.create(null) as object, a, { note: undefined }) as TestEntry;
    assert.deepEqual(planFileReconcile([a], [reordered], [{ name: 'a', origin: 'file' }]), []);
    assert.deepEqual(planFileReconcile([a], [bare], [{ name: 'a', origin: 'file' }]), []);
    assert.equal(sameEntry({ name: 'a', x: { p: 1, q: [1, { r: 2, s: 3 }] } } as FileEntryLike, { x: { q: [1, { s: 3, r: 2 }], p: 1 }, name: 'a' } as FileEntryLike), true);
    assert.equal(sameEntry({ name: 'a', x: [1, 2] } as FileEntryLike, { name: 'a', x: [2, 1] } as FileEntryLike), false);
  });

  it('fuzz: applied to the schedules, the plan makes the file schedules what the file says and leaves API ones', () => {
    const names = fc.constantFrom<string>('a', 'b', 'c', 'd', 'e', 'f');
    const entry = fc.record({ name: names, every: fc.constantFrom('1s', '2s'), note: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }) }, { requiredKeys: ['name', 'every'] });
    const entries = fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 6 });
    const existingSchedules = fc.uniqueArray(
      fc.record({ name: names, origin: fc.constantFrom<'file' | 'api'>('file', 'api'), entry: fc.option(entry, { nil: undefined }) }),
      { selector: (e) => e.name, maxLength: 6 },
    ).map((list) => list.map((s): ExistingSchedule<TestEntry> => (s.entry ? { ...s, entry: { ...s.entry, name: s.name } } : { name: s.name, origin: s.origin })));
    fc.assert(
      fc.property(fc.option(entries, { nil: undefined }), entries, existingSchedules, (previous, current, existing) => {
        const plan = planFileReconcile(previous, current, existing);
        const before = new Map((previous ?? []).map((e) => [e.name, e]));
        // What each schedule runs, as far as the planner can know it; 'unknown' must be updated to match.
        const world = new Map<string, { origin: 'file' | 'api'; spec: TestEntry | 'unknown' }>(
          existing.map((s) => [s.name, { origin: s.origin, spec: s.entry ?? before.get(s.name) ?? 'unknown' }]),
        );
        const api = existing.filter((s) => s.origin === 'api');
        for (const action of plan) apply(world, action);
        for (const s of api) assert.equal(world.get(s.name)?.origin, 'api', s.name);
        const fileNames = [...world].filter(([, s]) => s.origin === 'file').map(([name]) => name).sort();
        const expected = current.map((e) => e.name).filter((name) => !api.some((s) => s.name === name)).sort();
        assert.deepEqual(fileNames, expected);
        for (const e of current) {
          const spec = world.get(e.name);
          if (spec?.origin === 'file') assert.ok(spec.spec !== 'unknown' && sameEntry(spec.spec, e), e.name);
        }
        // Minimal: an update only where the spec differs, a skip only for an API name in the file.
        for (const action of plan) {
          if (action.action !== 'update') continue;
          const known = existing.find((s) => s.name === action.entry.name)?.entry ?? before.get(action.entry.name);
          assert.ok(known === undefined || !sameEntry(known, action.entry), `needless update of ${action.entry.name}`);
        }
        // The same plan whatever order the inputs came in.
        assert.deepEqual(planFileReconcile(previous && [...previous].reverse(), [...current].reverse(), [...existing].reverse()), plan);
      }),
      fuzzParameters({ numRuns: 500 }, 'schedules-file plan'),
    );
  });
});

function apply(world: Map<string, { origin: 'file' | 'api'; spec: TestEntry | 'unknown' }>, action: FileAction<TestEntry>): void {
  switch (action.action) {
    case 'stop':
      assert.equal(world.get(action.name)?.origin, 'file', `stop ${action.name}`);
      world.delete(action.name);
      return;
    case 'start':
      assert.ok(!world.has(action.entry.name), `start ${action.entry.name}`);
      world.set(action.entry.name, { origin: 'file', spec: action.entry });
      return;
    case 'update':
      assert.equal(world.get(action.entry.name)?.origin, 'file', `update ${action.entry.name}`);
      world.set(action.entry.name, { origin: 'file', spec: action.entry });
      return;
    case 'skip':
      assert.equal(world.get(action.name)?.origin, 'api', `skip ${action.name}`);
  }
}

describe('readSchedulesFile', () => {
  let directory = '';
  const file = async (name: string, text: string): Promise<string> => {
    directory ||= await mkdtemp(path.join(tmpdir(), 'schedules-file-'));
    const where = path.join(directory, name);
    await writeFile(where, text);
    return where;
  };
  after(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('reads YAML and JSON alike', async () => {
    const yamlPath = await file('s.yaml', fileText([a, b]));
    const jsonPath = await file('s.json', fileText([a, b], 'json'));
    for (const where of [yamlPath, jsonPath]) {
      const read = await readSchedulesFile(where, validateTestFile);
      assert.ok(read.ok, JSON.stringify(read));
      assert.deepEqual(read.entries, [a, b]);
    }
  });

  it('an invalid entry: one line per problem, naming the file, the entry and the field', async () => {
    const where = await file('bad.yaml', 'schedules:\n  - name: a\n    every: 5s\n  - name: b\n    every: soon\n');
    const read = await readSchedulesFile(where, validateTestFile);
    assert.equal(read.ok, false);
    assert.ok(!read.ok);
    assert.equal(read.problems.length, 1);
    assert.match(read.problems[0] ?? '', new RegExp(`^${escape(where)}: schedule "b": every: `));
  });

  it('a YAML error names the file and the line; a duplicate key, several documents and an empty file are refused', async () => {
    const cases: [string, RegExp][] = [
      ['schedules:\n  - name: a\n   every: 5s\n', /not valid YAML or JSON: .* at line 3, column 1$/],
      ['schedules: []\nschedules: []\n', /Map keys must be unique at line 2/],
      ['schedules: []\n---\nschedules: []\n', /multiple documents/],
      ['{"schedules": [}', /not valid YAML or JSON/],
      ['# nothing here\n', /the file is empty$/],
      ['', /the file is empty$/],
      ['schedules:\n  - name: a\n    every: 5s\n  - name: a\n    every: 6s\n', /the name "a" is used more than once$/],
    ];
    for (const [text, expected] of cases) {
      const where = await file('case.yaml', text);
      const read = await readSchedulesFile(where, validateTestFile);
      assert.ok(!read.ok, text);
      assert.equal(read.problems.length, 1, text);
      assert.ok(read.problems[0]?.startsWith(`${where}: `), read.problems[0]);
      assert.match(read.problems[0] ?? '', expected);
    }
  });

  it('a missing file is a problem, not an exception', async () => {
    directory ||= await mkdtemp(path.join(tmpdir(), 'schedules-file-'));
    const read = await readSchedulesFile(path.join(directory, 'absent.yaml'), validateTestFile);
    assert.ok(!read.ok);
    assert.match(read.problems[0] ?? '', /absent\.yaml: the file does not exist/);
  });

  it('fuzz: any text is read into entries or refused with one-line problems, never an exception', () => {
    const yamlish = fc.oneof(
      fc.string(),
      fc.json(),
      fc.array(fc.constantFrom('schedules:', '  - name: a', '    every: 5s', '  - ', '&x [1]', '*x', 'a: b', '---', '{', '"', '!!binary x', '? ', '\t'), { maxLength: 12 }).map((lines) => lines.join('\n')),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        const result = parseSchedulesText(text, validateTestFile);
        if (result.ok) return;
        assert.ok(result.problems.length > 0);
        for (const problem of result.problems) assert.ok(!problem.includes('\n') && problem.length > 0, JSON.stringify(problem));
      }),
      fuzzParameters({ numRuns: 500 }, 'schedules-file text'),
    );
  });

  it('an alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const result = parseSchedulesText(bomb, validateTestFile);
    assert.ok(!result.ok);
    assert.match(result.problems[0] ?? '', /alias|not valid YAML/i);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
