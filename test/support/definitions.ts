/**
 * fast-check arbitraries of valid schedule definitions (as a person writes them: durations and instants as text),
 * shared by the definition, document and fire-time suites.
 */
import fc from 'fast-check';

/** A duration of `ms` milliseconds, written one of the accepted ways. */
export function durationText(ms: number): fc.Arbitrary<string> {
  const forms: Array<fc.Arbitrary<string>> = [fc.constant(`${ms}ms`)];
  if (ms % 1_000 === 0) forms.push(fc.constant(`${ms / 1_000}s`), fc.constant(`PT${ms / 1_000}S`));
  if (ms % 60_000 === 0 && ms > 0) forms.push(fc.constant(`${Math.floor(ms / 60_000)}m`));
  if (ms >= 60_000 && ms % 1_000 === 0) forms.push(fc.constant(`${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1_000}s`));
  return fc.oneof(...forms);
}

export const scheduleName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);

export const CRONS = ['0 30 2 * * *', '0 0 * * * *', '*/15 * * * *', '0 9 * * 1-5', '@hourly', '@daily', '30 1 * * *', '0 0 12 1 * *'];
export const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];

/** Instants between 2000 and 2100, whole seconds (as a person writes them). */
export const instantMs = fc.integer({ min: 946_684_800, max: 4_102_444_800 }).map((s) => s * 1_000);

const everyTrigger = fc
  .tuple(fc.integer({ min: 1, max: 86_400 }).map((s) => s * 1_000), fc.nat())
  .chain(([every, seed]) => {
    const offset = seed % every;
    return fc.record({ every: durationText(every), offset: fc.option(durationText(offset - (offset % 1_000)), { nil: undefined }) });
  });
const cronTrigger = fc.record({ cron: fc.constantFrom(...CRONS), timezone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }) });
const atTrigger = instantMs.map((ms) => ({ at: new Date(ms).toISOString() }));

const extensions = fc.dictionary(
  fc.stringMatching(/^[a-z0-9]{1,12}$/).filter((k) => !['id', 'source', 'type', 'subject', 'time', 'data', 'sequence', 'trigger', 'specversion', 'dataschema', 'datacontenttype', 'schemaurl', 'datacontentencoding'].includes(k)),
  fc.oneof(fc.string({ maxLength: 20 }).filter((s) => !/[\x00-\x1f\x7f]/.test(s)), fc.integer(), fc.boolean()),
  { maxKeys: 4 },
);

const token = fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,12}$/);
/** A media type in its one spelling (lower case, `; name=value`), JSON or not. */
export const mediaTypeText = fc
  .tuple(fc.constantFrom('text', 'application', 'image', 'x-custom'), token, fc.option(fc.constantFrom('+json', '+xml'), { nil: undefined }), fc.option(fc.tuple(token, token), { nil: undefined }))
  .map(([type, sub, suffix, param]) => `${type}/${sub}${suffix ?? ''}${param ? `; ${param[0]}=${param[1]}` : ''}`)
  .filter((t) => !t.startsWith('application/cloudevents') && !/; charset=/.test(t));
const jsonType = fc.constantFrom('application/json', 'application/vnd.tick+json', 'text/json', 'application/problem+json; charset=utf-8');

/** The event's data as PingSource has it: none, JSON (with a JSON type or none), text with a type that is not JSON, or bytes with any type. */
const eventData = fc.oneof(
  fc.constant({}),
  fc.record({ data: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ contentType: jsonType, data: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ contentType: mediaTypeText, data: fc.string({ maxLength: 40 }) }),
  fc.record({ contentType: fc.oneof(mediaTypeText, jsonType), dataBase64: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')) }, { requiredKeys: ['dataBase64'] }),
);

const event = fc
  .tuple(
    fc.record(
      {
        type: fc.constantFrom('com.example.tick', 'dev.knative.sources.ping'),
        source: fc.constantFrom('urn:example:schedules', '/schedules/a', 'https://example.com/s'),
        subject: fc.string({ maxLength: 20 }).filter((s) => !/[\x00-\x1f\x7f]/.test(s)),
        extensions,
        mode: fc.constantFrom('binary', 'structured'),
      },
      { requiredKeys: [] },
    ),
    eventData,
  )
  .map(([fields, data]) => ({ ...fields, ...data }));

const sinkUrl = fc
  .tuple(fc.constantFrom('http', 'https'), fc.constantFrom('sink.example.com', '127.0.0.1', 'broker-ingress.knative-eventing.svc.cluster.local'), fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }), fc.constantFrom('/', '/ns/default', '/a?b=c'))
  .map(([scheme, host, port, path]) => `${scheme}://${host}${port === undefined ? '' : `:${port}`}${path}`);

const delivery = fc
  .tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 600 }))
  .chain(([delayS, extraS]) =>
    fc.record(
      {
        retry: fc.integer({ min: 0, max: 20 }),
        backoffPolicy: fc.constantFrom('exponential', 'linear'),
        backoffDelay: durationText(delayS * 1_000),
        maxBackoff: durationText((delayS + extraS) * 1_000),
        timeout: fc.integer({ min: 1, max: 60 }).chain((s) => durationText(s * 1_000)),
        deadLetterSink: sinkUrl,
      },
      { requiredKeys: ['backoffDelay', 'maxBackoff'] },
    ),
  );

const common = fc.record(
  {
    maxCount: fc.integer({ min: 1, max: 200 }),
    jitter: fc.integer({ min: 0, max: 600 }).chain((s) => durationText(s * 1_000)),
    paused: fc.boolean(),
    note: fc.string({ maxLength: 40 }).filter((s) => !/[\x00-\x08\x0b-\x1f\x7f]/.test(s)),
    event,
    sink: sinkUrl,
    catchUp: fc.record({ window: fc.integer({ min: 0, max: 3_600 }).chain((s) => durationText(s * 1_000)), policy: fc.constantFrom('all', 'latest', 'skip') }, { requiredKeys: [] }),
    overlap: fc.constantFrom('bufferAll', 'bufferOne', 'skip'),
    pauseOnFailure: fc.integer({ min: 1, max: 100 }),
    delivery,
  },
  { requiredKeys: [] },
);

/** A window [startAt, endAt) that holds `at` when there is one. */
function window(at: number | undefined): fc.Arbitrary<{ startAt?: string; endAt?: string }> {
  return fc.tuple(instantMs, fc.integer({ min: 1, max: 10 * 365 * 86_400 }), fc.boolean(), fc.boolean()).map(([a, span, hasStart, hasEnd]) => {
    const start = at === undefined ? a : Math.min(a, at);
    const end = Math.max(start + span * 1_000, at === undefined ? 0 : at + 1_000);
    return {
      ...(hasStart ? { startAt: new Date(start).toISOString() } : {}),
      ...(hasEnd ? { endAt: new Date(end).toISOString() } : {}),
    };
  });
}

/** A valid definition, as plain JSON. */
export const validDefinition: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(scheduleName, fc.oneof(everyTrigger, cronTrigger, atTrigger), common)
  .chain(([name, trigger, rest]) =>
    window('at' in trigger ? Date.parse(trigger.at) : undefined).map((w) => {
      const definition: Record<string, unknown> = { name, ...trigger, ...w, ...rest };
      for (const [key, value] of Object.entries(definition)) if (value === undefined) delete definition[key];
      return definition;
    }),
  );
