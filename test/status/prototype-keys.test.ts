/**
 * Ids that are also Object.prototype's keys (issue 13): a type with the id "constructor" and a per-shift limit
 * must enforce the limit and count its usage as a number. Property test over such ids, limits and the order of
 * selections (fast-check), and the tables the FreePBX adapter reads AMI names from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { channelPhase, createEventMapper } from '../../src/adapters/freepbx/event-map.js';
import { own } from '../../src/status/own.js';
import type { UserState } from '../../src/status/model.js';
import { after, catalogOf, cmd, refuse, run, statusType } from './fixtures.js';

const PROTOTYPE_IDS = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
] as const;

describe('prototype keys as status type ids', () => {
  it('enforce their per-shift limit and count usage as a number', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROTOTYPE_IDS), fc.integer({ min: 1, max: 3 }), (id, limit) => {
        const env = { catalog: catalogOf(statusType(id, { limitPerShift: limit })) };
        let state: UserState = after([[cmd.select('active'), 0]], env);
        let t = 1;
        for (let n = 1; n <= limit; n++) {
          state = run(state, cmd.select(id), t++, env).next;
          expect(state.status.id).toBe(id);
          expect(own(state.shift?.usage, id)).toBe(n);
          state = run(state, cmd.select('active'), t++, env).next;
        }
        const error = refuse(state, cmd.select(id), t, env);
        expect(error).toMatchObject({ code: 'STATUS_LIMIT_REACHED', details: { limit, used: limit } });
        // The usage survives a JSON round trip (how it is stored) as an own, numeric key.
        const stored = JSON.parse(JSON.stringify(state)) as UserState;
        expect(Object.hasOwn(stored.shift!.usage, id)).toBe(true);
        expect(refuse(stored, cmd.select(id), t, env).code).toBe('STATUS_LIMIT_REACHED');
      }),
      { numRuns: 60 },
    );
  });

  it('the type "constructor" with a limit of 1 is refused the second time', () => {
    const env = { catalog: catalogOf(statusType('constructor', { limitPerShift: 1 })) };
    const once = after(
      [
        [cmd.select('active'), 0],
        [cmd.select('constructor'), 1],
        [cmd.select('active'), 2],
      ],
      env,
    );
    expect(once.shift?.usage).toEqual({ active: 2, constructor: 1 });
    expect(refuse(once, cmd.select('constructor'), 3, env).code).toBe('STATUS_LIMIT_REACHED');
  });
});

describe('prototype keys from the PBX', () => {
  const map = createEventMapper('Local/{extension}@from-queue/n');

  it('an AMI event named like a prototype key is ignored', () => {
    for (const key of PROTOTYPE_IDS) expect(map({ event: key })).toEqual({ kind: 'ignored' });
  });

  it('a custom presence named like a prototype key is passed on as that text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROTOTYPE_IDS), (key) => {
        const mapped = map({ event: 'PresenceStateChange', presentity: 'CustomPresence:1001', status: key });
        expect(mapped).toEqual({
          kind: 'presence',
          extension: '1001',
          presence: { presence: key.toLowerCase() },
        });
      }),
    );
  });

  it('a channel state or pause flag named like a prototype key is not taken for a known one', () => {
    for (const key of PROTOTYPE_IDS) {
      expect(typeof channelPhase(key, '')).not.toBe('function');
      const paused = map({ event: 'QueueMemberPause', interface: 'Local/1001@from-queue/n', paused: key });
      expect(JSON.stringify(paused)).not.toContain('function');
    }
  });
});
