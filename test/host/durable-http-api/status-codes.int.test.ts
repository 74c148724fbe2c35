/**
 * Every row of the status-code table in src/durable/README.md ("Durable HTTP API: status codes"), on the real
 * engine and Azurite: route, the instance's state, the answer's status and body as the extension's HttpApiHandler
 * gives them (a bare status, or its error body's Message).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RuntimeStatus } from '../../../src/durable/wire-types.js';
import { DirectInvoker } from '../../support/direct-invoker.js';
import { call, type RawResponse } from './harness.js';
import { startRealApi, type RealApi } from './real-engine.js';

type State = 'none' | 'running' | 'completed' | 'failed' | 'terminated';

interface Row {
  route: string;
  state: State;
  method: string;
  /** Path under the webhook prefix; `{id}` is the row's instance. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  /** '' for a bare answer (no body); a string: the extension's error Message; a function: any other check. */
  expect?: string | ((res: RawResponse, id: string) => void);
}

const JSON_TYPE = { 'content-type': 'application/json' };
const BAD_ARGS = 'One or more of the arguments submitted is incorrect';
const ONLY_JSON = 'Only application/json request content is supported';

const ROWS: Row[] = [
  { route: 'start', state: 'none', method: 'POST', path: '/orchestrators/Echo/{id}', status: 202, expect: (res, id) => assert.match(res.headers.get('location') ?? '', new RegExp(`/instances/${id}\\?`)) },
  { route: 'start', state: 'none', method: 'GET', path: '/orchestrators/Echo/{id}', status: 404, expect: '' },
  { route: 'start', state: 'none', method: 'POST', path: '/orchestrators/NoSuchOrchestrator/{id}', status: 400, expect: BAD_ARGS },
  { route: 'start', state: 'none', method: 'POST', path: '/orchestrators/Echo/{id}', headers: JSON_TYPE, body: '{', status: 400, expect: 'Invalid JSON content' },
  { route: 'start', state: 'none', method: 'POST', path: '/orchestrators/Echo/@{id}', status: 400, expect: BAD_ARGS },
  { route: 'start', state: 'none', method: 'POST', path: '/orchestrators/Echo/{id}%01', status: 400, expect: BAD_ARGS },
  { route: 'start', state: 'running', method: 'POST', path: '/orchestrators/Waiter/{id}', status: 409 },
  { route: 'start', state: 'completed', method: 'POST', path: '/orchestrators/Echo/{id}', status: 202 },
  { route: 'status', state: 'none', method: 'GET', path: '/instances/{id}', status: 404, expect: '' },
  { route: 'status', state: 'running', method: 'GET', path: '/instances/{id}', status: 202, expect: (res) => assert.equal(res.headers.get('retry-after'), '5') },
  { route: 'status', state: 'completed', method: 'GET', path: '/instances/{id}', status: 200 },
  { route: 'status', state: 'failed', method: 'GET', path: '/instances/{id}', status: 200 },
  { route: 'status', state: 'failed', method: 'GET', path: '/instances/{id}?returnInternalServerErrorOnFailure=true', status: 500 },
  { route: 'status', state: 'running', method: 'PUT', path: '/instances/{id}', status: 404, expect: '' },
  { route: 'list', state: 'none', method: 'GET', path: '/instances', status: 200 },
  { route: 'list', state: 'none', method: 'POST', path: '/instances', status: 404, expect: '' },
  { route: 'purge many', state: 'none', method: 'DELETE', path: '/instances', status: 400, expect: "Please provide value for 'createdTimeFrom' parameter." },
  { route: 'purge many', state: 'none', method: 'DELETE', path: '/instances?createdTimeFrom=2999-01-01T00:00:00Z', status: 404, expect: '' },
  { route: 'purge', state: 'none', method: 'DELETE', path: '/instances/{id}', status: 404, expect: '' },
  { route: 'purge', state: 'running', method: 'DELETE', path: '/instances/{id}', status: 412 },
  { route: 'purge', state: 'completed', method: 'DELETE', path: '/instances/{id}', status: 200, expect: (res) => assert.deepEqual(res.json(), { instancesDeleted: 1 }) },
  { route: 'raiseEvent', state: 'none', method: 'POST', path: '/instances/{id}/raiseEvent/Go', headers: JSON_TYPE, body: '1', status: 404, expect: '' },
  { route: 'raiseEvent', state: 'completed', method: 'POST', path: '/instances/{id}/raiseEvent/Go', headers: JSON_TYPE, body: '1', status: 410, expect: '' },
  { route: 'raiseEvent', state: 'failed', method: 'POST', path: '/instances/{id}/raiseEvent/Go', headers: JSON_TYPE, body: '1', status: 410, expect: '' },
  { route: 'raiseEvent', state: 'running', method: 'POST', path: '/instances/{id}/raiseEvent/Go', headers: { 'content-type': 'text/plain' }, body: '1', status: 400, expect: ONLY_JSON },
  { route: 'raiseEvent', state: 'running', method: 'POST', path: '/instances/{id}/raiseEvent/Go', body: '1', status: 400, expect: ONLY_JSON },
  { route: 'raiseEvent', state: 'running', method: 'POST', path: '/instances/{id}/raiseEvent/Go', headers: JSON_TYPE, body: '{', status: 400, expect: 'Invalid JSON content' },
  { route: 'raiseEvent', state: 'running', method: 'POST', path: '/instances/{id}/raiseEvent/Go', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '1', status: 202 },
  { route: 'raiseEvent', state: 'running', method: 'GET', path: '/instances/{id}/raiseEvent/Go', status: 404, expect: '' },
  { route: 'terminate', state: 'none', method: 'POST', path: '/instances/{id}/terminate?reason=x', status: 404, expect: '' },
  { route: 'terminate', state: 'completed', method: 'POST', path: '/instances/{id}/terminate?reason=x', status: 410, expect: '' },
  { route: 'terminate', state: 'running', method: 'POST', path: '/instances/{id}/terminate?reason=x', status: 202 },
  { route: 'terminate', state: 'running', method: 'GET', path: '/instances/{id}/terminate', status: 404, expect: '' },
  { route: 'suspend', state: 'running', method: 'POST', path: '/instances/{id}/suspend?reason=x', status: 202 },
  { route: 'suspend', state: 'failed', method: 'POST', path: '/instances/{id}/suspend?reason=x', status: 410, expect: '' },
  { route: 'resume', state: 'none', method: 'POST', path: '/instances/{id}/resume?reason=x', status: 404, expect: '' },
  { route: 'resume', state: 'terminated', method: 'POST', path: '/instances/{id}/resume?reason=x', status: 410, expect: '' },
  { route: 'rewind', state: 'none', method: 'POST', path: '/instances/{id}/rewind?reason=x', status: 404, expect: '' },
  { route: 'rewind', state: 'completed', method: 'POST', path: '/instances/{id}/rewind?reason=x', status: 410, expect: '' },
  { route: 'rewind', state: 'terminated', method: 'POST', path: '/instances/{id}/rewind?reason=x', status: 410, expect: '' },
  { route: 'rewind', state: 'running', method: 'POST', path: '/instances/{id}/rewind?reason=x', status: 412, expect: '' },
  { route: 'rewind', state: 'failed', method: 'POST', path: '/instances/{id}/rewind?reason=x', status: 202, expect: '' },
  { route: 'restart', state: 'none', method: 'POST', path: '/instances/{id}/restart', status: 400, expect: 'InstanceId does not match a valid orchestration instance.' },
  { route: 'restart', state: 'completed', method: 'POST', path: '/instances/{id}/restart?restartWithNewInstanceId=false', status: 202, expect: (res, id) => assert.equal((res.json() as { id: string }).id, id) },
  { route: 'restart', state: 'completed', method: 'POST', path: '/instances/{id}/restart', status: 202, expect: (res, id) => assert.notEqual((res.json() as { id: string }).id, id) },
  { route: 'restart', state: 'running', method: 'POST', path: '/instances/{id}/restart?restartWithNewInstanceId=false', status: 409 },
  { route: 'other', state: 'running', method: 'POST', path: '/instances/{id}/bogus', status: 404, expect: '' },
  { route: 'other', state: 'none', method: 'GET', path: '/nothing/here', status: 404, expect: '' },
  { route: 'other', state: 'none', method: 'GET', path: '/entities/Counter/c1', status: 501 },
];

