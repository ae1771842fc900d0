/**
 * Malformed input for bad-input.fault.ts, as fast-check arbitraries:
 * - HTTP requests for the routes of the served OpenAPI document: odd methods, path ids (unicode, %-encoding, bad
 *   escapes, traversal, over-long), query strings, headers (keys of every role and garbage, content types,
 *   If-Match), and bodies: near-valid ones built from the route's own request schema with wrong types and values,
 *   arbitrary JSON, broken JSON, prototype keys, deep nesting, invalid UTF-8, bodies over the 64 KiB limit;
 * - AMI frames: garbage lines, broken headers, known events and responses with absurd fields;
 * - 3CX Call Control WebSocket messages: non-JSON, wrong shapes, wrong types, entities that are no participant.
 * The raw HTTP client sends bytes as generated (no client-side validation) over a real socket.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { KEYS } from '../harness/daemon.js';

// ------------------------------------------------------------------------------------------------ OpenAPI

export interface JsonSchema {
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

export interface Route {
  method: string;
  /** OpenAPI path, e.g. /v1/users/{id}/activities/{activityId} */
  path: string;
  query: string[];
  body: JsonSchema | null;
}

/** Every operation of an OpenAPI 3 document. */
export function routesOf(document: {
  paths: Record<
    string,
    Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: Json }>
  >;
}): Route[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      body: op.requestBody?.content?.['application/json']?.schema ?? null,
    })),
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenAPI JSON
type Json = any;

// ------------------------------------------------------------------------------------------------ HTTP requests

export interface RawRequest {
  route: Route;
  method: string;
  /** Request target as sent (may be invalid on purpose). */
  target: string;
  /** Path ids as sent, by parameter name (for "which entity did a 2xx touch"). */
  ids: Record<string, string>;
  headers: Array<[string, string]>;
  body: Buffer | null;
}

/** Ids the fuzz targets besides random ones: entities that exist, so refusals are tested on real state. */
export interface Pools {
  users: string[];
  statusTypes: string[];
  activities: string[];
}

const unicode = fc.string({ unit: 'grapheme', maxLength: 20 });
const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  unicode,
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '.',
    '%',
    '%00',
    '%ZZ',
    '%E0%A4%A',
    '%2F',
    'a%2Fb',
    '../../etc/passwd',
    'null',
  ),
  fc.constantFrom('undefined', '__proto__', 'constructor', 'prototype', 'x'.repeat(129), 'x'.repeat(300)),
  fc.constantFrom('😀', '\u202e', 'ﬁ', 'Ω', 'İ', 'a\u0000b', '\ud800'),
);

/** A path id: one that exists, a random or hostile one, percent-encoded or raw. */
function idArb(pool: string[]): fc.Arbitrary<{ raw: string; sent: string }> {
  const raw = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 4, arbitrary: anyText });
  return fc.tuple(raw, fc.constantFrom('encode', 'encode', 'raw', 'double')).map(([value, how]) => {
    const sent = how === 'encode' ? encode(value) : how === 'double' ? encode(encode(value)) : value;
    return { raw: value, sent };
  });
}

/** encodeURIComponent, except that text it cannot encode (a lone surrogate) is sent as it is. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}

const queryValue = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    '1',
    '501',
    '1e3',
    'abc',
    '',
    'null',
    '[]',
    '2026-13-45T99:99:99Z',
    'now',
    'csv',
    'xml',
  ),
  fc.constantFrom(
    '2026-01-01T00:00:00Z',
    '1970-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59Z',
    'u1,u2,,',
    'active',
  ),
  anyText,
);

function queryArb(route: Route): fc.Arbitrary<string> {
  const names = fc.oneof(
    fc.constantFrom(...(route.query.length ? route.query : ['x'])),
    fc.constantFrom('x', 'limit', '__proto__', ''),
  );
  const pair = fc.tuple(names, queryValue).map(([k, v]) => `${encode(k)}=${encode(v)}`);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 4, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((p) => `?${p.join('&')}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('?', '?&&', '?a', '?=%', '?limit=1&limit=2', `?cursor=${'z'.repeat(300)}`),
    },
  );
}

const authorization = fc.oneof(
  { weight: 12, arbitrary: fc.constant(`Bearer ${KEYS.admin}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ...[KEYS.supervisor, KEYS.integration, KEYS.agent, KEYS.agent2].map((k) => `Bearer ${k}`),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'Bearer',
      'Bearer ',
      `Basic ${KEYS.admin}`,
      `Bearer ${KEYS.admin}x`,
      'Bearer \u00ff',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`) },
);

const contentType = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json, text/plain',
      '*/*',
      '',
      'application/vnd.api+json',
      'application/json;;;',
    ),
  },
);

