import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDelivery } from '../../../../src/eventsource/delivery/deliver.js';
import { postTo } from '../../../../src/eventsource/delivery/layers/post.js';
import { RecordingSink } from '../../../support/recording-sink.js';
import { attemptOf } from './support.js';

let sink: RecordingSink;
before(async () => {
  sink = await RecordingSink.answering();
});
after(() => sink.stop());

test('post: the attempt\'s event goes to the sink with the attempt\'s headers, and the sink\'s answer comes back', async () => {
  const delivery = createDelivery({ sink: sink.at('/events'), mode: 'binary', timeoutMs: 2_000 });
  try {
    sink.answer = (_req, res) => res.writeHead(202).end();
    const attempt = attemptOf({ headers: { authorization: 'Bearer t0ken', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    const outcome = await postTo(delivery)(attempt);
    assert.equal(outcome.ok, true);
    assert.equal(outcome.status, 202);
    const [request] = sink.requests;
    assert.equal(request?.url, '/events');
    assert.equal(request?.headers['authorization'], 'Bearer t0ken');
    assert.equal(request?.headers['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.equal(request?.headers['ce-id'], attempt.event.id);
  } finally {
    await delivery.close();
  }
});
