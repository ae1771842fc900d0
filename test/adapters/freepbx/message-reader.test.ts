/**
 * The AMI reader that replaces asterisk-manager's ManagerReader builds the same messages as the package: fed the same
 * bytes in awkward chunks (split mid-line, between CR and LF), it yields what the package's reader yields. Pure.
 */
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AmiMessage } from '../../../src/adapters/freepbx/ami-message.js';
import {
  actionFrame,
  createManager,
  dispatcher,
  MessageReader,
  type AsteriskManager,
} from '../../../src/adapters/freepbx/asterisk-manager.js';

const WIRE = [
  'Asterisk Call Manager/7.0.3\r\n',
  'Response: Success\r\nActionID: pb1-1\r\nMessage: Authentication accepted\r\n\r\n',
  'Event: QueueMember\r\nQueue: q1\r\nName: Alice: the agent\r\nLocation: Local/1001@from-queue/n\r\nPaused: 1\r\n',
  'PausedReason: On Break\r\nActionID: pb1-2\r\n\r\n',
  'Event: VarSet\r\nVariable: A=1\r\nVariable: B=x=y\r\nChanVariable: C=\r\nValue: v1\r\nValue: v2\r\nValue: v3\r\n\r\n',
  'Event: Odd\nNoColonHere\n  Spaced : yes\n\n',
].join('');

/**
 * A package manager whose TCP connect gets `socket` instead of a real connection (the package calls
 * `net.createConnection` inside connect()), so its own reader and writer run against what the test feeds and records.
 */
function packageOn(socket: PassThrough): AsteriskManager {
  const require = createRequire(import.meta.url);
  const net = require('node:net') as { createConnection: unknown };
  const original = net.createConnection;
  Object.assign(socket, { setKeepAlive: () => undefined, setNoDelay: () => undefined, readyState: 'open' });
  net.createConnection = () => socket;
  const manager = createManager('h', 'u', 's');
  try {
    manager.connect(5038, 'h');
  } finally {
    net.createConnection = original;
  }
  return manager;
}

/** What the package's own reader makes of `chunks` (its 'data' handler, driven through a fake socket). */
async function packageMessages(chunks: string[]): Promise<unknown[]> {
  const socket = new PassThrough();
  const manager = packageOn(socket);
  const out: unknown[] = [];
  manager.on('rawevent', (m: unknown) => out.push(m));
  for (const c of chunks) socket.emit('data', c);
  return out;
}

function ourMessages(chunks: string[]): unknown[] {
  const out: unknown[] = [];
  const reader = new MessageReader((m) => out.push(m));
  for (const c of chunks) reader.push(c);
  return out;
}

describe('AMI message reader', () => {
  it.each([
    ['whole', [WIRE]],
    ['split everywhere', WIRE.match(/[\s\S]{1,7}/g) as string[]],
    ['split between CR and LF', WIRE.split(/(?<=\r)/)],
  ])('reads what the package reads (%s)', async (_name, chunks) => {
    const ours = ourMessages(chunks);
    expect(ours).toHaveLength(4);
    expect(ours).toEqual(await packageMessages([WIRE]));
    expect(ours[2]).toMatchObject({ variable: { A: '1', B: 'x=y' }, chanvariable: { C: '' } });
    expect(ours[2]).toMatchObject({ value: ['v1', 'v2', 'v3'] });
    expect(ours[1]).toMatchObject({ name: 'Alice: the agent', pausedreason: 'On Break' });
  });
});

describe('AMI message dispatch', () => {
  /** A fresh package manager (not connected) with listeners that record what this daemon listens to. */
  function recorder(ids: string[]): { manager: AsteriskManager; seen: unknown[] } {
    const manager = createManager('h', 'u', 's');
    const seen: unknown[] = [];
    manager.on('managerevent', (m) => seen.push(['event', m]));
    manager.on('rawevent', (m) => seen.push(['raw', (m as AmiMessage).actionid ?? null]));
    for (const id of ids) manager.on(id, (err, res) => seen.push([id, err ?? null, res]));
    return { manager, seen };
  }

  it("hands responses and events on as the package's own handler does, at once instead of a tick later", async () => {
    const messages = (): AmiMessage[] => [
      { response: 'Success', actionid: 'pb1-1', message: 'Authentication accepted' },
      { response: 'Error', actionid: 'pb1-2', message: 'No such key' },
      { event: 'DBGetResponse', actionid: 'pb1-3', val: 'x' },
      { event: ['Hangup', 'Dup'], channel: 'PJSIP/1001-00000001' },
      { response: 'Follows', content: 'text' },
    ];
    const ids = ['pb1-1', 'pb1-2', 'pb1-3'];
    const viaPackage = recorder(ids);
    for (const m of messages()) viaPackage.manager.emit('rawevent', m);
    await new Promise((r) => setImmediate(r)); // the package emits on process.nextTick
    const ours = recorder(ids);
    const dispatch = dispatcher(ours.manager);
    for (const m of messages()) dispatch(m);
    const handled = (seen: unknown[]) => seen.filter((s) => (s as unknown[])[0] !== 'raw');
    expect(handled(ours.seen)).toEqual(handled(viaPackage.seen));
    expect(handled(ours.seen)).toHaveLength(4); // 2 responses, 2 events (a list item, a Hangup)
    expect(ours.seen.filter((s) => (s as unknown[])[0] === 'raw')).toHaveLength(5); // liveness sees every message
    expect(ours.manager.listeners('rawevent')).toHaveLength(1); // the package's handler was taken off
  });
});

describe('AMI action frames', () => {
  /** What the package writes for `action` (logged in through a fake socket that records its writes). */
  function packageFrame(action: Record<string, string>, id: string): Promise<string> {
    const written: string[] = [];
    const socket = Object.assign(new PassThrough(), { write: (chunk: string) => written.push(chunk) });
    const manager = packageOn(socket);
    manager.login(() => undefined);
    const loginId = /ActionID: (\S+)/.exec(written[0] ?? '')?.[1] as string;
    socket.emit(
      'data',
      `Response: Success\r\nActionID: ${loginId}\r\nMessage: Authentication accepted\r\n\r\n`,
    );
    return new Promise<string>((resolve) => {
      // the package marks the login done when its response is dispatched (a tick later)
      setImmediate(() => {
        written.length = 0;
        manager.action({ ...action, actionid: id }, () => undefined);
        resolve(written.join(''));
      });
    });
  }

  it.each([
    [{ Action: 'QueuePause', Interface: 'Local/1001@from-queue/n', Paused: 'true', Reason: 'On Break' }],
    [{ Action: 'Events', EventMask: 'call,agent,system' }],
    [{ Action: 'DBPut', Family: 'DND', Key: '1001', Val: 'YES', ' Padded ': 'x' }],
    [{ Action: 'Setvar', Variable: 'PRESENCE_STATE(CustomPresence:1001)', Value: 'away,,Lunch: back at 2' }],
  ])('writes what the package writes: %o', async (action) => {
    expect(actionFrame(action, 'pb7-42')).toBe(await packageFrame(action, 'pb7-42'));
  });
});
