/**
 * TLS stays verified: a self-signed PBX is trusted only through `caFile` (for XAPI and the WebSocket).
 * The certificate and key in test/fixtures/3cx/tls were generated for this test only (CN=localhost).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PbxAdapter } from '../../../src/adapters/pbx.js';
import { Fake3cxServer } from '../../fakes/fake-3cx-server.js';
import { waitFor } from '../../harness/wait.js';
import { adapterFor, desired, EventLog } from './support.js';

const tlsDir = fileURLToPath(new URL('../../fixtures/3cx/tls/', import.meta.url));
const certFile = `${tlsDir}pbx-cert.pem`;
let fake: Fake3cxServer;
let adapter: PbxAdapter | undefined;

beforeEach(async () => {
  fake = await Fake3cxServer.start({
    tls: { key: readFileSync(`${tlsDir}pbx-key.pem`), cert: readFileSync(certFile) },
  });
  fake.addUser('101');
});
afterEach(async () => {
  await adapter?.stop();
  await fake.stop();
});

describe('3CX over TLS', () => {
  it('trusts a self-signed PBX through caFile, for XAPI and the WebSocket', async () => {
    adapter = adapterFor(fake, { caFile: certFile });
    const log = new EventLog();
    await adapter.start(log.sink);
    await log.next('connected');
    expect(fake.url).toMatch(/^https:/);
    expect(fake.upgrades).toEqual([expect.objectContaining({ status: 101 })]);
    await expect(
      adapter.apply({ userId: 'u', extension: '101', queues: [] }, desired({ profile: 'Away' })),
    ).resolves.toEqual({ changed: ['presence'] });
  });

  it('refuses an unverifiable certificate without caFile and says how to fix it', async () => {
    adapter = adapterFor(fake);
    await adapter.start(() => undefined);
    const err = await adapter
      .apply({ userId: 'u', extension: '101', queues: [] }, desired())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PBX_UNAVAILABLE' });
    expect((err as Error).message).toContain('caFile');
    await waitFor(() => adapter?.status().lastError?.includes('caFile'), { what: 'lastError' });
    expect(adapter.status().connected).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });
});
