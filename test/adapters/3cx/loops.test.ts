/** Reconnect loop, backoff with jitter, socket liveness, presence diff — with fake timers, no sleeps. */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { watchSocket } from '../../../src/adapters/3cx/call-socket.js';
import { presenceChange } from '../../../src/adapters/3cx/presence-poller.js';
import { backoffDelay, runReconnectLoop } from '../../../src/adapters/3cx/reconnect-loop.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('3CX reconnect loop', () => {
  it('backs off exponentially with jitter, capped', () => {
    const b = { initialMs: 100, maxMs: 1_000 };
    expect(backoffDelay(0, b, () => 0)).toBe(50);
    expect(backoffDelay(0, b, () => 1)).toBe(100);
    expect(backoffDelay(3, b, () => 1)).toBe(800);
    expect(backoffDelay(10, b, () => 1)).toBe(1_000);
    expect(backoffDelay(10, b, () => 0)).toBe(500);
  });

  it('retries failed sessions with growing delays and resets after an established one', async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const starts: number[] = [];
    let calls = 0;
    const session = async ({ established }: { established(): void }): Promise<void> => {
      starts.push(Date.now());
      calls += 1;
      if (calls === 3) return established();
      throw new Error('down');
    };
    const failures: unknown[] = [];
    const loop = runReconnectLoop(session, {
      signal: abort.signal,
      backoff: { initialMs: 100, maxMs: 10_000 },
      random: () => 1,
      onFailure: (e) => failures.push(e),
    });
    await vi.advanceTimersByTimeAsync(100 + 200 + 100 + 200);
    abort.abort();
    await loop;
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
    expect(gaps).toEqual([100, 200, 100, 200]); // reset to 100 after the third (established) session
    expect(failures).toHaveLength(4);
  });
});

describe('3CX socket liveness', () => {
  class FakeSocket extends EventEmitter {
    readyState = 1;
    pings = 0;
    ping(): void {
      this.pings += 1;
    }
    terminate(): void {
      this.emit('close', 1006);
    }
    close(): void {
      this.emit('close', 1000);
    }
  }

  it('closes a socket that stops answering pings', async () => {
    vi.useFakeTimers();
    const ws = new FakeSocket();
    const closed = watchSocket(ws as unknown as WebSocket, 1_000, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(1_000);
    ws.emit('pong');
    await vi.advanceTimersByTimeAsync(1_000); // pong arrived: still alive
    await vi.advanceTimersByTimeAsync(1_000); // no pong for the last ping
    await expect(closed).resolves.toBe('no pong from the PBX');
    expect(ws.pings).toBe(2);
  });

  it('closes on stop', async () => {
    const ws = new FakeSocket();
    const abort = new AbortController();
    const closed = watchSocket(ws as unknown as WebSocket, 60_000, abort.signal);
    abort.abort();
    await expect(closed).resolves.toBe('stopped');
  });
});

describe('3CX presence diff', () => {
  it('reports only what changed', () => {
    const before = { profile: 'Available', loggedIn: true };
    expect(presenceChange(before, { profile: 'Away', loggedIn: true })).toEqual({ presence: 'Away' });
    expect(presenceChange(before, { profile: 'Available', loggedIn: false })).toEqual({
      queue: { loggedIn: false },
    });
    expect(presenceChange(before, before)).toBeNull();
    expect(presenceChange(before, { profile: null, loggedIn: null })).toBeNull();
  });
});
