/**
 * Every request the adapter sends — recorded by the fake while the adapter does everything it can do —
 * exists in 3CX's contract: path, method, query options and body properties (openapi-contract.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fake3cxServer } from '../../fakes/fake-3cx-server.js';
import { OpenApiContract, type ContractRequest } from './openapi-contract.js';
import { adapterFor, desired, EventLog } from './support.js';

let contract: OpenApiContract;
let fake: Fake3cxServer;

/** Drives every code path that talks to the PBX: apply (all four settings), polls, call events. */
async function exerciseAdapter(): Promise<void> {
  fake.addUser('101');
  for (const mode of ['websocket', 'polling'] as const) {
    const adapter = adapterFor(fake, {
      callEvents: mode,
      callPollIntervalMs: 20,
      presencePollIntervalMs: 20,
      externalCalls: { enabled: true },
    });
    const log = new EventLog();
    await adapter.start(log.sink);
    await log.next('connected');
    const flip = mode === 'websocket';
    await adapter.apply(
      { userId: 'u', extension: '101', queues: ['800'] },
      desired({
        profile: flip ? 'Lunch' : 'Away',
        loggedIn: !flip,
        ringMyMobile: flip,
        externalCalls: !flip,
      }),
    );
    const p = fake.addParticipant('101', { status: 'Connected' });
    await log.next('activityStarted');
    await adapter.snapshot();
    fake.removeParticipant('101', p.id);
    await log.next('activityEnded');
    fake.user('101').CurrentProfileName = 'Out of office';
    await log.next('presenceChanged');
    await adapter.stop();
  }
}

beforeAll(async () => {
  contract = new OpenApiContract();
  fake = await Fake3cxServer.start();
  await exerciseAdapter();
}, 30_000);
afterAll(async () => {
  await fake?.stop();
});

describe('3CX requests conform to the OpenAPI file and the documented Call Control API', () => {
  it('uses only documented operations, query options and body properties', () => {
    const problems = fake.requests.flatMap((r) => contract.violations(r));
    expect(problems).toEqual([]);
  });

  it('covered every kind of request the adapter makes', () => {
    const ops = new Set(fake.requests.map((r) => contract.operationOf(r)));
    expect([...ops].sort()).toEqual([
      'GET /callcontrol',
      'GET /callcontrol/{dn}/participants/{id}',
      'GET /xapi/v1/Users',
      'GET /xapi/v1/Users({Id})',
      'PATCH /xapi/v1/Users({Id})',
      'POST /connect/token',
      'POST /xapi/v1/Users/Pbx.MultiUserUpdate',
    ]);
    const bodies = fake.requests
      .filter((r) => r.method === 'PATCH')
      .flatMap((r) => Object.keys(r.body as object));
    expect(new Set(bodies)).toEqual(new Set(['CurrentProfileName', 'QueueStatus', 'Internal']));
  });

  it('opened the WebSocket only at the documented /callcontrol/ws (the fake refuses other paths)', () => {
    expect(contract.operationOf({ method: 'GET', path: '/callcontrol/ws', query: {}, body: null })).toBe(
      'GET /callcontrol/ws',
    );
    expect(fake.upgrades.length).toBeGreaterThan(0);
    expect(fake.upgrades.every((u) => u.status === 101)).toBe(true);
  });

  it('the checker itself rejects what the contract does not allow', () => {
    const bad: ContractRequest[] = [
      { method: 'PUT', path: '/xapi/v1/Users(7)', query: {}, body: {} },
      { method: 'PATCH', path: '/xapi/v1/Users(7)', query: {}, body: { CurrentProfile: 'Away' } },
      { method: 'PATCH', path: '/xapi/v1/Users(7)', query: {}, body: { QueueStatus: 'Paused' } },
      { method: 'GET', path: '/xapi/v1/Users', query: { $top: '10', $foo: '1' }, body: null },
      {
        method: 'POST',
        path: '/xapi/v1/Users/Pbx.MultiUserUpdate',
        query: {},
        body: { ids: [1], user: { CurrentProfileName: 'Away' } },
      },
      {
        method: 'POST',
        path: '/xapi/v1/Users/Pbx.MultiUserUpdate',
        query: {},
        body: { ids: [1], user: { ForwardingProfiles: [{ Id: 1, Ring: true }] } },
      },
      { method: 'GET', path: '/callcontrol/101/calls', query: {}, body: null },
      { method: 'POST', path: '/connect/token', query: {}, body: { grant_type: 'password', username: 'x' } },
    ];
    for (const req of bad) expect(contract.violations(req), `${req.method} ${req.path}`).not.toEqual([]);
    expect(
      contract.violations({
        method: 'GET',
        path: '/xapi/v1/Users(7)',
        query: { $select: 'Id', $expand: 'ForwardingProfiles' },
        body: null,
      }),
    ).toEqual([]);
  });
});
