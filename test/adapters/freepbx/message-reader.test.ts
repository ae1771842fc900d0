/**
 * The AMI reader that replaces asterisk-manager's ManagerReader builds the same messages as the package: fed the same
 * bytes in awkward chunks (split mid-line, between CR and LF), it yields what the package's reader yields. Pure.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MessageReader } from '../../../src/adapters/freepbx/asterisk-manager.js';

const WIRE = [
  'Asterisk Call Manager/7.0.3\r\n',
  'Response: Success\r\nActionID: pb1-1\r\nMessage: Authentication accepted\r\n\r\n',
  'Event: QueueMember\r\nQueue: q1\r\nName: Alice: the agent\r\nLocation: Local/1001@from-queue/n\r\nPaused: 1\r\n',
  'PausedReason: On Break\r\nActionID: pb1-2\r\n\r\n',
  'Event: VarSet\r\nVariable: A=1\r\nVariable: B=x=y\r\nChanVariable: C=\r\nValue: v1\r\nValue: v2\r\nValue: v3\r\n\r\n',
  'Event: Odd\nNoColonHere\n  Spaced : yes\n\n',
].join('');

/** What the package's own reader makes of `chunks` (its 'data' handler, driven through a fake socket). */
async function packageMessages(chunks: string[]): Promise<unknown[]> {
  const require = createRequire(import.meta.url);
  const net = require('node:net') as { createConnection: unknown };
  const original = net.createConnection;
  const socket = Object.assign(new PassThrough(), {
    setKeepAlive: () => undefined,
    setNoDelay: () => undefined,
    readyState: 'open',
  });
  net.createConnection = () => socket;
  const manager = (require('asterisk-manager') as (...a: unknown[]) => EventEmitter)(
    undefined,
    'h',
    'u',
    's',
    false,
  ) as EventEmitter & { connect(port: number, host: string): void };
  try {
    manager.connect(5038, 'h');
  } finally {
    net.createConnection = original;
  }
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
