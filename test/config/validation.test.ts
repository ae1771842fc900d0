/**
 * Every kind of invalid configuration is refused with a problem that names the field (its full path) and says
 * why; and all problems of a file come back together, so an admin fixes it in one pass.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/bridge/config/load.js';
import { errorOf, problemsFor, secret } from './problems.js';

const freepbx = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'freepbx',
  ami: { host: '127.0.0.1', username: 'bridge', secret: 'ami-secret' },
  ...extra,
});
const threecx = (id: string) => ({
  id,
  kind: '3cx',
  url: 'https://pbx.example.com',
  clientId: 'bridge',
  clientSecret: 'client-secret',
});

interface Case {
  what: string;
  raw: Record<string, unknown>;
  /** Each expected problem: exact path, and a pattern its message must match. */
  expected: Array<[path: string, message: RegExp]>;
}

const cases: Case[] = [
  {
    what: 'unknown fields, at the top and inside a section',
    raw: { server: { prot: 8080 }, metrics: true },
    expected: [
      ['server.prot', /unknown field/],
      ['metrics', /unknown field/],
    ],
  },
  {
    what: 'unknown field inside a pbx entry',
    raw: { pbx: [freepbx('main', { amiHost: 'x' })] },
    expected: [['pbx[0].amiHost', /unknown field/]],
  },
  {
    what: 'wrong types',
    raw: { server: { port: '8080' }, status: { requireShift: 'yes' }, auth: { keys: {} } },
    expected: [
      ['server.port', /expected number, received string/],
      ['status.requireShift', /expected boolean, received string/],
      ['auth.keys', /expected array/],
    ],
  },
  {
    what: 'bad enum values',
    raw: { redis: { embedded: 'sometimes' }, log: { level: 'loud' }, sync: { queueMode: 'kick' } },
    expected: [
      ['redis.embedded', /"auto"\|"always"\|"never"/],
      ['log.level', /"info"/],
      ['sync.queueMode', /"logout"\|"pause"/],
    ],
  },
  {
    what: 'out-of-range ports',
    raw: { server: { port: 65536 }, pbx: [freepbx('main', { ami: { ...freepbx('x').ami, port: 0 } })] },
    expected: [
      ['server.port', /<=65535/],
      ['pbx[0].ami.port', />=1/],
    ],
  },
  {
    what: 'out-of-range numbers elsewhere',
    raw: {
      status: { connectionTimeoutSeconds: 1 },
      redis: { partitions: 0 },
      server: { shutdownTimeoutMs: 1.5 },
    },
    expected: [
      ['status.connectionTimeoutSeconds', />=5/],
      ['redis.partitions', />=1/],
      ['server.shutdownTimeoutMs', /int/i],
    ],
  },
  {
    what: 'a redis url that is not redis:// or rediss://',
    raw: { redis: { url: 'http://127.0.0.1:6379' } },
    expected: [['redis.url', /must start with redis:\/\/ or rediss:\/\//]],
  },
  {
    what: 'a key prefix with characters Redis Cluster hash tags would trip on',
    raw: { redis: { keyPrefix: 'pb{1}:' } },
    expected: [['redis.keyPrefix', /letters, digits/]],
  },
  {
    what: 'an agent key without userId, and a non-agent key with one',
    raw: {
      auth: {
        keys: [
          { name: 'desk', role: 'agent', key: secret(1) },
          { name: 'boss', role: 'supervisor', key: secret(2), userId: 'u-1' },
        ],
      },
    },
    expected: [
      ['auth.keys[0].userId', /required for agent keys/],
      ['auth.keys[1].userId', /allowed only for them/],
    ],
  },
  {
    what: 'a key shorter than 16 characters and an unknown role',
    raw: {
      auth: {
        keys: [
          { name: 'a', role: 'admin', key: 'short' },
          { name: 'b', role: 'root', key: secret(2) },
        ],
      },
    },
    expected: [
      ['auth.keys[0].key', /at least 16 characters/],
      ['auth.keys[1].role', /"admin"/],
    ],
  },
  {
    what: 'duplicate key names',
    raw: {
      auth: {
        keys: [
          { name: 'ops', role: 'admin', key: secret(1) },
          { name: 'ops', role: 'supervisor', key: secret(2) },
        ],
      },
    },
    expected: [['auth.keys', /key names must be unique/]],
  },
  {
    what: 'two keys with the same secret',
    raw: {
      auth: {
        keys: [
          { name: 'a', role: 'admin', key: secret(1) },
          { name: 'b', role: 'supervisor', key: secret(1) },
        ],
      },
    },
    expected: [['auth.keys', /same secret/]],
  },
  {
    what: 'duplicate pbx ids (across kinds)',
    raw: { pbx: [freepbx('main'), threecx('main')] },
    expected: [['pbx', /pbx ids must be unique/]],
  },
  {
    what: 'a pbx entry of unknown kind, and one missing required fields',
    raw: {
      pbx: [
        { id: 'a', kind: 'asterisk' },
        { id: 'b', kind: '3cx', url: 'https://x.example.com' },
      ],
    },
    expected: [
      ['pbx[0].kind', /freepbx.*3cx/],
      ['pbx[1].clientId', /required/],
      ['pbx[1].clientSecret', /required/],
    ],
  },
  {
    what: 'a bad pbx id and a 3cx url that is not a URL',
    raw: { pbx: [{ ...threecx('Main PBX'), url: 'not a url' }] },
    expected: [
      ['pbx[0].id', /lower-case letters/],
      ['pbx[0].url', /url/i],
    ],
  },
  {
    what: 'a root that is not a mapping',
    raw: ['server'] as unknown as Record<string, unknown>,
    expected: [['(root)', /expected object/]],
  },
];

describe('invalid configuration', () => {
  it.each(cases)('$what: names each bad field and why', ({ raw, expected }) => {
    const problems = problemsFor(raw);
    for (const [path, message] of expected) {
      expect(problems, `problem at ${path}`).toContainEqual({
        path,
        message: expect.stringMatching(message),
      });
    }
    expect(problems).toHaveLength(expected.length); // nothing reported twice, nothing invented
  });

  it('reports every problem of a file at once, and the message lists each as "path: reason"', () => {
    const err = errorOf(() =>
      validateConfig(
        {
          server: { port: -1, colour: 'red' },
          redis: { url: 'tcp://x', embedded: 'maybe' },
          auth: { keys: [{ name: 'desk', role: 'agent', key: 'short' }] },
          status: { wrapUpSeconds: 99_999 },
          pbx: [freepbx('main'), freepbx('main')],
        },
        'site.yaml',
      ),
    );
    expect(err.source).toBe('site.yaml');
    expect(err.problems.map((p) => p.path).sort()).toEqual(
      [
        'server.port',
        'server.colour',
        'redis.url',
        'redis.embedded',
        'auth.keys[0].key',
        'auth.keys[0].userId',
        'status.wrapUpSeconds',
        'pbx',
      ].sort(),
    );
    expect(err.message.split('\n')[0]).toBe('invalid configuration in site.yaml:');
    for (const problem of err.problems)
      expect(err.message).toContain(`  - ${problem.path}: ${problem.message}`);
  });

  it('never echoes a secret value in its messages', () => {
    const err = errorOf(() =>
      validateConfig(
        {
          auth: {
            keys: [
              { name: 'a', role: 'admin', key: 'sekrit-shortkey' },
              { name: 'b', role: 'admin', key: 'same-secret-0123456789' },
              { name: 'c', role: 'admin', key: 'same-secret-0123456789' },
            ],
          },
        },
        'test.yaml',
      ),
    );
    expect(err.message).not.toContain('sekrit-shortkey');
    expect(err.message).not.toContain('same-secret-0123456789');
  });
});
