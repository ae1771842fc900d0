/**
 * The AMI session against the fake server: login failure, keepalive timeout, reconnect with backoff,
 * event mask after every login, fail-fast and no replay while disconnected, per-action timeouts,
 * malformed frames, stop().
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DesiredSettings, PbxTarget } from '../../../src/adapters/pbx.js';
import { createFreepbxAdapter } from '../../../src/adapters/freepbx/index.js';
import { FakeAmiServer } from '../../fakes/fake-ami-server.js';
import { fastOptions, startRig, waitFor, type Rig, rejection } from './helpers.js';

const target: PbxTarget = { userId: 'u1', extension: '1001', queues: [] };
const desired: DesiredSettings = {
  statusId: 'available',
  statusName: 'Available',
  presence: { freepbx: { dnd: false, presence: 'available' }, '3cx': { profile: 'Available' } },
  queues: { loggedIn: true, mode: 'logout', reason: '' },
  ringMyMobile: false,
  externalCalls: true,
};

let rig: Rig | null = null;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await rig?.close();
  rig = null;
  for (const c of cleanups.splice(0)) await c();
});

describe('login', () => {
  it('reports a refused login in status().lastError and keeps retrying, without hanging', async () => {
    const fake = await new FakeAmiServer({ secret: 'right', loginFailDelayMs: 20 }).start();
    const adapter = createFreepbxAdapter(fastOptions(fake.port));
    cleanups.push(
      () => adapter.stop(),
      () => fake.stop(),
    );
    await adapter.start(() => undefined);

    await waitFor(() =>
      adapter.status().lastError?.startsWith('PBX_AUTH_FAILED: AMI login refused: Authentication failed'),
    );
    expect(adapter.status().connected).toBe(false);
    await waitFor(() => fake.loginAttempts >= 3, { what: 'login retries' });
    // nothing was queued behind the failed login: no action but Login ever reached the PBX
    expect(fake.actions.every((a) => a.name.toLowerCase() === 'login')).toBe(true);

    fake.secret = 'secret';
    await waitFor(() => adapter.status().connected, { what: 'login after the secret was fixed' });
  });

  it('sets the event mask with an Events action after every login', async () => {
    rig = await startRig();
    const first = rig.fake.actionsNamed('Events');
    expect(first.map((a) => a.headers.eventmask)).toEqual(['call,agent,user,system']);
    rig.fake.dropAll();
    await rig.waitEvent('connected', undefined, rig.events.length);
    const sessions = rig.fake.actionsNamed('Events').map((a) => a.session);
    expect(new Set(sessions).size).toBe(2);
  });
});

describe('liveness and reconnect', () => {
  it('notices a stalled (half-open) link through the Ping deadline and reconnects', async () => {
    rig = await startRig();
    await waitFor(() => rig!.fake.actionsNamed('Ping').length > 0, { what: 'keepalive pings' });
    rig.fake.stall();
    const down = await rig.waitEvent('disconnected');
    expect(down.reason).toMatch(/Ping unanswered within 400 ms/);
    expect(rig.adapter.status()).toMatchObject({ connected: false, lastError: down.reason });
    rig.fake.stall(false);
    await rig.waitEvent('connected', undefined, rig.events.indexOf(down));
    expect(rig.adapter.status()).toMatchObject({ connected: true, reconnects: 1 });
  });

  it('reconnects with backoff after the connection drops and while connections are refused', async () => {
    rig = await startRig();
    const before = rig.fake.connections;
    await rig.fake.refuse();
    await rig.waitEvent('disconnected');
    await waitFor(() => rig!.adapter.status().lastError?.includes('ECONNREFUSED'), {
      what: 'refused attempts',
    });
    await rig.fake.accept();
    await rig.waitEvent('connected', undefined, 1);
    expect(rig.fake.connections).toBeGreaterThan(before);
    expect(rig.adapter.status()).toMatchObject({ connected: true, reconnects: 1 });
    expect(rig.adapter.status().lastEventAt).toBeInstanceOf(Date);
  });
});

describe('actions', () => {
  it('fail fast with PBX_UNAVAILABLE while disconnected, and nothing is sent later', async () => {
    rig = await startRig();
    await rig.fake.refuse();
    await rig.waitEvent('disconnected');
    const started = Date.now();
    const err = await rejection(rig.adapter.apply(target, desired));
    expect(err.code).toBe('PBX_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(100);
    expect((await rejection(rig.adapter.snapshot())).code).toBe('PBX_UNAVAILABLE');

    rig.fake.clearActions();
    await rig.fake.accept();
    await rig.waitEvent('connected', undefined, 1);
    expect(rig.fake.actions.filter((a) => /^db|queue|setvar/i.test(a.name))).toEqual([]);
  });

  it('an action in flight when the link drops fails at once and is not replayed after reconnect', async () => {
    rig = await startRig({ adapter: { actionTimeoutMs: 10_000 } });
    rig.fake.ignoredActions.add('dbget');
    const started = Date.now();
    const pending = rig.adapter.apply(target, desired);
    await waitFor(() => rig!.fake.actionsNamed('DBGet').length >= 1, { what: 'DBGet sent' });
    rig.fake.dropAll();
    const err = await rejection(pending);
    expect(err.code).toBe('PBX_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5_000); // long before the 10 s action deadline
    rig.fake.ignoredActions.clear();
    rig.fake.clearActions();
    await rig.waitEvent('connected', undefined, 1);
    await waitFor(() => rig!.fake.actionsNamed('Ping').length > 0, { what: 'a ping on the new link' });
    expect(rig.fake.actionsNamed('DBGet')).toEqual([]);
  });

  it('an unanswered action times out with PBX_TIMEOUT and the link stays up', async () => {
    rig = await startRig({ adapter: { actionTimeoutMs: 100 } });
    rig.fake.ignoredActions.add('dbget');
    const err = await rejection(rig.adapter.apply(target, desired));
    expect(err.code).toBe('PBX_TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(rig.adapter.status().connected).toBe(true);
    expect(rig.eventsOf('disconnected')).toEqual([]);
  });
});

describe('robustness', () => {
  it('survives malformed frames and keeps processing events', async () => {
    rig = await startRig();
    rig.fake.sendRaw('garbage without colon\r\n\r\n');
    rig.fake.sendRaw('Event: Hangup\r\nUniqueid\r\nChannel: PJSIP/\r\n\r\n');
    rig.fake.sendRaw('Event: Newchannel\r\nChannel: PJSIP/1001-0000ffff\r\nUniqueid: \r\n\r\n');
    rig.fake.sendRaw('Response: Success\r\nActionID: nobody-asked\r\n\r\n');
    rig.fake.sendRaw(`Event: FullyBooted\r\nUptime: not-a-number\r\nX: ${'y'.repeat(5000)}\r\n\r\n`);
    rig.fake.sendRaw('Event: DeviceStateChange\r\nDevice: Custom:DND1001\r\nState: WHATEVER\r\n\r\n');
    rig.fake.sendRaw('\r\n\r\n:\r\n: \r\nEvent:\r\n\r\n');
    rig.fake.sendRaw(
      'Event: QueueMemberPause\r\nInterface: Local/1001@from-queue/n\r\nPaused: maybe\r\n\r\n',
    );
    rig.fake.startChannel({ channel: 'PJSIP/1001-00000001', uniqueid: '1.1', linkedid: '1.1' });
    await rig.waitEvent('activityStarted');
    expect(rig.adapter.status().connected).toBe(true);
    expect(rig.eventsOf('presenceChanged')).toEqual([]);
    expect(rig.eventsOf('connected')).toHaveLength(1);
  });

  it('a throwing event sink does not break event processing or the link', async () => {
    const fake = await new FakeAmiServer().start();
    const adapter = createFreepbxAdapter(fastOptions(fake.port));
    cleanups.push(
      () => adapter.stop(),
      () => fake.stop(),
    );
    const seen: string[] = [];
    await adapter.start((e) => {
      seen.push(e.type);
      throw new Error('bridge bug');
    });
    await waitFor(() => seen.includes('connected'));
    fake.startChannel({ channel: 'PJSIP/1001-00000001', uniqueid: '1.1', linkedid: '1.1' });
    fake.hangupChannel('1.1');
    await waitFor(() => seen.includes('activityEnded'), { what: 'events after the sink threw' });
    expect(seen).toEqual(['connected', 'activityStarted', 'activityEnded']);
    expect(adapter.status().connected).toBe(true);
  });

  it('recovers when a frame wedges the parser ("Response: Follows" without end marker)', async () => {
    rig = await startRig();
    rig.fake.sendRaw('Response: Follows\r\nPrivilege: Command\r\n');
    const down = await rig.waitEvent('disconnected');
    expect(down.reason).toMatch(/Ping unanswered/);
    await rig.waitEvent('connected', undefined, rig.events.indexOf(down));
  });

  it('stop() during a hanging login attempt returns at once instead of waiting for the deadline', async () => {
    const fake = await new FakeAmiServer().start();
    cleanups.push(() => fake.stop());
    fake.stall();
    const adapter = createFreepbxAdapter(fastOptions(fake.port, { actionTimeoutMs: 10_000 }));
    await adapter.start(() => undefined);
    await waitFor(() => fake.connections === 1, { what: 'connection attempt' });
    const started = Date.now();
    await adapter.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(adapter.status().connected).toBe(false);
  });

  it('stop() closes the link, is idempotent and emits no further connects', async () => {
    rig = await startRig();
    await rig.adapter.stop();
    await rig.adapter.stop();
    expect(rig.adapter.status().connected).toBe(false);
    await waitFor(() => rig!.fake.authenticatedSessions === 0, { what: 'session closed' });
    expect(rig.fake.actionsNamed('Logoff')).toHaveLength(1);
    expect((await rejection(rig.adapter.apply(target, desired))).code).toBe('PBX_UNAVAILABLE');
    expect(rig.eventsOf('disconnected').map((e) => e.reason)).toEqual(['stopped']);
  });
});
