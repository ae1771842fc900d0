/**
 * apply() against the fake: the exact AMI writes of reference §4–§7, read-compare-write idempotence,
 * and the permanent errors (unknown extension, Follow Me not configured).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DesiredSettings,
  type FreepbxPresenceState,
  type PbxTarget,
} from '../../../src/adapters/pbx.js';
import { startRig, type Rig, rejection } from './helpers.js';

const IFACE = 'Local/1001@from-queue/n';

const target: PbxTarget = { userId: 'u1', extension: '1001', queues: ['400', '401'] };

type Wish = Omit<Partial<DesiredSettings>, 'presence'> & {
  dnd?: boolean;
  presence?: FreepbxPresenceState;
  message?: string;
};

function wish(over: Wish = {}): DesiredSettings {
  const { dnd = false, presence = 'available', message, ...rest } = over;
  const freepbx = { dnd, presence, ...(message === undefined ? {} : { message }) };
  return {
    statusId: 's1',
    statusName: 'Available',
    presence: { freepbx, '3cx': { profile: 'Available' } },
    queues: { loggedIn: true, mode: 'pause', reason: '' },
    ringMyMobile: false,
    externalCalls: true,
    ...rest,
  };
}

/** Writes without the reads, as [action, selected headers…] for exact comparisons. */
function writes(r: Rig): Array<Record<string, string>> {
  return r.fake.writes().map(({ headers }) => {
    const { actionid: _id, ...rest } = headers;
    return rest;
  });
}

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
  const db = rig.fake.db;
  db.set('AMPUSER/1001/cidname', 'Agent One');
  db.set('AMPUSER/1001/device', '1001');
  db.set('QPENALTY/401/agents/1001', '2');
  rig.fake.addQueue('400');
  rig.fake.addQueue('401');
  rig.fake.presence.set('CustomPresence:1001', { state: 'available', subtype: '', message: '' });
  rig.fake.clearActions();
});
afterEach(async () => rig.close());

describe('queues', () => {
  it('logs in with QueueAdd exactly as FreePBX *45 does, reading membership first', async () => {
    const res = await rig.adapter.apply(target, wish());
    expect(res.changed).toEqual(['queues']);
    const status = rig.fake.actionsNamed('QueueStatus').map((a) => [a.headers.queue, a.headers.member]);
    expect(status).toEqual([
      ['400', IFACE],
      ['401', IFACE],
    ]);
    // the queues are synced in parallel (pipelined): the order holds within each queue
    const ofQueue = (q: string) =>
      writes(rig).filter((w) => w.queue === q || w.variable === `DEVICE_STATE(Custom:QUEUE1001*${q})`);
    expect(writes(rig)).toHaveLength(4);
    expect(ofQueue('400')).toEqual([
      {
        action: 'QueueAdd',
        queue: '400',
        interface: IFACE,
        stateinterface: 'hint:1001@ext-local',
        membername: 'Agent One',
        penalty: '0',
        paused: 'false',
      },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:QUEUE1001*400)', value: 'INUSE' },
    ]);
    expect(ofQueue('401')).toEqual([
      {
        action: 'QueueAdd',
        queue: '401',
        interface: IFACE,
        stateinterface: 'hint:1001@ext-local',
        membername: 'Agent One',
        penalty: '2',
        paused: 'false',
      },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:QUEUE1001*401)', value: 'INUSE' },
    ]);
    expect(rig.fake.member('400', IFACE)).toMatchObject({ paused: false, name: 'Agent One' });
  });

  it('omits the state interface when the extension has qnostate=ignorestate', async () => {
    rig.fake.db.set('AMPUSER/1001/queues/qnostate', 'ignorestate');
    await rig.adapter.apply({ ...target, queues: ['400'] }, wish());
    expect(rig.fake.actionsNamed('QueueAdd')[0]?.headers).not.toHaveProperty('stateinterface');
  });

  it('pauses with the reason, unpauses, and logs out with QueueRemove', async () => {
    rig.fake.addQueue('400', [{ interface: IFACE }]);
    const one = { ...target, queues: ['400'] };
    const pause = wish({ queues: { loggedIn: false, mode: 'pause', reason: 'Lunch' } });
    expect((await rig.adapter.apply(one, pause)).changed).toEqual(['queues']);
    expect(writes(rig)).toEqual([
      { action: 'QueuePause', queue: '400', interface: IFACE, paused: 'true', reason: 'Lunch' },
    ]);

    rig.fake.clearActions();
    await rig.adapter.apply(one, wish());
    expect(writes(rig)).toEqual([{ action: 'QueuePause', queue: '400', interface: IFACE, paused: 'false' }]);

    rig.fake.clearActions();
    await rig.adapter.apply(one, wish({ queues: { loggedIn: false, mode: 'logout', reason: '' } }));
    expect(writes(rig)).toEqual([
      { action: 'QueueRemove', queue: '400', interface: IFACE },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:QUEUE1001*400)', value: 'NOT_INUSE' },
    ]);
    expect(rig.fake.member('400', IFACE)).toBeUndefined();
  });

  it('re-pauses when only the reason differs', async () => {
    rig.fake.addQueue('400', [{ interface: IFACE, paused: true, reason: 'Lunch' }]);
    const one = { ...target, queues: ['400'] };
    await rig.adapter.apply(one, wish({ queues: { loggedIn: false, mode: 'pause', reason: 'Lunch' } }));
    expect(writes(rig)).toEqual([]);
    await rig.adapter.apply(one, wish({ queues: { loggedIn: false, mode: 'pause', reason: 'Meeting' } }));
    expect(writes(rig)).toEqual([
      { action: 'QueuePause', queue: '400', interface: IFACE, paused: 'true', reason: 'Meeting' },
    ]);
  });

  it('treats "Already there" and "Not there" as success', async () => {
    rig.fake.addQueue('400', [{ interface: IFACE }]);
    rig.fake.hideMembersInQueueStatus = true; // the read says "absent", the write finds it present
    const one = { ...target, queues: ['400'] };
    expect((await rig.adapter.apply(one, wish())).changed).toEqual(['queues']);
    expect(rig.fake.actionsNamed('QueueAdd')).toHaveLength(1);

    rig.fake.hideMembersInQueueStatus = false;
    rig.fake.queues.set('400', []);
    rig.fake.addQueue('400', [{ interface: IFACE }]);
    const remove = rig.adapter.apply(one, wish({ queues: { loggedIn: false, mode: 'logout', reason: '' } }));
    rig.fake.queues.set('400', []); // removed by someone else before our QueueRemove lands
    await expect(remove).resolves.toBeDefined();
  });

  it('an unknown queue is a permanent PBX_UNKNOWN_VALUE', async () => {
    const err = await rejection(rig.adapter.apply({ ...target, queues: ['999'] }, wish()));
    expect(err).toMatchObject({ code: 'PBX_UNKNOWN_VALUE', retryable: false });
    expect(err.details.field).toBe('queues');
  });
});

