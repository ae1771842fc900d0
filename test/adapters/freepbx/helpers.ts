/** Shared set-up for FreePBX adapter tests: a fake AMI server, an adapter with fast timings, an event log. */
import { pino } from 'pino';
import { expect } from 'vitest';
import { PbxError, type PbxAdapter, type PbxEvent } from '../../../src/adapters/pbx.js';
import { createFreepbxAdapter, type FreepbxAdapterInput } from '../../../src/adapters/freepbx/index.js';
import { FakeAmiServer, type FakeAmiOptions } from '../../fakes/fake-ami-server.js';
import { waitFor } from '../../harness/wait.js';

export interface Rig {
  fake: FakeAmiServer;
  adapter: PbxAdapter;
  events: PbxEvent[];
  /** Waits until an event matching `pred` has been seen (at index ≥ `from`), returns it. */
  waitEvent<T extends PbxEvent['type']>(
    type: T,
    pred?: (e: Extract<PbxEvent, { type: T }>) => boolean,
    from?: number,
  ): Promise<Extract<PbxEvent, { type: T }>>;
  eventsOf<T extends PbxEvent['type']>(type: T): Array<Extract<PbxEvent, { type: T }>>;
  close(): Promise<void>;
}

export const silentLogger = pino({ level: 'silent' });

export function fastOptions(port: number, overrides: Partial<FreepbxAdapterInput> = {}): FreepbxAdapterInput {
  return {
    id: 'test',
    ami: { host: '127.0.0.1', port, username: 'bridge', secret: 'secret' },
    pingIntervalMs: 40,
    pingTimeoutMs: 400,
    actionTimeoutMs: 800,
    backoff: { initialMs: 10, maxMs: 40 },
    logger: silentLogger,
    ...overrides,
  };
}

/** Starts a fake and an adapter; by default waits for the first `connected`. */
export async function startRig(
  opts: { fake?: FakeAmiOptions; adapter?: Partial<FreepbxAdapterInput>; waitConnected?: boolean } = {},
): Promise<Rig> {
  const fake = await new FakeAmiServer(opts.fake).start();
  const adapter = createFreepbxAdapter(fastOptions(fake.port, opts.adapter));
  const events: PbxEvent[] = [];
  const eventsOf = <T extends PbxEvent['type']>(type: T) =>
    events.filter((e): e is Extract<PbxEvent, { type: T }> => e.type === type);
  const waitEvent: Rig['waitEvent'] = (type, pred = () => true, from = 0) =>
    waitFor(() => eventsOf(type).find((e) => events.indexOf(e) >= from && pred(e)), {
      what: `${type} event`,
    });
  await adapter.start((e) => events.push(e));
  if (opts.waitConnected !== false) await waitEvent('connected');
  return {
    fake,
    adapter,
    events,
    waitEvent,
    eventsOf,
    close: async () => {
      await adapter.stop();
      await fake.stop();
    },
  };
}

export { waitFor };

/** The PbxError a promise rejects with (fails the test when it resolves or rejects with something else). */
export async function rejection(p: Promise<unknown>): Promise<PbxError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PbxError);
  return err as PbxError;
}
