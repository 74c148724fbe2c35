/**
 * A normalised spec read back from outside (orchestration input, status, event): accepted exactly when it is one this
 * code could have made; anything else is a problem naming the field, never a throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkDefinition, type NormalizedSpec } from '../../../src/eventsource/core/normalized-spec.js';
import { checkNormalizedSpec } from '../../../src/eventsource/core/normalized-spec-schema.js';
import { validDefinition } from '../../support/definitions.js';
import { fuzzParameters } from '../../support/fuzz.js';

const specs = validDefinition.map((definition) => {
  const checked = checkDefinition(definition);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.spec;
});

function throughStorage(spec: NormalizedSpec): unknown {
  return JSON.parse(JSON.stringify(spec));
}

describe('checkNormalizedSpec', () => {
  it('property: every spec the schema makes reads back as itself after a round through JSON', () => {
    fc.assert(
      fc.property(specs, (spec) => {
        const back = checkNormalizedSpec(throughStorage(spec));
        assert.ok(back.ok, back.ok ? '' : back.problem);
        assert.deepEqual(back.spec, spec);
      }),
      fuzzParameters({ numRuns: 200 }, 'spec read-back'),
    );
  });

  it('refuses a spec that breaks a rule, naming the field', () => {
    const base = checkDefinition({ name: 'a', every: '5s' });
    assert.ok(base.ok);
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base.spec, trigger: { kind: 'every', everyMs: 5_000, offsetMs: 5_000 } }, /^offset: /],
      [{ ...base.spec, trigger: { kind: 'cron', expression: '0 61 * * *', timeZone: 'UTC' } }, /^cron: /],
      [{ ...base.spec, trigger: { kind: 'cron', expression: '@daily', timeZone: 'utc' } }, /not in normalised form/],
      [{ ...base.spec, name: 'Other' }, /^name: /],
      [{ ...base.spec, delivery: { ...base.spec.delivery, retry: -1 } }, /^delivery\.retry: /],
      [{ ...base.spec, event: { ...base.spec.event, extensions: { id: 'x' } } }, /^event\.extensions: /],
      [{ ...base.spec, sink: 'file:///etc/passwd' }, /^sink: /],
      [{ ...base.spec, extra: 1 }, /^\(the spec\): Unrecognized key/],
      [{ ...base.spec, jitterMs: 1.5 }, /^jitterMs: /],
      ['a string', /^\(the spec\): /],
    ];
    for (const [value, expected] of cases) {
      const back = checkNormalizedSpec(value);
      assert.ok(!back.ok && expected.test(back.problem), `${JSON.stringify(value)} → ${JSON.stringify(back)}`);
    }
  });

  it('property: any JSON, or a spec with any field replaced, gives a spec or a problem; never a throw', () => {
    fc.assert(
      fc.property(specs, fc.constantFrom('name', 'trigger', 'startAtMs', 'maxCount', 'jitterMs', 'event', 'sink', 'catchUp', 'overlap', 'delivery'), fc.jsonValue(), (spec, field, value) => {
        const back = checkNormalizedSpec({ ...spec, [field]: value });
        if (!back.ok) assert.doesNotMatch(back.problem, /[\r\n]/);
        checkNormalizedSpec(value);
      }),
      fuzzParameters({ numRuns: 300 }, 'spec read-back fuzz'),
    );
  });
});
