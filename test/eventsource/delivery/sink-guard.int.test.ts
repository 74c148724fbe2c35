/**
 * Which sinks a schedule may use: the SINK_ALLOWLIST parser, checkSink, and the connect-time guard that refuses a
 * link-local or metadata address even when a DNS name (allowed when checked) resolves to one later (rebinding).
 * DNS is simulated with a custom lookup: nothing leaves the machine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LookupFunction } from 'node:net';
import fc from 'fast-check';
import { createDelivery } from '../../../src/eventsource/delivery/deliver.js';
import { createDispatcher } from '../../../src/eventsource/delivery/dispatcher.js';
import { checkSink, forbiddenAddress, forbiddenHost, parseSinkAllowlist } from '../../../src/eventsource/delivery/sink-guard.js';
import { buildEvent } from '../../../src/eventsource/core/event.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { useAnsweringSink } from '../../support/recording-sink.js';

const event = buildEvent(
  { scheduleName: 'guard', generation: '2025-01-01T00:00:00.000Z', sequence: 1, scheduledTime: '2025-01-01T00:00:10.000Z' },
  { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} },
);

describe('forbidden addresses and names', () => {
  it('refuses link-local and cloud metadata addresses in every spelling, and nothing else', () => {
    for (const address of [
      '169.254.169.254', '169.254.0.1', '169.254.170.2', 'fe80::1', '[fe80::1]', 'fe80::1%eth0', 'febf::1',
      'fd00:ec2::254', '[fd00:ec2::254]', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '100.100.100.200', '168.63.129.16',
      '192.0.0.192', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '::a9fe:a9fe', '::169.254.169.254', '[::a9fe:a9fe]',
      '64:ff9b:1::a9fe:a9fe', '64:ff9b:1:a9fe:a9:fe00::', '64:ff9b::100.100.100.200', '64:ff9b::a83f:8110', '2002:a83f:8110::',
    ]) {
      assert.equal(forbiddenAddress(address), true, address);
    }
    for (const address of ['127.0.0.1', '::1', '::', '::8.8.8.8', '64:ff9b::808:808', '64:ff9b:1::808:808', '10.0.0.1', '192.168.1.1', '169.253.255.255', '169.255.0.0', 'fec0::1', 'fd00:ec2::253', '8.8.8.8', 'example.com']) {
      assert.equal(forbiddenAddress(address), false, address);
    }
    for (const host of ['metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', 'metadata', 'metadata.goog', 'instance-data']) {
      assert.equal(forbiddenHost(host), true, host);
    }
  });
});

/** The 16 bytes of an IPv6 address as text: all eight groups, or compressed the way a URL host writes it. */
function ipv6Text(bytes: number[], compressed: boolean): string {
  const groups = Array.from({ length: 8 }, (_, index) => (((bytes[index * 2] ?? 0) << 8) | (bytes[index * 2 + 1] ?? 0)).toString(16));
  const full = groups.join(':');
  return compressed ? new URL(`http://[${full}]/`).hostname.slice(1, -1) : full;
}

/** Every way an IPv6 address carries an IPv4 one to the network (the guard must see through each). */
const EMBEDDINGS: Record<string, (v4: number[], rest: number[]) => number[]> = {
  mapped: (v4) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4],
  compatible: (v4) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...v4],
  'NAT64 64:ff9b::/96': (v4) => [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, ...v4],
  'local NAT64 /48 as /48': (v4, rest) => [0, 0x64, 0xff, 0x9b, 0, 1, v4[0] ?? 0, v4[1] ?? 0, rest[0] ?? 0, v4[2] ?? 0, v4[3] ?? 0, ...rest.slice(1, 6)],
  'local NAT64 /48 as /56': (v4, rest) => [0, 0x64, 0xff, 0x9b, 0, 1, rest[0] ?? 0, v4[0] ?? 0, rest[1] ?? 0, v4[1] ?? 0, v4[2] ?? 0, v4[3] ?? 0, ...rest.slice(2, 6)],
  'local NAT64 /48 as /64': (v4, rest) => [0, 0x64, 0xff, 0x9b, 0, 1, rest[0] ?? 0, rest[1] ?? 0, rest[2] ?? 0, ...v4, ...rest.slice(3, 6)],
  'local NAT64 /48 as /96': (v4, rest) => [0, 0x64, 0xff, 0x9b, 0, 1, ...rest.slice(0, 6), ...v4],
  '6to4': (v4, rest) => [0x20, 0x02, ...v4, ...rest.slice(0, 6), 0, 0, 0, 0],
};