describe('DND', () => {
  it('on: DBPut DND/<ext>=YES and BUSY device states; off: DBDel and UNAVAILABLE', async () => {
    const noQueues = { ...target, queues: [] };
    expect((await rig.adapter.apply(noQueues, wish({ dnd: true }))).changed).toEqual(['dnd']);
    expect(writes(rig)).toEqual([
      { action: 'DBPut', family: 'DND', key: '1001', val: 'YES' },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:DND1001)', value: 'BUSY' },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:DEVDND1001)', value: 'BUSY' },
    ]);
    rig.fake.clearActions();
    expect((await rig.adapter.apply(noQueues, wish({ dnd: false }))).changed).toEqual(['dnd']);
    expect(writes(rig)).toEqual([
      { action: 'DBDel', family: 'DND', key: '1001' },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:DND1001)', value: 'UNAVAILABLE' },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:DEVDND1001)', value: 'UNAVAILABLE' },
    ]);
    expect(rig.fake.db.has('DND/1001')).toBe(false);
  });

  it('repairs a device state that drifted from AstDB without rewriting AstDB', async () => {
    rig.fake.db.set('DND/1001', 'YES');
    rig.fake.deviceStates.set('Custom:DND1001', 'NOT_INUSE');
    await rig.adapter.apply({ ...target, queues: [] }, wish({ dnd: true }));
    expect(writes(rig).map((w) => w.action)).toEqual(['Setvar', 'Setvar']);
  });
});

describe('presence', () => {
  const noQueues = { ...target, queues: [] };

  it('Setvar PRESENCE_STATE(CustomPresence:<ext>) = <state>,,<message>, with CR/LF removed', async () => {
    await rig.adapter.apply(noQueues, wish({ presence: 'away', message: 'Lunch\r\nAction: Hangup' }));
    expect(writes(rig)).toEqual([
      {
        action: 'Setvar',
        variable: 'PRESENCE_STATE(CustomPresence:1001)',
        value: 'away,,Lunch Action: Hangup',
      },
    ]);
    expect(rig.fake.presence.get('CustomPresence:1001')).toEqual({
      state: 'away',
      subtype: '',
      message: 'Lunch Action: Hangup',
    });
  });

  it('a message with commas is sent base64 with option e and reads back equal', async () => {
    await rig.adapter.apply(noQueues, wish({ presence: 'xa', message: 'Off, back Monday' }));
    const b64 = Buffer.from('Off, back Monday').toString('base64');
    expect(writes(rig)).toEqual([
      { action: 'Setvar', variable: 'PRESENCE_STATE(CustomPresence:1001)', value: `xa,,${b64},e` },
    ]);
    rig.fake.clearActions();
    await rig.adapter.apply(noQueues, wish({ presence: 'xa', message: 'Off, back Monday' }));
    expect(writes(rig)).toEqual([]);
  });

  it('invisible maps to unavailable (Asterisk has no invisible state)', async () => {
    await rig.adapter.apply(noQueues, wish({ presence: 'invisible' }));
    expect(writes(rig)[0]?.value).toBe('unavailable,,');
  });
});

