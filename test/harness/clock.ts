/**
 * A fake clock for daemons in tests: time moves only when the test says so, so whole simulated days run in
 * seconds. `set` takes a wall time ("2026-03-02T08:10:00Z"); `advance` moves by seconds.
 */
export class ManualClock {
  constructor(private ms = Date.parse('2026-03-02T08:00:00.000Z')) {}

  readonly now = (): Date => new Date(this.ms);

  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }

  set(iso: string): void {
    const ms = Date.parse(iso);
    if (ms < this.ms) throw new Error(`the clock only moves forward: ${iso}`);
    this.ms = ms;
  }

  iso(): string {
    return new Date(this.ms).toISOString();
  }
}