const ifMatch = fc.constantFrom(
  '1',
  '"2"',
  'W/"3"',
  '0',
  '-1',
  '99999999999999999999',
  'abc',
  '*',
  '',
  '1, 2',
  '1.5',
);

const extraHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['Accept', 'text/event-stream'],
    ['Accept', '*/*;q=abc'],
    ['Accept-Encoding', 'gzip, br, zstd, x'],
    ['X-Forwarded-For', '::1, garbage'],
    ['Last-Event-ID', 'garbage'],
    ['Last-Event-ID', '0-0'],
    ['Origin', 'null'],
    ['Cookie', 'a=b; c'],
    ['Expect', 'something-else'],
    ['X-Http-Method-Override', 'DELETE'],
  ),
  fc
    .tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), fc.string({ maxLength: 40 }))
    .map(([k, v]) => [`X-${k}`, v] as [string, string]),
);

/** A value for a schema: often valid-looking, often of the wrong type or out of range. */
function valueFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, '', ' ', '0', [], {}, 'x'.repeat(5000)),
    fc.jsonValue({ maxDepth: 2 }),
    unicode,
  );
  if (!schema || depth > 3) return wrong;
  const valid: fc.Arbitrary<unknown> = schema.enum
    ? fc.constantFrom(...schema.enum)
    : schema.type === 'string'
      ? fc.oneof(
          unicode,
          fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/),
          fc.constantFrom('active', 'on-break', '#A1B2C3', 'call'),
        )
      : schema.type === 'integer' || schema.type === 'number'
        ? fc.oneof(
            fc.integer({ min: -10, max: 5000 }),
            fc.constantFrom(schema.minimum ?? 0, schema.maximum ?? 0, 2 ** 53, 0.5),
          )
        : schema.type === 'boolean'
          ? fc.boolean()
          : schema.type === 'array'
            ? fc.array(valueFor(schema.items, depth + 1), { maxLength: 4 })
            : schema.type === 'object'
              ? objectFor(schema, depth + 1)
              : wrong;
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: wrong });
}

function objectFor(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const model = Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valueFor(s, depth)]));
  const record = fc.record(model, { requiredKeys: [] });
  const unknown = fc.dictionary(
    fc.constantFrom('extra', 'statusID', '__proto__', 'constructor', ''),
    fc.jsonValue({ maxDepth: 1 }),
    {
      maxKeys: 2,
    },
  );
  return fc.oneof(
    { weight: 4, arbitrary: record },
    { weight: 1, arbitrary: fc.tuple(record, unknown).map(([a, b]) => ({ ...(a as object), ...b })) },
  );
}

const brokenJson = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":',
    '{"statusId":"active"',
    "{'statusId':'active'}",
    '{"statusId":"active",}',
    '[1,2,',
    'nul',
    'NaN',
    'Infinity',
    '{"a":1}{"b":2}',
    '\ufeff{"displayName":"x"}',
    '{"__proto__":{"polluted":true},"displayName":"x"}',
    '{"constructor":{"prototype":{"polluted":true}},"statusId":"active"}',
    '{"displayName":"\\ud800"}',
    '{"displayName":"a\\u0000b"}',
    '1e999999',
    '"just a string"',
    '   ',
  ),
  fc.nat({ max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.nat({ max: 2000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
);

function bodyArb(route: Route): fc.Arbitrary<Buffer | null> {
  const text = (s: string) => Buffer.from(s, 'utf8');
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(null) },
    {
      weight: route.body ? 8 : 1,
      arbitrary: valueFor(route.body ?? { type: 'object' }).map((v) => text(JSON.stringify(v) ?? 'null')),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => text(JSON.stringify(v))) },
    { weight: 2, arbitrary: brokenJson.map(text) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(64 * 1024 - 20, 64 * 1024 + 1, 200 * 1024)
        .map((n) => text(`{"displayName":"${'x'.repeat(n)}"}`)),
    },
  );
}

