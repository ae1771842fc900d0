/**
 * Reports read every user's history: a few at once are fine, a crowd would take Redis and the event loop from the
 * agents' writes. The gate lets `maxConcurrent` reports run, `maxQueued` wait their turn (in arrival order), and
 * refuses the rest at once with 429 REPORTS_BUSY and a Retry-After; a report that waited `queueTimeoutMs` without
 * its turn is refused the same way.
 */
import { ApiError } from '../errors.js';

export interface ReportGateOptions {
  maxConcurrent: number;
  maxQueued: number;
  queueTimeoutMs: number;
}

export class ReportGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: ReportGateOptions) {}

  get active(): number {
    return this.running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.maxConcurrent) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.maxQueued)
      return Promise.reject(busy('too many reports are running'));
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        this.running += 1;
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(turn);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(busy('the report waited too long for its turn'));
      }, this.options.queueTimeoutMs);
      timer.unref();
      this.waiting.push(turn);
    });
  }

  private release(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }
}

const busy = (message: string) => new ApiError('REPORTS_BUSY', message);