describe('IPv4 addresses inside IPv6 ones', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const refusedV4 = fc.oneof(
    fc.tuple(octet, octet).map(([c, d]) => [169, 254, c, d]),
    fc.constantFrom<number[]>([100, 100, 100, 200], [168, 63, 129, 16], [192, 0, 0, 192]),
  );
  const rest = fc.array(octet, { minLength: 6, maxLength: 6 });

  it('any IPv4 the guard refuses stays refused in every IPv6 embedding, in any spelling (property)', () => {
    fc.assert(
      fc.property(refusedV4, fc.constantFrom(...Object.keys(EMBEDDINGS)), rest, fc.boolean(), (v4, kind, bits, compressed) => {
        assert.equal(forbiddenAddress(v4.join('.')), true);
        const bytes = EMBEDDINGS[kind]?.(v4, bits) ?? [];
        assert.equal(bytes.length, 16, kind);
        const text = ipv6Text(bytes, compressed);
        assert.equal(forbiddenAddress(text), true, `${kind}: ${text}`);
        assert.equal(forbiddenHost(`[${text}]`), true, text);
      }),
      fuzzParameters({ numRuns: 500 }, 'embedded refused IPv4'),
    );
  });

  it('an IPv4 the guard lets through is let through when mapped, compatible or behind the well-known NAT64 prefix (property)', () => {
    fc.assert(
      fc.property(fc.ipV4().filter((v4) => !forbiddenAddress(v4)), fc.constantFrom('mapped', 'compatible', 'NAT64 64:ff9b::/96'), fc.boolean(), (v4, kind, compressed) => {
        const text = ipv6Text(EMBEDDINGS[kind]?.(v4.split('.').map(Number), []) ?? [], compressed);
        assert.equal(forbiddenAddress(text), false, `${kind}: ${text}`);
      }),
      fuzzParameters({ numRuns: 300 }, 'embedded allowed IPv4'),
    );
  });
});

