/**
 * An in-process daemon for integration tests: the real Daemon on the private test Redis, a unique key prefix,
 * port 0, known keys for every role. Tests talk to it with inject() or over the socket at `url`.
 */
import type { Config } from '../../src/bridge/config/schema.js';
import { validateConfig } from '../../src/bridge/config/load.js';
import { Daemon } from '../../src/bridge/daemon.js';
import { createLogger } from '../../src/bridge/logger.js';
import { uniquePrefix } from './prefix.js';

export const KEYS = {
  admin: 'test-admin-key-0123456789',
  supervisor: 'test-supervisor-key-0123456789',
  integration: 'test-integration-key-0123456789',
  agent: 'test-agent-u1-key-0123456789',
  agent2: 'test-agent-u2-key-0123456789',
} as const;

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export interface TestDaemonOptions {
  redisUrl: string;
  prefix?: string;
  /** Raw config sections merged over the test defaults (validated like a file). */
  config?: Record<string, unknown>;
  clock?: () => Date;
}

export function testConfig(options: TestDaemonOptions): Config {
  const base: Record<string, unknown> = {
    server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 5000 },
    redis: {
      url: options.redisUrl,
      keyPrefix: options.prefix ?? uniquePrefix('d'),
      embedded: 'never',
      partitions: 4,
    },
    auth: {
      keys: [
        { name: 'admin', role: 'admin', key: KEYS.admin },
        { name: 'supervisor', role: 'supervisor', key: KEYS.supervisor },
        { name: 'integration', role: 'integration', key: KEYS.integration },
        { name: 'agent-u1', role: 'agent', userId: 'u1', key: KEYS.agent },
        { name: 'agent-u2', role: 'agent', userId: 'u2', key: KEYS.agent2 },
      ],
    },
    log: { level: process.env.PB_TEST_LOG ?? 'silent' },
  };
  const merged = { ...base };
  for (const [section, value] of Object.entries(options.config ?? {})) {
    const current = merged[section];
    merged[section] =
      current &&
      typeof current === 'object' &&
      !Array.isArray(current) &&
      value &&
      typeof value === 'object' &&
      !Array.isArray(value)
        ? { ...current, ...value }
        : value;
  }
  return validateConfig(merged, 'test');
}

export async function startTestDaemon(options: TestDaemonOptions): Promise<TestDaemon> {
  const config = testConfig(options);
  const daemon = new Daemon({
    config,
    log: createLogger(config.log.level),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await daemon.start();
  return new TestDaemon(daemon, config);
}

export class TestDaemon {
  constructor(
    readonly daemon: Daemon,
    readonly config: Config,
  ) {}

  get url(): string {
    const address = this.daemon.address;
    if (!address) throw new Error('daemon is not listening');
    return address;
  }

  get app() {
    if (!this.daemon.app) throw new Error('daemon has no app');
    return this.daemon.app;
  }

  /** inject() with a role's key and JSON body. */
  async request(
    role: keyof typeof KEYS | null,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(role ? { authorization: `Bearer ${KEYS[role]}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return {
      status: response.statusCode,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
      body: response.body ? (safeJson(response.body) as any) : undefined,
      headers: response.headers,
    };
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
