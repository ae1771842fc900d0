/**
 * `<pb-elapsed since="ISO time">`: a running duration ("4:07", "1:02:33"); `<pb-countdown until="ISO time">`:
 * the time left ("0:25", then "0:00"). All instances share one ticker that runs only while at least one is on
 * the page, and the server's clock is used (see api.ts), not the PC's.
 */
import { serverNow } from '../api.js';

const live = new Set<{ tick(): void }>();
let ticker: ReturnType<typeof setInterval> | undefined;

/** Seconds as m:ss or h:mm:ss. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** Seconds as "2 h 05 min" / "14 min" for totals in reports. */
export function formatTotal(totalSeconds: number): string {
  const minutes = Math.round(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export function formatClock(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export class ElapsedTime extends HTMLElement {
  static observedAttributes = ['since'];

  connectedCallback(): void {
    live.add(this);
    ticker ??= setInterval(() => live.forEach((el) => el.tick()), 1000);
    this.tick();
  }

  disconnectedCallback(): void {
    live.delete(this);
    if (live.size === 0 && ticker !== undefined) {
      clearInterval(ticker);
      ticker = undefined;
    }
  }

  attributeChangedCallback(): void {
    this.tick();
  }

  tick(): void {
    const since = Date.parse(this.getAttribute('since') ?? '');
    const text = Number.isNaN(since) ? '' : formatDuration((serverNow() - since) / 1000);
    if (this.textContent !== text) this.textContent = text;
  }
}

/** Time left until `until` (never below 0:00), e.g. what remains of a wrap-up. */
export class Countdown extends ElapsedTime {
  static override observedAttributes = ['until'];

  override tick(): void {
    const until = Date.parse(this.getAttribute('until') ?? '');
    const text = Number.isNaN(until) ? '' : formatDuration(Math.ceil((until - serverNow()) / 1000));
    if (this.textContent !== text) this.textContent = text;
  }
}

customElements.define('pb-elapsed', ElapsedTime);
customElements.define('pb-countdown', Countdown);

declare global {
  interface HTMLElementTagNameMap {
    'pb-elapsed': ElapsedTime;
    'pb-countdown': Countdown;
  }
}

/** A `<pb-elapsed>` for a time, with the exact start as a tooltip. */
export function elapsed(since: string): ElapsedTime {
  const el = document.createElement('pb-elapsed');
  el.setAttribute('since', since);
  el.title = `since ${new Date(since).toLocaleString()}`;
  return el;
}

/** A `<pb-countdown>` to a time, with the exact end as a tooltip. */
export function countdown(until: string): Countdown {
  const el = document.createElement('pb-countdown');
  el.setAttribute('until', until);
  el.title = `until ${new Date(until).toLocaleString()}`;
  return el;
}
