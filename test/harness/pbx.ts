/** Shared set-up for tests that run the daemon against the fake AMI server. */
import type { FakeAmiServer } from '../fakes/fake-ami-server.js';

/** The daemon's config entry for a fake AMI server: connection "main", quick pings and reconnects. */
export function freepbxConnection(
  fake: Pick<FakeAmiServer, 'port'>,
  overrides: Record<string, unknown> = {},
) {
  return {
    id: 'main',
    kind: 'freepbx',
    ami: { host: '127.0.0.1', port: fake.port, username: 'bridge', secret: 'secret' },
    pingIntervalMs: 100,
    pingTimeoutMs: 1000,
    actionTimeoutMs: 1000,
    backoff: { initialMs: 20, maxMs: 200 },
    ...overrides,
  };
}

/** FreePBX facts the adapter reads for an extension (name and device), and an empty queue 400. */
export function seedExtensions(fake: FakeAmiServer, extensions: string[], queue = '400'): void {
  if (!fake.queues.has(queue)) fake.addQueue(queue, []);
  for (const ext of extensions) {
    fake.db.set(`AMPUSER/${ext}/cidname`, `Agent ${ext}`);
    fake.db.set(`AMPUSER/${ext}/device`, ext);
  }
}
