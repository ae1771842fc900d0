/**
 * Whether this process' event loop is falling behind (its delay over the last interval above a threshold). The
 * webhook workers read smaller batches and pause between them while it is, so that on a CPU-starved daemon
 * deliveries lag behind instead of status changes (HTTP requests share the one event loop with the senders).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export class LoopPressure {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private timer: NodeJS.Timeout | undefined;
  private high = false;

  constructor(
    private readonly thresholdMs = 50,
    private readonly intervalMs = 500,
  ) {}

  get busy(): boolean {
    return this.high;
  }

  start(): void {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.high = this.histogram.percentile(90) / 1e6 > this.thresholdMs;
      this.histogram.reset();
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
    this.high = false;
  }
}