describe('parseSinkAllowlist', () => {
  it('normalises origins, ignores blanks, and names a bad entry', () => {
    assert.deepEqual(parseSinkAllowlist(' https://Sink.Example.com:443 , http://10.0.0.5:8080/,, http://[::1]:9000 '), [
      'https://sink.example.com', 'http://10.0.0.5:8080', 'http://[::1]:9000',
    ]);
    assert.deepEqual(parseSinkAllowlist(''), []);
    assert.throws(() => parseSinkAllowlist('https://ok.example, ftp://files.example'), /"ftp:\/\/files.example" is not an http or https origin/);
    assert.throws(() => parseSinkAllowlist('https://ok.example/path'), /"https:\/\/ok.example\/path" is not an origin/);
    assert.throws(() => parseSinkAllowlist('https://ok.example/?q=1'), /is not an origin/);
    assert.throws(() => parseSinkAllowlist('sink.example'), /is not an origin/);
    assert.throws(
      () => parseSinkAllowlist('https://user:pw1234@ok.example'),
      (error: unknown) => error instanceof Error && /credentials/.test(error.message) && !error.message.includes('pw1234'),
    );
  });

  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const host = fc.oneof(
    // The last label starts with a letter: WHATWG URL reads a name ending in a number as an IPv4 address.
    fc.tuple(fc.array(label, { maxLength: 3 }), fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/)).map(([parts, top]) => [...parts, top].join('.')),
    fc.ipV4(),
    fc.constantFrom('[::1]', '[2001:db8::7]'),
  );
  const origin = fc.record({
    scheme: fc.constantFrom('http', 'https'),
    host,
    port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
    upper: fc.boolean(),
    slash: fc.boolean(),
  });

  it('reads back any list of origins, whatever the case, default ports, trailing slashes and spacing (property)', () => {
    fc.assert(
      fc.property(fc.array(origin, { maxLength: 6 }), fc.constantFrom(',', ' , ', ',,', '\t,'), (entries, separator) => {
        const written = entries.map((o) => {
          const text = `${o.scheme}://${o.host}${o.port !== undefined ? `:${o.port}` : ''}${o.slash ? '/' : ''}`;
          return o.upper ? text.toUpperCase() : text;
        });
        const expected = [...new Set(written.map((text) => new URL(text).origin))];
        const parsed = parseSinkAllowlist(written.join(separator));
        assert.deepEqual(parsed, expected);
        // Every parsed origin lets its own URLs through checkSink (unless it is a forbidden address).
        for (const allowed of parsed) {
          const check = checkSink(`${allowed}/some/path?x=1`, parsed);
          assert.equal(check.ok, !forbiddenHost(new URL(allowed).hostname), allowed);
        }
      }),
      fuzzParameters({ numRuns: 200 }, 'allowlist origins'),
    );
  });

  it('either parses or throws one Error line, for any text (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.webUrl(), { maxLength: 3 }).map((urls) => urls.join(','))), (text) => {
        try {
          for (const parsed of parseSinkAllowlist(text)) assert.match(parsed, /^https?:\/\/[^/]+$/);
        } catch (error) {
          assert.ok(error instanceof Error);
          assert.doesNotMatch(error.message, /[\r\n]/);
        }
      }),
      fuzzParameters({ numRuns: 300 }, 'allowlist text'),
    );
  });
});

describe('checkSink', () => {
  const allowlist = ['https://sink.example.com', 'http://127.0.0.1:8080'];

  it('accepts a URL whose origin is listed', () => {
    const check = checkSink('https://SINK.example.com:443/events?x=1', allowlist);
    assert.equal(check.ok && check.url.href, 'https://sink.example.com/events?x=1');
    assert.equal(checkSink(new URL('http://127.0.0.1:8080/'), allowlist).ok, true);
  });

  it('refuses another origin (port and scheme count), other schemes, and never quotes credentials', () => {
    for (const url of ['https://sink.example.com:8443/', 'http://sink.example.com/', 'https://evil.example.com/', 'http://127.0.0.1:8081/']) {
      const check = checkSink(url, allowlist);
      assert.equal(check.ok, false, url);
      assert.match(!check.ok ? check.problem : '', /is not in SINK_ALLOWLIST/);
    }
    assert.deepEqual(checkSink('ftp://sink.example.com/', allowlist), { ok: false, problem: 'must be an http or https URL, not ftp' });
    assert.equal(checkSink('not a url', allowlist).ok, false);
    const secret = checkSink('https://bob:hunter2@evil.example.com/?sig=abc', allowlist);
    assert.doesNotMatch(JSON.stringify(secret), /hunter2|sig=abc/);
  });

  it('refuses link-local and metadata addresses even when their origin is listed', () => {
    const everything = ['http://169.254.169.254', 'http://metadata.google.internal', 'http://[fd00:ec2::254]', 'http://[fe80::1]'];
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://[fd00:ec2::254]/', 'http://[fe80::1]/', 'http://2852039166/', 'http://0xa9.0xfe.0xa9.0xfe/']) {
      const check = checkSink(url, everything);
      assert.equal(check.ok, false, url);
      assert.match(!check.ok ? check.problem : '', /link-local or cloud metadata address/);
    }
  });
});