/** A malformed (or, now and then, valid) request for `route`. */
export function requestArb(route: Route, pools: Pools): fc.Arbitrary<RawRequest> {
  const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const poolOf = (name: string) =>
    name === 'activityId'
      ? pools.activities
      : route.path.startsWith('/v1/status-types')
        ? pools.statusTypes
        : pools.users;
  const ids = fc.tuple(...params.map((p) => idArb(poolOf(p))));
  const method = fc.oneof(
    { weight: 12, arbitrary: fc.constant(route.method) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'GET',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
        'HEAD',
        'OPTIONS',
        'TRACE',
        'PROPFIND',
      ),
    },
  );
  const headers = fc.record({
    authorization: fc.option(authorization, { nil: undefined, freq: 12 }),
    contentType: fc.option(contentType, { nil: undefined, freq: 12 }),
    ifMatch: fc.option(ifMatch, { nil: undefined, freq: 2 }),
    extra: fc.array(extraHeader, { maxLength: 2 }),
  });
  return fc
    .tuple(method, ids, queryArb(route), headers, bodyArb(route), fc.boolean())
    .map(([m, idValues, query, h, body, trailingSlash]) => {
      let path = route.path;
      const sentIds: Record<string, string> = {};
      params.forEach((name, i) => {
        const id = idValues[i] as { raw: string; sent: string };
        path = path.replace(`{${name}}`, id.sent);
        sentIds[name] = id.sent;
      });
      const list: Array<[string, string]> = [];
      if (h.authorization !== undefined) list.push(['Authorization', h.authorization]);
      if (h.contentType !== undefined && (body !== null || h.contentType !== 'application/json'))
        list.push(['Content-Type', h.contentType]);
      if (h.ifMatch !== undefined) list.push(['If-Match', h.ifMatch]);
      list.push(...h.extra);
      return {
        route,
        method: m,
        target: `${path}${trailingSlash && !path.endsWith('/') ? '/' : ''}${query}`,
        ids: sentIds,
        headers: list,
        body,
      };
    });
}

