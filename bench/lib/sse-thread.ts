/**
 * An SSE client on its own thread: arrival times are taken where the bytes arrive, so the runner's own work (the
 * fake PBX answering the daemon's sync actions) cannot delay them. Times are absolute (timeOrigin + now, ms) and
 * comparable across threads. Main side: `SseThread`; worker side: this file run as a worker (see `isMainThread`).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { SseClient, type SseEvent } from './sse.js';

export const now = (): number => performance.timeOrigin + performance.now();

interface Start {
  url: string;
  key: string;
  types: string[];
}

type FromWorker = { kind: 'open' } | { kind: 'error'; message: string } | { kind: 'event'; event: SseEvent };

export class SseThread {
  private readonly worker: Worker;

  constructor(
    url: string,
    key: string,
    types: string[],
    private readonly onEvent: (e: SseEvent) => void,
  ) {
    const start: Start = { url, key, types };
    this.worker = new Worker(new URL('./sse-thread-boot.mjs', import.meta.url), { workerData: start });
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.worker.on('error', reject);
      this.worker.on('message', (m: FromWorker) => {
        if (m.kind === 'open') resolve();
        else if (m.kind === 'error') reject(new Error(m.message));
        else this.onEvent(m.event);
      });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { url, key, types } = workerData as Start;
  const wanted = new Set(types);
  const client = new SseClient((event) => {
    if (wanted.has(event.event)) port.postMessage({ kind: 'event', event } satisfies FromWorker);
  }, now);
  client.connect(url, key).then(
    () => port.postMessage({ kind: 'open' } satisfies FromWorker),
    (err: Error) => port.postMessage({ kind: 'error', message: err.message } satisfies FromWorker),
  );
}
