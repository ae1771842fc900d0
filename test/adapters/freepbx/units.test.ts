/** Pure parts: backoff, tables, presence encoding, queue planning, the call tracker, restart detection. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PbxEvent } from '../../../src/adapters/pbx.js';
import { backoffDelay } from '../../../src/adapters/freepbx/backoff.js';
import {
  CallTracker,
  type ChannelFact,
  type ChannelPhase,
} from '../../../src/adapters/freepbx/call-tracker.js';
import {
  createEventMapper,
  deviceOfChannel,
  templatePattern,
} from '../../../src/adapters/freepbx/event-map.js';
import { desiredPresence, encodePresence } from '../../../src/adapters/freepbx/presence-value.js';
import { planQueue } from '../../../src/adapters/freepbx/queue-sync.js';
import { RestartDetector } from '../../../src/adapters/freepbx/restart-detector.js';
import { durationMs } from '../../../src/adapters/freepbx/snapshot.js';
import { resolveFreepbxOptions } from '../../../src/adapters/freepbx/options.js';
import { cleanAction } from '../../../src/adapters/freepbx/ami-message.js';
import { silentLogger } from './helpers.js';

describe('backoffDelay', () => {
  const policy = { initialMs: 500, maxMs: 30_000 };

  it('doubles from initialMs and is capped at maxMs, with equal jitter', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, policy, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(50, policy, () => 0.999999)).toBe(30_000);
  });

  it('always stays within [cap/2, cap]', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const cap = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
        const d = backoffDelay(attempt, policy, () => r);
        return d >= Math.floor(cap / 2) && d <= cap;
      }),
    );
  });
});

describe('options', () => {
  it('fills the FreePBX defaults', () => {
    const o = resolveFreepbxOptions({
      id: 'x',
      ami: { host: 'h', port: 5038, username: 'u', secret: 's' },
      logger: silentLogger,
    });
    expect(o).toMatchObject({
      pingIntervalMs: 10_000,
      pingTimeoutMs: 5_000,
      actionTimeoutMs: 5_000,
      backoff: { initialMs: 500, maxMs: 30_000 },
      memberInterfaceTemplate: 'Local/{ext}@from-queue/n',
      stateInterfaceTemplate: 'hint:{ext}@ext-local',
    });
    expect(Object.isFrozen(o)).toBe(true);
  });
});

describe('event tables', () => {
  it('recognizes phone legs only', () => {
    expect(deviceOfChannel('PJSIP/1001-0000002a')).toBe('1001');
    expect(deviceOfChannel('SIP/front-desk-0000002a')).toBe('front-desk');
    expect(deviceOfChannel('Local/1001@from-queue-00000001;2')).toBeNull();
    expect(deviceOfChannel('DAHDI/1-1')).toBeNull();
  });

  it('builds a member pattern from the interface template', () => {
    const re = templatePattern('Local/{ext}@from-queue/n');
    expect(re.exec('local/1001@FROM-QUEUE/n')?.[1]).toBe('1001');
    expect(re.test('Local/1001@from-internal/n')).toBe(false);
  });

  it('maps and ignores explicitly', () => {
    const map = createEventMapper('Local/{ext}@from-queue/n', () => new Date(0));
    expect(map({ event: 'DeviceStateChange', device: 'Custom:DND7', state: 'busy' })).toEqual({
      kind: 'presence',
      extension: '7',
      presence: { dnd: true },
    });
    expect(map({ event: 'DeviceStateChange', device: 'Custom:DND7', state: 'RINGING' })).toEqual({
      kind: 'ignored',
    });
    expect(map({ event: 'FullyBooted', uptime: '42' })).toEqual({ kind: 'fullyBooted', uptimeSeconds: 42 });
    expect(map({ event: 'Newchannel', channel: 'PJSIP/7-01', uniqueid: 'u1' })).toEqual({
      kind: 'channelOpen',
      fact: { uniqueid: 'u1', extension: '7', linkedid: 'u1', since: new Date(0), phase: 'active' },
    });
    expect(map({ event: 'SomethingElse' })).toEqual({ kind: 'ignored' });
    expect(map({ response: 'Success' })).toEqual({ kind: 'ignored' });
  });

  it('tells offers from calls by channel state, and feature codes by Exten', () => {
    const map = createEventMapper('Local/{ext}@from-queue/n', () => new Date(0));
    const phase = (event: Record<string, string>) => {
      const m = map({ channel: 'PJSIP/7-01', uniqueid: 'u1', ...event });
      return m.kind === 'channelOpen' ? m.fact.phase : m.kind;
    };
    expect(phase({ event: 'Newchannel', channelstate: '0', exten: 's' })).toBe('offer'); // Asterisk calls the phone
    expect(phase({ event: 'Newstate', channelstate: '5', exten: 's' })).toBe('offer'); // it rings
    expect(phase({ event: 'Newstate', channelstate: '6', exten: 's' })).toBe('active'); // answered
    expect(phase({ event: 'Newchannel', channelstate: '4', exten: '0612345678' })).toBe('active'); // dials out
    expect(phase({ event: 'Newchannel', channelstate: '4', exten: '*76' })).toBe('excluded');
    expect(phase({ event: 'Newstate', channelstate: '6', exten: '*45' })).toBe('excluded');
    expect(phase({ event: 'Newstate', channelstate: '7' })).toBe('ignored'); // Busy says nothing new
    expect(phase({ event: 'Newstate', channelstate: '42' })).toBe('active'); // unknown: the safe side
  });

  it('reads the dialled leg of DialBegin/DialEnd, BridgeEnter and AgentRingNoAnswer', () => {
    const map = createEventMapper('Local/{ext}@from-queue/n', () => new Date(0));
    const dest = { destchannel: 'PJSIP/7-02', destuniqueid: 'd1', destlinkedid: 'L', destexten: '*801007' };
    const caller = { channel: 'Local/7@from-queue-0001;2', uniqueid: 'l2', linkedid: 'L' };
    const fact = (phase: ChannelPhase) => ({
      kind: 'channelOpen',
      fact: { uniqueid: 'd1', extension: '7', linkedid: 'L', since: new Date(0), phase },
    });
    expect(map({ event: 'DialBegin', ...caller, ...dest })).toEqual(fact('offer'));
    expect(map({ event: 'DialEnd', ...caller, ...dest, dialstatus: 'ANSWER' })).toEqual(fact('active'));
    expect(map({ event: 'DialEnd', ...caller, ...dest, dialstatus: 'NOANSWER' })).toEqual({
      kind: 'dialNoAnswer',
      uniqueid: 'd1',
    });
    expect(map({ event: 'DialEnd', ...caller, ...dest, dialstatus: 'CANCEL' })).toEqual({ kind: 'ignored' });
    expect(map({ event: 'DialEnd', ...caller, ...dest, dialstatus: 'BUSY' })).toEqual({ kind: 'ignored' });
    expect(map({ event: 'BridgeEnter', channel: 'PJSIP/7-02', uniqueid: 'd1', linkedid: 'L' })).toEqual(
      fact('active'),
    );
    expect(
      map({
        event: 'AgentRingNoAnswer',
        destchannel: 'Local/7@from-queue-0001;1',
        destuniqueid: 'l1',
        destlinkedid: 'L',
        queue: '400',
        interface: 'Local/7@from-queue/n',
        membername: 'Seven',
        ringtime: '15000',
      }),
    ).toEqual({ kind: 'queueNoAnswer', extension: '7', linkedid: 'L', attemptId: 'l1' });
    for (const event of ['AgentCalled', 'AgentConnect', 'AgentComplete', 'AgentDump'])
      expect(map({ event, interface: 'Local/7@from-queue/n', ...dest })).toEqual({ kind: 'ignored' });
  });
});

describe('presence value', () => {
  it('is "<state>,,<message>" and base64 with option e when the message has commas', () => {
    expect(encodePresence(desiredPresence('away', 'Lunch'))).toBe('away,,Lunch');
    expect(encodePresence(desiredPresence('available', undefined))).toBe('available,,');
    expect(encodePresence(desiredPresence('dnd', 'a,b'))).toBe(
      `dnd,,${Buffer.from('a,b').toString('base64')},e`,
    );
  });

  it('never carries CR/LF and stays under the size Asterisk keeps', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => {
        const value = desiredPresence('away', text);
        return !/[\r\n]/.test(value.message) && Buffer.byteLength(value.message) <= 200;
      }),
    );
  });
});

describe('planQueue', () => {
  const login = { loggedIn: true, mode: 'pause' as const, reason: '' };
  const pause = { loggedIn: false, mode: 'pause' as const, reason: 'Lunch' };
  const logout = { loggedIn: false, mode: 'logout' as const, reason: 'Offline' };
  const dynamic = (paused: boolean, reason: string) => ({ paused, reason, removable: true });
  const fixed = (paused: boolean, reason: string) => ({ paused, reason, removable: false });
  it.each([
    [null, login, 'add'],
    [dynamic(true, 'x'), login, 'unpause'],
    [dynamic(false, ''), login, null],
    [dynamic(false, ''), pause, 'pause'],
    [dynamic(true, 'Other'), pause, 'pause'], // a new reason re-pauses, never unpause-then-pause
    [dynamic(true, 'Lunch'), pause, null],
    [null, pause, 'addPaused'], // login straight into a paused status: one QueueAdd Paused=true
    [dynamic(true, 'Lunch'), logout, 'remove'],
    [null, logout, null],
    [fixed(false, ''), logout, 'pause'], // a static member cannot be removed: paused instead
    [fixed(true, ''), logout, 'pause'], // e.g. after an app_queue reload dropped the reason
    [fixed(true, 'Offline'), logout, null],
    [fixed(true, 'Lunch'), login, 'unpause'],
  ] as const)('member %j, wish %j → %s', (member, want, write) => {
    expect(planQueue(member, want)).toBe(write);
  });
});

describe('CallTracker', () => {
  const fact = (
    uniqueid: string,
    linkedid: string,
    extension = '1001',
    since = new Date(1000),
    phase: ChannelPhase = 'active',
  ): ChannelFact => ({
    uniqueid,
    linkedid,
    extension,
    since,
    phase,
  });

  it('replays changes buffered during a snapshot on top of it (a racing Hangup wins)', () => {
    const events: PbxEvent[] = [];
    const t = new CallTracker((e) => events.push(e));
    t.beginSnapshot();
    t.closed('a', new Date(2000)); // hung up while CoreShowChannels was being listed
    t.opened(fact('c', 'C')); // started meanwhile, not in the listing
    t.finishSnapshot([fact('a', 'A'), fact('b', 'B')]);
    expect(events.map((e) => [e.type, 'activityId' in e ? e.activityId : ''])).toEqual([
      ['activityEnded', 'A'],
      ['activityStarted', 'C'],
    ]);
    expect(
      t
        .calls()
        .map((c) => c.activityId)
        .sort(),
    ).toEqual(['B', 'C']);
  });

  it('a failed snapshot keeps the state and still replays', () => {
    const events: PbxEvent[] = [];
    const t = new CallTracker((e) => events.push(e));
    t.opened(fact('a', 'A'));
    t.beginSnapshot();
    t.closed('a', new Date(2000));
    t.finishSnapshot(null);
    expect(events.map((e) => e.type)).toEqual(['activityStarted', 'activityEnded']);
  });

  const kinds = (events: PbxEvent[]) =>
    events.map((e) => {
      if (e.type === 'offerEnded') return `${e.type}:${e.offerId}:${e.answered ? 'answered' : 'unanswered'}`;
      if ('offerId' in e) return `${e.type}:${e.offerId}`;
      return 'activityId' in e ? `${e.type}:${e.activityId}` : e.type;
    });

  it('a ringing call is an offer until answered, then the activity; it ends when the last leg hangs up', () => {
    const events: PbxEvent[] = [];
    const t = new CallTracker((e) => events.push(e));
    t.opened(fact('a', 'L', '1001', new Date(1000), 'offer'));
    t.opened(fact('a', 'L', '1001', new Date(2000), 'offer')); // Newstate Ringing: nothing new
    expect(t.offers()).toEqual([{ extension: '1001', offerId: 'a' }]);
    expect(t.calls()).toEqual([]);
    t.opened(fact('a', 'L', '1001', new Date(3000), 'active'));
    t.opened(fact('a', 'L', '1001', new Date(3000), 'offer')); // never back to ringing
    t.closed('a', new Date(4000));
    expect(kinds(events)).toEqual([
      'offerStarted:a',
      'offerEnded:a:answered',
      'activityStarted:L',
      'activityEnded:L',
    ]);
  });

  it('an offer nobody answers ends unanswered; a ring-out is missed once, whatever the order', () => {
    const events: PbxEvent[] = [];
    const t = new CallTracker((e) => events.push(e));
    t.opened(fact('a', 'L', '1001', new Date(1000), 'offer'));
    t.queueNoAnswer('1001', 'L', 'local-1', new Date(2000)); // before the Hangup
    t.closed('a', new Date(2000));
    t.noAnswer('a', new Date(2000)); // after it: found among the ended offers
    t.opened(fact('b', 'L', '1001', new Date(5000), 'offer')); // the queue rings again: a new offer
    t.closed('b', new Date(6000));
    t.queueNoAnswer('1001', 'L', 'local-2', new Date(6000));
    t.queueNoAnswer('1002', 'L', 'local-3', new Date(6000)); // a member whose phone never rang
    expect(kinds(events)).toEqual([
      'offerStarted:a',
      'offerMissed:a',
      'offerEnded:a:unanswered',
      'offerMissed:a',
      'offerStarted:b',
      'offerEnded:b:unanswered',
      'offerMissed:b',
      'offerMissed:rna:local-3',
    ]);
  });

  it('a call dialled out is an activity at once, a feature-code channel never anything', () => {
    const events: PbxEvent[] = [];
    const t = new CallTracker((e) => events.push(e));
    t.opened(fact('f', 'F', '1001', new Date(1000), 'excluded'));
    t.opened(fact('f', 'F', '1001', new Date(1100), 'active')); // its dialplan answers it
    t.closed('f', new Date(1200));
    t.opened(fact('o', 'O', '1001', new Date(2000), 'active'));
    t.noAnswer('o', new Date(2100)); // an answered call is not missed
    expect(kinds(events)).toEqual(['activityStarted:O']);
  });

  it('lists ringing calls as offers and rebuilds them silently from a snapshot', () => {
    const events: PbxEvent[] = [];
    const t = new CallTracker((e) => events.push(e));
    t.beginSnapshot();
    t.finishSnapshot([
      fact('r', 'R', '1001', new Date(1000), 'offer'),
      fact('u', 'U', '1002', new Date(1000), 'active'),
      fact('x', 'X', '1003', new Date(1000), 'excluded'),
    ]);
    expect(events).toEqual([]);
    expect(t.offers()).toEqual([{ extension: '1001', offerId: 'r' }]);
    expect(t.calls().map((c) => c.activityId)).toEqual(['U']);
    t.closed('r', new Date(2000));
    expect(kinds(events)).toEqual(['offerEnded:r:unanswered']);
  });

  it('the same linkedid on two extensions is two activities', () => {
    const events: PbxEvent[] = [];
    const t = new CallTracker((e) => events.push(e));
    t.opened(fact('a', 'L', '1001'));
    t.opened(fact('b', 'L', '1002'));
    expect(events.filter((e) => e.type === 'activityStarted')).toHaveLength(2);
  });

  it('any order of duplicated open/close events ends with consistent counts', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            open: fc.boolean(),
            id: fc.constantFrom('a', 'b', 'c'),
            call: fc.constantFrom('X', 'Y'),
          }),
        ),
        (ops) => {
          const events: PbxEvent[] = [];
          const t = new CallTracker((e) => events.push(e));
          const callOf = new Map<string, string>();
          for (const op of ops) {
            const linkedid = callOf.get(op.id) ?? op.call;
            callOf.set(op.id, linkedid);
            if (op.open) t.opened(fact(op.id, linkedid));
            else t.closed(op.id, new Date());
          }
          for (const call of ['X', 'Y']) {
            const started = events.filter(
              (e) => e.type === 'activityStarted' && e.activityId === call,
            ).length;
            const ended = events.filter((e) => e.type === 'activityEnded' && e.activityId === call).length;
            const open = t.calls().some((c) => c.activityId === call) ? 1 : 0;
            if (started - ended !== open || started > 1 + ended) return false;
          }
          return true;
        },
      ),
    );
  });
});

describe('RestartDetector', () => {
  it('flags an Uptime that went backwards or a boot time that moved forward', () => {
    const d = new RestartDetector(10_000);
    expect(d.observe(86_400, new Date(1_000_000_000))).toBe(false);
    expect(d.observe(86_460, new Date(1_000_060_000))).toBe(false); // same process, a minute later
    expect(d.observe(100, new Date(1_000_070_000))).toBe(true); // went backwards
    expect(d.observe(90_100, new Date(1_090_070_000))).toBe(false); // same process 90 000 s later
    expect(d.observe(95_000, new Date(1_200_000_000))).toBe(true); // uptime grew, but less than wall time
  });
});

describe('durationMs', () => {
  it('parses hh:mm:ss', () => {
    expect(durationMs('01:02:03')).toBe(3_723_000);
    expect(durationMs('')).toBe(0);
  });
});

describe('cleanAction', () => {
  it('removes CR/LF from every header name and value before they reach the wire', () => {
    expect(cleanAction({ Action: 'Setvar', Value: 'a\r\nAction: Logoff\r\n\r\n', 'X\n': 'y' })).toEqual({
      Action: 'Setvar',
      Value: 'a Action: Logoff ',
      'X ': 'y',
    });
  });
});