const invoker = new DirectInvoker()
  .orchestration('Echo', function* (ctx) {
    return ctx.df.getInput() ?? null;
  })
  .orchestration('Waiter', function* (ctx) {
    return (yield ctx.df.waitForExternalEvent('Go')) as unknown;
  })
  .orchestration('Fails', function* () {
    throw new Error('fails on purpose');
  });

describe('Durable HTTP API status codes, row by row (real engine, Azurite)', () => {
  let api: RealApi;
  before(async () => {
    api = await startRealApi(invoker);
  });
  after(async () => api.close());

  async function prepare(state: State, id: string): Promise<void> {
    const wait = async (statuses: RuntimeStatus[]): Promise<void> => {
      await api.waitFor(id, statuses);
    };
    switch (state) {
      case 'none':
        return;
      case 'running':
        await api.engine.start('Waiter', { instanceId: id });
        return wait(['Running']);
      case 'completed':
        await api.engine.start('Echo', { instanceId: id, input: 1 });
        return wait(['Completed']);
      case 'failed':
        await api.engine.start('Fails', { instanceId: id });
        return wait(['Failed']);
      case 'terminated':
        await api.engine.start('Waiter', { instanceId: id });
        await wait(['Running']);
        await api.engine.terminate(id, 'stop');
        return wait(['Terminated']);
    }
  }

  ROWS.forEach((row, index) => {
    const label = `${row.route}: ${row.method} ${row.path} (${row.state}) -> ${row.status}`;
    test(label, async () => {
      const id = `row${index}-${row.state}`;
      await prepare(row.state, id);
      const init: RequestInit = { method: row.method, ...(row.headers ? { headers: row.headers } : {}), ...(row.body !== undefined ? { body: row.body } : {}) };
      const res = await call(`${api.hook}${row.path.replace('{id}', id)}`, init);
      assert.equal(res.status, row.status, `${label}: ${res.text.slice(0, 300)}`);
      if (row.expect === '') assert.equal(res.text, '', 'a bare answer, as the extension gives it');
      else if (typeof row.expect === 'string') assert.equal((res.json() as { Message?: string }).Message, row.expect);
      else row.expect?.(res, id);
    });
  });
});