/** The request's bytes: Content-Length always right (a wrong one only makes the client wait), Connection: close. */
export function serialize(request: RawRequest, host: string): Buffer {
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    `Host: ${host}`,
    // CR/LF in a value would end the header early and smuggle a second request in: a different test.
    ...request.headers.map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, ' ')}`),
    ...(request.body ? [`Content-Length: ${request.body.length}`] : []),
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), request.body ?? Buffer.alloc(0)]);
}

export interface RawResponse {
  /** HTTP status; 0 = no answer before the timeout; -1 = the connection closed without any answer. */
  status: number;
  contentType: string;
  body: string;
  ms: number;
}

/**
 * Sends bytes over a fresh connection and reads the answer: until the connection closes (Connection: close), or,
 * for an event stream that never ends, as soon as its head is in.
 */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 5_000): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? (closed ? -1 : 0));
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const contentType = /\r\ncontent-type: *([^\r\n]*)/i.exec(head)?.[1] ?? '';
      resolve({
        status,
        contentType,
        body: Buffer.from(rest.join('\r\n\r\n'), 'latin1').toString('utf8'),
        ms: performance.now() - started,
      });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      if (
        text.includes('\r\n\r\n') &&
        /\r\ncontent-type: *text\/event-stream/i.test(text.split('\r\n\r\n')[0] ?? '')
      )
        finish(true);
    });
    socket.on('error', () => finish(true)); // a reset after the answer (the server may close before reading all)
    socket.on('close', () => finish(true));
    socket.write(bytes);
  });
}

// ------------------------------------------------------------------------------------------------ AMI frames

const amiHeaderName = fc.oneof(
  fc.constantFrom(
    'Event',
    'Response',
    'ActionID',
    'Channel',
    'Uniqueid',
    'Linkedid',
    'Device',
    'State',
    'Message',
  ),
  fc.constantFrom(
    'EventList',
    'Uptime',
    'Queue',
    'Interface',
    'Paused',
    'Presentity',
    'Status',
    'ChannelState',
  ),
  fc.string({ maxLength: 15 }),
);
const amiValue = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'Success',
    'Error',
    'Follows',
    'start',
    'Complete',
    'Goodbye',
    '-1',
    '0',
    '99999999999',
  ),
  fc.constantFrom(
    'PJSIP/',
    'PJSIP/-',
    'PJSIP/9999-zz',
    'SIP/abc-0',
    'Local/@from-queue/n',
    'Custom:DND',
    'CustomPresence:',
  ),
  fc.string({ maxLength: 40 }),
  unicode,
);
const amiEvent = fc.constantFrom(
  'Newchannel',
  'Newstate',
  'Hangup',
  'DeviceStateChange',
  'PresenceStateChange',
  'QueueMemberAdded',
  'QueueMemberRemoved',
  'QueueMemberPause',
  'FullyBooted',
  'CoreShowChannel',
  'CoreShowChannelsComplete',
  'DBGetResponse',
  'UserEvent',
  'Shutdown',
  '',
);

/** One malformed AMI frame (or a run of bytes that is no frame at all). Extensions 1001.. are never named. */
export const amiFrameArb: fc.Arbitrary<string> = fc
  .oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(amiEvent, fc.array(fc.tuple(amiHeaderName, amiValue), { maxLength: 8 }))
        .map(
          ([event, fields]) =>
            [`Event: ${event}`, ...fields.map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n',
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(amiHeaderName, amiValue), { maxLength: 6 })
        .map(
          (fields) =>
            ['Response: Success', ...fields.map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n',
        ),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '\r\n',
        '\n\n\n',
        '\r',
        ':\r\n\r\n',
        'Event\r\n\r\n',
        ': value\r\n\r\n',
        'Event: Newchannel\r\nChannel: PJSIP/\r\n\r\n',
        'Event: Hangup\r\nUniqueid: \r\n\r\n',
        'Event: FullyBooted\r\nUptime: -5\r\n\r\n',
        'Event: FullyBooted\r\nUptime: abc\r\nLastReload: \r\n\r\n',
        'Response: Follows\r\nActionID: 1\r\n--END COMMAND--\r\n\r\n',
        `Event: UserEvent\r\nData: ${'x'.repeat(70_000)}\r\n\r\n`,
        'Asterisk Call Manager/9.0.0\r\n',
        'Event: Newchannel\r\nChannel: PJSIP/1999-0000abcd\r\nUniqueid: 1.1\r\n\r\n',
      ),
    },
  )
  .map((frame) => frame.replace(/PJSIP\/1[0-2]\d\d-/g, 'PJSIP/9999-')); // never a call on a user's extension

// ------------------------------------------------------------------------------------------------ 3CX messages

const entity = fc.oneof(
  fc.constantFrom(
    '/callcontrol/999/participants/1',
    '/callcontrol/999/participants/abc',
    '/callcontrol//participants/1',
    '/callcontrol/../participants/1',
    '/callcontrol/999/participants/-1',
    '/callcontrol/999/participants/99999999999999999999',
    '/callcontrol/999/devices/1',
    '/callcontrol/999',
    '',
    '/',
  ),
  fc.string({ maxLength: 60 }),
  fc.nat().map((n) => `/callcontrol/9${n % 1000}/participants/${n}`),
);

/** One malformed Call Control WebSocket message. DN 201.. (the users') is never named. */
export const threeCxMessageArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          sequence: fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 1e308, 'x', null, '5')),
          event: fc.oneof(
            fc.record(
              {
                event_type: fc.oneof(fc.constantFrom(0, 1, 2, 4, 5, -1, 1.5), fc.jsonValue({ maxDepth: 1 })),
                entity: fc.oneof(entity, fc.jsonValue({ maxDepth: 1 })),
                attached_data: fc.jsonValue({ maxDepth: 2 }),
              },
              { requiredKeys: [] },
            ),
            fc.jsonValue({ maxDepth: 1 }),
          ),
        },
        { requiredKeys: [] },
      )
      .map((m) => JSON.stringify(m)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{', 'null', '[]', '{"event":null}', `{"x":"${'y'.repeat(100_000)}"}`),
  },
);