describe('ring my mobile (Follow Me)', () => {
  const noQueues = { ...target, queues: [], mobile: '06 12 34 56 78' };

  it('switches ddial to DIRECT, adds the mobile to grplist and sets the FOLLOWME BLF', async () => {
    rig.fake.db.set('AMPUSER/1001/followme/ddial', 'EXTENSION');
    rig.fake.db.set('AMPUSER/1001/followme/grplist', '1001');
    expect((await rig.adapter.apply(noQueues, wish({ ringMyMobile: true }))).changed).toEqual([
      'ringMyMobile',
    ]);
    expect(writes(rig)).toEqual([
      { action: 'DBPut', family: 'AMPUSER', key: '1001/followme/grplist', val: '1001-0612345678#' },
      { action: 'DBPut', family: 'AMPUSER', key: '1001/followme/ddial', val: 'DIRECT' },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:FOLLOWME1001)', value: 'BUSY' },
    ]);
    rig.fake.clearActions();
    await rig.adapter.apply(noQueues, wish({ ringMyMobile: false }));
    expect(writes(rig)).toEqual([
      { action: 'DBPut', family: 'AMPUSER', key: '1001/followme/ddial', val: 'EXTENSION' },
      { action: 'Setvar', variable: 'DEVICE_STATE(Custom:FOLLOWME1001)', value: 'NOT_INUSE' },
    ]);
  });

  it('without Follow Me: PBX_FEATURE_NOT_CONFIGURED, while the other settings are still applied', async () => {
    const err = await rejection(rig.adapter.apply(noQueues, wish({ ringMyMobile: true, dnd: true })));
    expect(err).toMatchObject({ code: 'PBX_FEATURE_NOT_CONFIGURED', retryable: false });
    expect(err.details).toMatchObject({ extension: '1001', field: 'ringMyMobile' });
    expect(err.message).toMatch(/Follow Me is not set up for extension 1001/);
    expect(rig.fake.db.get('DND/1001')).toBe('YES');
    expect(rig.fake.actionsNamed('DBPut').some((a) => a.headers.key?.includes('followme'))).toBe(false);
  });

  it('without Follow Me and ringMyMobile off there is nothing to do', async () => {
    await expect(rig.adapter.apply(noQueues, wish({ ringMyMobile: false }))).resolves.toEqual({
      changed: [],
    });
  });
});

describe('external calls', () => {
  it('writes PRESENCEBRIDGE/<ext>/external = deny, then allow; absent counts as allow', async () => {
    const noQueues = { ...target, queues: [] };
    expect((await rig.adapter.apply(noQueues, wish({ externalCalls: true }))).changed).toEqual([]);
    await rig.adapter.apply(noQueues, wish({ externalCalls: false }));
    await rig.adapter.apply(noQueues, wish({ externalCalls: true }));
    expect(writes(rig)).toEqual([
      { action: 'DBPut', family: 'PRESENCEBRIDGE', key: '1001/external', val: 'deny' },
      { action: 'DBPut', family: 'PRESENCEBRIDGE', key: '1001/external', val: 'allow' },
    ]);
  });
});

describe('idempotence and errors', () => {
  it('apply() twice with the same wish sends no writes the second time', async () => {
    rig.fake.db.set('AMPUSER/1001/followme/ddial', 'EXTENSION');
    const full = { ...target, mobile: '0612345678' };
    const busy = wish({
      dnd: true,
      presence: 'dnd',
      message: 'In a meeting',
      queues: { loggedIn: false, mode: 'pause', reason: 'Meeting' },
      ringMyMobile: true,
      externalCalls: false,
    });
    rig.fake.addQueue('400', [{ interface: IFACE }]);
    const first = await rig.adapter.apply(full, busy);
    expect(first.changed).toEqual(['queues', 'dnd', 'presence', 'ringMyMobile', 'externalCalls']);
    rig.fake.clearActions();
    expect(await rig.adapter.apply(full, busy)).toEqual({ changed: [] });
    expect(rig.fake.actions).toEqual([]); // all remembered from the first apply: not even a read
    expect(await rig.adapter.apply(full, busy, { verify: true })).toEqual({ changed: [] });
    expect(rig.fake.writes()).toEqual([]);
    expect(rig.fake.actions.length).toBeGreaterThan(0); // verifying: it did read
  });

  it('an extension FreePBX does not know is a permanent PBX_UNKNOWN_EXTENSION', async () => {
    const err = await rejection(rig.adapter.apply({ ...target, extension: '5555' }, wish()));
    expect(err).toMatchObject({ code: 'PBX_UNKNOWN_EXTENSION', retryable: false });
    expect(rig.fake.writes()).toEqual([]);
  });

  it('an extension with unsafe characters is refused before anything is sent', async () => {
    const err = await rejection(
      rig.adapter.apply({ ...target, extension: '1001\r\nAction: Logoff' }, wish()),
    );
    expect(err.code).toBe('PBX_UNKNOWN_EXTENSION');
    expect(rig.fake.actions).toEqual([]);
  });
});
