/** Helpers shared by the 3CX adapter tests: loggers that capture, desired settings, an event log. */
import { Writable } from 'node:stream';
import axios from 'axios';
import { pino, type Logger } from 'pino';
import type { DesiredSettings, PbxAdapter, PbxEvent } from '../../../src/adapters/pbx.js';
import { createThreeCxAdapter } from '../../../src/adapters/3cx/index.js';
import type { ThreeCxAdapterInput } from '../../../src/adapters/3cx/options.js';
import { TokenManager } from '../../../src/adapters/3cx/token-manager.js';
import { requestToken } from '../../../src/adapters/3cx/token-request.js';
import { XapiClient } from '../../../src/adapters/3cx/xapi-client.js';
import type { Fake3cxServer } from '../../fakes/fake-3cx-server.js';
import { waitFor } from '../../harness/wait.js';

/** A debug-level logger whose output is kept in memory (to assert what is, and is not, logged). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export function desired(
  patch: Partial<Omit<DesiredSettings, 'presence' | 'queues'>> & {
    profile?: string;
    loggedIn?: boolean;
    mode?: 'logout' | 'pause';
  } = {},
): DesiredSettings {
  const { profile = 'Available', loggedIn = true, mode = 'logout', ...rest } = patch;
  return {
    statusId: 'available',
    statusName: 'Available',
    presence: { freepbx: { dnd: false, presence: 'available' }, '3cx': { profile } },
    queues: { loggedIn, mode, reason: 'Break' },
    ringMyMobile: false,
    externalCalls: true,
    ...rest,
  };
}

/** Every event the adapter emitted, with waits on a predicate (never a blind sleep). */
export class EventLog {
  readonly events: PbxEvent[] = [];
  readonly sink = (event: PbxEvent): void => void this.events.push(event);

  async next<T extends PbxEvent['type']>(
    type: T,
    match: (e: Extract<PbxEvent, { type: T }>) => boolean = () => true,
    nth = 1,
  ): Promise<Extract<PbxEvent, { type: T }>> {
    return waitFor(() => this.ofType(type).filter(match)[nth - 1], {
      timeoutMs: 5_000,
      what: `${nth}. ${type} event`,
    });
  }

  ofType<T extends PbxEvent['type']>(type: T): Extract<PbxEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<PbxEvent, { type: T }> => e.type === type);
  }

  /** "started:1001", "ended:1001" … for one extension, in order. */
  calls(extension: string): string[] {
    return this.events.flatMap((e) =>
      e.type === 'activityStarted' && e.extension === extension
        ? [`started:${e.activityId}`]
        : e.type === 'activityEnded' && e.extension === extension
          ? [`ended:${e.activityId}`]
          : [],
    );
  }
}

/** An adapter talking to the fake, with short intervals so tests run fast. */
export function adapterFor(fake: Fake3cxServer, patch: Partial<ThreeCxAdapterInput> = {}): PbxAdapter {
  return createThreeCxAdapter({
    id: 'hq',
    url: fake.url,
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    logger: pino({ level: 'silent' }),
    backoff: { initialMs: 20, maxMs: 200 },
    presencePollIntervalMs: 60_000,
    requestTimeoutMs: 2_000,
    ...patch,
  });
}

export const PBX = 'http://pbx.test';

/** XapiClient + TokenManager against `PBX` (for nock), with a clock the test moves. */
export function clientStack(
  options: { timeoutMs?: number; backoff?: { initialMs: number; maxMs: number } } = {},
) {
  const clock = { now: 1_700_000_000_000 };
  const http = axios.create({ baseURL: PBX, timeout: options.timeoutMs ?? 2_000 });
  const abort = new AbortController();
  const credentials = { clientId: '901', clientSecret: 'top-secret-key' };
  const tokens = new TokenManager(() => requestToken(http, credentials, abort.signal), {
    backoff: options.backoff ?? { initialMs: 1_000, maxMs: 8_000 },
    now: () => clock.now,
  });
  return { clock, tokens, client: new XapiClient(http, tokens, abort.signal), credentials, abort };
}

/** A JWT-shaped token carrying `exp` (seconds). */
export function jwtWithExp(expMs: number, id = 'x'): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ exp: Math.floor(expMs / 1000), jti: id })}.sig`;
}
