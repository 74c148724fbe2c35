import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRoutes, compileRoute } from '../../../src/host/http/route-template.js';

test('literal segments match case-insensitively; a trailing slash is allowed', () => {
  const r = compileRoute('status/all');
  assert.deepEqual(r.match('status/all'), {});
  assert.deepEqual(r.match('Status/ALL/'), {});
  assert.equal(r.match('status'), undefined);
  assert.equal(r.match('status/all/more'), undefined);
});

test('parameters are captured and percent-decoded', () => {
  const r = compileRoute('/users/{userId}/orders/{orderId}');
  assert.deepEqual(r.match('users/a%20b/orders/7'), { userId: 'a b', orderId: '7' });
  assert.equal(r.match('users/a/orders'), undefined);
});

test('optional parameters and defaults', () => {
  const opt = compileRoute('files/{name?}');
  assert.deepEqual(opt.match('files'), {});
  assert.deepEqual(opt.match('files/x'), { name: 'x' });
  const def = compileRoute('page/{n=1}');
  assert.deepEqual(def.match('page'), { n: '1' });
  assert.deepEqual(def.match('page/3'), { n: '3' });
  const constrainedOptional = compileRoute('v/{id:int?}');
  assert.deepEqual(constrainedOptional.match('v'), {});
  assert.deepEqual(constrainedOptional.match('v/5'), { id: '5' });
  assert.equal(constrainedOptional.match('v/x'), undefined);
});

test('catch-all parameters take the rest of the path', () => {
  const r = compileRoute('static/{*path}');
  assert.deepEqual(r.match('static/css/site%20a.css'), { path: 'css/site a.css' });
  assert.deepEqual(r.match('static'), {});
  assert.throws(() => compileRoute('a/{*rest}/b'), { code: 'BAD_ROUTE' });
});

test('constraints: int, long, bool, guid, alpha, double, datetime, length, min/max/range, regex', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['{v:int}', ['0', '-12', '2147483647'], ['1.5', 'x', '2147483648', '']],
    ['{v:long}', ['9007199254740993'], ['1e3']],
    ['{v:bool}', ['true', 'False'], ['yes']],
    ['{v:guid}', ['3f2504e0-4f89-11d3-9a0c-0305e82c3301'], ['3f2504e0']],
    ['{v:alpha}', ['abcXYZ'], ['abc1']],
    ['{v:double}', ['1.5', '-2'], ['x1']],
    ['{v:datetime}', ['2030-01-01'], ['notadate']],
    ['{v:minlength(3)}', ['abc'], ['ab']],
    ['{v:maxlength(3)}', ['abc'], ['abcd']],
    ['{v:length(2,3)}', ['ab', 'abc'], ['a', 'abcd']],
    ['{v:min(10)}', ['10', '11'], ['9']],
    ['{v:max(10)}', ['10'], ['11']],
    ['{v:range(1,3)}', ['1', '3'], ['0', '4']],
    ['{v:regex(^a[0-9]+$)}', ['a12'], ['b12']],
    ['{v:int:min(5)}', ['5'], ['4', 'x']],
  ];
  for (const [template, good, bad] of cases) {
    const r = compileRoute(template);
    for (const value of good) assert.deepEqual(r.match(encodeURIComponent(value)), { v: value }, `${template} should accept ${value}`);
    for (const value of bad) assert.equal(r.match(encodeURIComponent(value)), undefined, `${template} should refuse ${value}`);
  }
});

test('complex segments with several parameters', () => {
  const r = compileRoute('files/{name}.{ext}');
  assert.deepEqual(r.match('files/report.pdf'), { name: 'report', ext: 'pdf' });
});

test('malformed templates fail with BAD_ROUTE', () => {
  assert.throws(() => compileRoute('a/{x:nosuch}'), { code: 'BAD_ROUTE' });
  assert.throws(() => compileRoute('a/{x}/{X}'), { code: 'BAD_ROUTE' });
  assert.throws(() => compileRoute('a//b'), { code: 'BAD_ROUTE' });
  assert.throws(() => compileRoute('a/{1x}'), { code: 'BAD_ROUTE' });
});

test('precedence: literal before constrained before plain before optional before catch-all', () => {
  const templates = ['items/{*rest}', 'items/{id?}', 'items/{id}', 'items/{id:int}', 'items/new', 'items'];
  const sorted = templates.map(compileRoute).sort(compareRoutes).map((r) => r.template);
  assert.deepEqual(sorted, ['items', 'items/new', 'items/{id:int}', 'items/{id}', 'items/{id?}', 'items/{*rest}']);
});
