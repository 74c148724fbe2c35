import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { freshState, type InstanceRecord } from '../../../src/durable/instance-state.js';
import { TRIGGER_DEFAULTS } from '../../../src/durable/planner/episode.js';
import { payloadText } from '../../../src/durable/planner/payload-text.js';
import type { HistoryEventJson, OrchestrationTriggerPayload } from '../../../src/durable/wire-types.js';

/** The payload object runEpisode sent before the text was built from kept pieces. */
function payloadObject(rec: InstanceRecord, history: HistoryEventJson[], appended: HistoryEventJson[]): OrchestrationTriggerPayload {
  return {
    instanceId: rec.instanceId,
    history: [...history.map((e) => ({ ...e, IsPlayed: true })), ...appended],
    input: rec.input === undefined ? undefined : (JSON.parse(rec.input) as unknown),
    isReplaying: history.length > 0,
    ...(rec.parent ? { parentInstanceId: rec.parent.instanceId } : {}),
    ...TRIGGER_DEFAULTS,
  };
}

const event: fc.Arbitrary<HistoryEventJson> = fc
  .tuple(
    fc.record({ EventType: fc.integer({ min: 0, max: 30 }), EventId: fc.integer({ min: -1, max: 99 }), IsPlayed: fc.boolean(), Timestamp: fc.string() }),
    fc.dictionary(fc.stringMatching(/^[A-Z][A-Za-z]{0,8}$/), fc.jsonValue()),
  )
  .map(([base, extra]) => ({ ...extra, ...base }));

const record = fc.record(
  {
    instanceId: fc.string(),
    input: fc.json(),
    parent: fc.record({ instanceId: fc.string(), executionId: fc.string(), taskId: fc.nat() }),
  },
  { requiredKeys: ['instanceId'] },
);

function rec(fields: { instanceId: string; input?: string; parent?: InstanceRecord['parent'] }): InstanceRecord {
  return { name: 'orch', status: 'Running', executionId: 'e1', createdTime: 0, lastUpdatedTime: 0, historySeq: 0, outboxSeq: 0, state: freshState(), etag: '', ...fields };
}

test('the payload text is JSON.stringify of the payload object, also when its pieces come from the kept texts', () => {
  fc.assert(
    fc.property(record, fc.array(event, { maxLength: 6 }), fc.array(event, { maxLength: 4 }), (fields, history, appended) => {
      const r = rec(fields);
      const expected = JSON.stringify(payloadObject(r, history, appended));
      const first = payloadText(r, history, appended, TRIGGER_DEFAULTS);
      assert.equal(first.json, expected);
      assert.equal(first.instanceId, r.instanceId);
      assert.equal(first.historyLength, history.length + appended.length);
      // Again with the same event objects and input (the next episode of the execution): the kept texts.
      assert.equal(payloadText(r, history, appended, TRIGGER_DEFAULTS).json, expected);
    }),
  );
});

test('a stored input that is not JSON fails the episode as JSON.parse does', () => {
  assert.throws(() => payloadText(rec({ instanceId: 'i', input: '{not json' }), [], [], TRIGGER_DEFAULTS), SyntaxError);
});
