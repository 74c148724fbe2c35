/**
 * The dedup window against a reference model (fast-check model-based): a plain list of (source, id, first seen),
 * oldest first, that forgets what is older than the age bound and drops the oldest past the count bound. Any
 * sequence of checks and clock moves must give the same answers and sizes as the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DedupWindow, type DedupResult, type DedupSettings } from '../../src/hello-events/dedup-window.js';
import { fuzzParameters } from '../support/fuzz.js';

interface Entry {
  readonly source: string;
  readonly id: string;
  readonly firstSeen: number;
}

class ReferenceWindow {
  entries: Entry[] = [];
  constructor(private readonly settings: DedupSettings) {}

  check(source: string, id: string, now: number): DedupResult {
    this.entries = this.entries.filter((entry) => now - entry.firstSeen < this.settings.maxAgeMs);
    const found = this.entries.find((entry) => entry.source === source && entry.id === id);
    if (found) return { duplicate: true, firstSeen: new Date(found.firstSeen) };
    this.entries.push({ source, id, firstSeen: now });
    if (this.entries.length > this.settings.maxEntries) this.entries.shift();
    return { duplicate: false };
  }
}

interface Real {
  clock: { now: number };
  window: DedupWindow;
}

class CheckCommand implements fc.Command<ReferenceWindow, Real> {
  constructor(
    readonly source: string,
    readonly id: string,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: ReferenceWindow, real: Real): void {
    const expected = model.check(this.source, this.id, real.clock.now);
    assert.deepEqual(real.window.check(this.source, this.id), expected);
    assert.equal(real.window.size, model.entries.length);
    assert.ok(real.window.size <= real.window.settings.maxEntries);
  }
  toString(): string {
    return `check(${JSON.stringify(this.source)}, ${JSON.stringify(this.id)})`;
  }
}

class AdvanceCommand implements fc.Command<ReferenceWindow, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(_model: ReferenceWindow, real: Real): void {
    real.clock.now += this.ms;
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

test('fuzz: the window answers like the reference model under any checks and clock moves', () => {
  // Few distinct values, so that duplicates, evictions and expiries all happen often.
  const text = fc.constantFrom('', 'a', 'b', 'a:b', '1', '/s', 'x\ny');
  const commands = [
    fc.tuple(text, text).map(([source, id]) => new CheckCommand(source, id)),
    fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constantFrom(99, 100, 101)).map((ms) => new AdvanceCommand(ms)),
  ];
  const settings = fc.record({ maxEntries: fc.integer({ min: 1, max: 8 }), maxAgeMs: fc.integer({ min: 1, max: 200 }) });
  fc.assert(
    fc.property(settings, fc.commands(commands, { size: '+1' }), (bounds, cmds) => {
      const clock = { now: 1_700_000_000_000 };
      const setup = () => ({ model: new ReferenceWindow(bounds), real: { clock, window: new DedupWindow(bounds, () => clock.now) } });
      fc.modelRun(setup, cmds);
    }),
    fuzzParameters({ numRuns: 300 }, 'hello-events dedup window'),
  );
});

test('(source, id) pairs that concatenate alike are told apart', () => {
  const window = new DedupWindow({ maxEntries: 10, maxAgeMs: 1_000 });
  assert.equal(window.check('a:b', 'c').duplicate, false);
  assert.equal(window.check('a', 'b:c').duplicate, false);
  assert.equal(window.check('a:b\n', 'c').duplicate, false);
  assert.equal(window.check('a:b', '\nc').duplicate, false);
  assert.equal(window.check('a:b', 'c').duplicate, true);
});

test('settings out of range are refused', () => {
  assert.throws(() => new DedupWindow({ maxEntries: 0, maxAgeMs: 1 }), RangeError);
  assert.throws(() => new DedupWindow({ maxEntries: 1.5, maxAgeMs: 1 }), RangeError);
  assert.throws(() => new DedupWindow({ maxEntries: 1, maxAgeMs: 0 }), RangeError);
  assert.throws(() => new DedupWindow({ maxEntries: 1, maxAgeMs: Number.NaN }), RangeError);
});