describe('the connect-time address guard', () => {
  const sink = useAnsweringSink();

  /** A resolver that answers `answers[i]` for the i-th lookup of any name (then the last one again). */
  function fakeDns(answers: string[]): { lookup: LookupFunction; names: string[] } {
    const names: string[] = [];
    const lookup: LookupFunction = (hostname, options, callback) => {
      names.push(hostname);
      const address = answers[Math.min(names.length - 1, answers.length - 1)]!;
      const family = address.includes(':') ? 6 : 4;
      if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
    return { lookup, names };
  }

  it('a name that resolves to 169.254.169.254 is refused before any socket opens; one that resolves to loopback works', async () => {
    const refused = fakeDns(['169.254.169.254']);
    const pools = createDispatcher({ lookup: refused.lookup, connectTimeoutMs: 2_000 });
    const delivery = createDelivery({ sink: new URL(`http://sink.test:${sink.port}/`), mode: 'binary', timeoutMs: 2_000, dispatcher: pools });
    const outcome = await delivery.deliver(event);
    assert.deepEqual(!outcome.ok && [outcome.reason, outcome.retryable], [
      'sink address refused: sink.test resolves to 169.254.169.254, a link-local or cloud metadata address', true,
    ]);
    assert.deepEqual(refused.names, ['sink.test']);
    await pools.close();

    const good = fakeDns(['127.0.0.1']);
    const okPools = createDispatcher({ lookup: good.lookup });
    const before = sink.requests.length;
    sink.answer = (_req, res) => res.writeHead(200).end();
    const ok = await createDelivery({ sink: new URL(`http://sink.test:${sink.port}/`), mode: 'binary', timeoutMs: 2_000, dispatcher: okPools }).deliver(event);
    assert.equal(ok.ok, true);
    assert.equal(sink.requests.length, before + 1);
    assert.equal(sink.requests.at(-1)!.headers.host, `sink.test:${sink.port}`);
    await okPools.close();
  });

  it('DNS rebinding: allowed when checked, loopback on the first connection, refused when the name later resolves to the metadata address', async () => {
    const url = new URL(`http://sink.test:${sink.port}/`);
    assert.equal(checkSink(url, [url.origin]).ok, true, 'the name passes the allowlist check');
    const dns = fakeDns(['127.0.0.1', '169.254.169.254']);
    const pools = createDispatcher({ lookup: dns.lookup });
    const delivery = createDelivery({ sink: url, mode: 'binary', timeoutMs: 2_000, dispatcher: pools });
    // The sink closes each connection, so every delivery connects (and looks the name up) again.
    sink.answer = (_req, res) => res.writeHead(200, { connection: 'close' }).end();
    const before = sink.requests.length;
    assert.equal((await delivery.deliver(event)).ok, true);
    const second = await delivery.deliver(event);
    assert.equal(second.ok, false);
    assert.match(!second.ok ? second.reason : '', /^sink address refused: sink\.test resolves to 169\.254\.169\.254/);
    assert.equal(sink.requests.length, before + 1, 'the second request never left');
    assert.equal(dns.names.length, 2);
    await pools.close();
  });

  it('with the real resolver, an ordinary name (localhost, from /etc/hosts) connects as before', async () => {
    const pools = createDispatcher();
    sink.answer = (_req, res) => res.writeHead(202).end();
    const outcome = await createDelivery({ sink: new URL(`http://localhost:${sink.port}/`), mode: 'binary', timeoutMs: 2_000, dispatcher: pools }).deliver(event);
    await pools.close();
    // localhost may resolve to ::1 first, where the sink (on 127.0.0.1) does not listen: autoSelectFamily tries both.
    assert.deepEqual([outcome.ok, outcome.status], [true, 202]);
  });

  it('an IP literal of a metadata address is refused without connecting, whatever the caller checked', async () => {
    const dns = fakeDns(['127.0.0.1']);
    const pools = createDispatcher({ lookup: dns.lookup, connectTimeoutMs: 500 });
    for (const literal of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://[::ffff:169.254.169.254]/']) {
      const outcome = await createDelivery({ sink: new URL(literal), mode: 'binary', timeoutMs: 500, dispatcher: pools }).deliver(event);
      assert.equal(outcome.ok, false, literal);
      assert.match(!outcome.ok ? outcome.reason : '', /^sink address refused: .* a link-local or cloud metadata address$/, literal);
    }
    assert.deepEqual(dns.names, [], 'no lookup for literals');
    await pools.close();
  });
});
