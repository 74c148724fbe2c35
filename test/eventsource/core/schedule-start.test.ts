/**
 * The seam between a normalised spec and the orchestration's state (schedule-start.ts), the origin kinds bound into
 * the marker (schedule-origin.ts), and the schedules file's entry rules for the starter (schedules-file/entries.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDefinition, type NormalizedSpec } from '../../../src/eventsource/core/normalized-spec.js';
import { hasOrigin, originKeyFrom, originKindOf, originMarker, ORIGIN_KINDS } from '../../../src/eventsource/core/schedule-origin.js';
import { newScheduleStateFor } from '../../../src/eventsource/core/schedule-start.js';
import { fileScheduleValidator } from '../../../src/eventsource/schedules-file/entries.js';

function spec(definition: Record<string, unknown>): NormalizedSpec {
  const checked = checkDefinition({ name: 'x', ...definition });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.spec;
}

test('origin kinds: each kind has its own marker, the env one is the marker from before kinds, another key has none', () => {
  const key = originKeyFrom('account\nsecret');
  const other = originKeyFrom('account\nother');
  const generation = '2026-01-01T00:00:00.000Z';
  const markers = ORIGIN_KINDS.map((kind) => originMarker(key, 'nightly', generation, kind));
  assert.equal(new Set(markers).size, 3);
  for (const [i, kind] of ORIGIN_KINDS.entries()) assert.equal(originKindOf(key, 'nightly', generation, markers[i]), kind);
  assert.equal(originMarker(key, 'nightly', generation), markers[0], 'env is the default kind');
  assert.equal(originKindOf(other, 'nightly', generation, markers[1]), undefined);
  assert.equal(originKindOf(key, 'nightly', '2026-01-01T00:00:00.001Z', markers[1]), undefined, 'bound to the generation');
  assert.equal(hasOrigin(key, 'nightly', generation, markers[2]), true);
  assert.equal(hasOrigin(key, 'nightly', generation, undefined), false);
  const state = newScheduleStateFor(spec({ every: '5s' }), 'nightly', new Date(generation), { key, kind: 'file' });
  assert.equal(state.generation, generation);
  assert.equal(originKindOf(key, 'nightly', generation, state.origin), 'file');
});

test('file entries for the starter: the env schedule name, an unallowed sink and an at entry are refused by entry and field', () => {
  const validate = fileScheduleValidator({ sinkAllowlist: ['http://127.0.0.1:8080'], envScheduleName: 'default', minIntervalMs: 1_000 });
  const ok = validate({ schedules: [{ name: 'a', every: '5s', sink: 'http://127.0.0.1:8080/x' }, { name: 'b', cron: '@hourly' }] });
  assert.ok(ok.ok);
  assert.deepEqual(ok.entries.map((e) => e.name), ['a', 'b']);
  const sink = validate({ schedules: [{ name: 'a', every: '5s' }, { name: 'c', every: '5s', sink: 'http://127.0.0.1:9999/' }] });
  assert.ok(!sink.ok);
  assert.deepEqual(sink.problems.length, 1);
  assert.match(sink.problems[0] ?? '', /^schedules\[1\] \(c\)\.sink: origin http:\/\/127\.0\.0\.1:9999 is not in SINK_ALLOWLIST/);
  const bad = validate({ schedules: [{ name: 'default', every: '5s' }, { name: 'd', at: '2030-01-01T00:00:00Z' }] });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems.map((p) => p.replace(/:.*/, '')), ['schedules[0] (default).name'], 'an at entry is carried');
  assert.ok(fileScheduleValidator({ sinkAllowlist: [], minIntervalMs: 1_000 })({ schedules: [{ name: 'default', every: '5s' }] }).ok, 'without an env schedule the name is free');
});
