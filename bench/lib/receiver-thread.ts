/**
 * The webhook receiver (test/webhooks/receiver.ts) on its own thread: arrival times are taken where the requests
 * arrive, so the runner's load generation cannot delay them. Each request is reported to the main side as
 * {id, userId, timestamp (the payload's commit time), receivedAt (ms, Date clock), status answered}.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { WebhookReceiver } from '../../test/webhooks/receiver.js';

export interface Arrival {
  id: string;
  userId: string | null;
  committedAt: number;
  receivedAt: number;
  signed: boolean;
}

type FromWorker = { kind: 'listening'; url: string } | { kind: 'arrival'; arrival: Arrival };

export class ReceiverThread {
  readonly arrivals: Arrival[] = [];
  private readonly worker: Worker;
  url = '';

  constructor() {
    this.worker = new Worker(new URL('./receiver-thread-boot.mjs', import.meta.url));
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.worker.on('error', reject);
      this.worker.on('message', (m: FromWorker) => {
        if (m.kind === 'listening') {
          this.url = m.url;
          resolve();
        } else this.arrivals.push(m.arrival);
      });
    });
  }

  /** Distinct webhook-ids, first arrival each. */
  delivered(): Arrival[] {
    const seen = new Set<string>();
    return this.arrivals.filter((a) => !seen.has(a.id) && seen.add(a.id));
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const receiver = new WebhookReceiver();
  receiver.answer = (r) => {
    port.postMessage({
      kind: 'arrival',
      arrival: {
        id: r.id,
        userId: r.json?.data?.userId ?? null,
        committedAt: Date.parse(r.json?.timestamp),
        receivedAt: r.receivedAt,
        signed: /^v1,/.test(r.signature),
      },
    } satisfies FromWorker);
    receiver.requests.length = 0; // nothing kept here: the main side has it
    return { status: 204 };
  };
  void receiver
    .start()
    .then(() => port.postMessage({ kind: 'listening', url: receiver.url } satisfies FromWorker));
}
