/**
 * The link to the daemon as the user sees it. One shared store (the screen's event stream sets it); a compact
 * pill in the header, and a banner across the page once the link has been down for more than a moment (a
 * reconnect after a server restart should not flash it).
 */
import type { StreamState } from '../sse.js';
import { h, replace } from './dom.js';

class ConnectionStore extends EventTarget {
  state: StreamState | 'idle' = 'idle';

  set(state: StreamState | 'idle'): void {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new Event('change'));
  }
}

export const connection = new ConnectionStore();

const LABELS: Record<ConnectionStore['state'], string> = {
  idle: '',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  denied: 'Key refused',
  stopped: 'Stopped',
};

/** Grace before the banner shows, in ms. */
const BANNER_DELAY_MS = 1500;

export class ConnectionStatus extends HTMLElement {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onChange = () => this.render();

  connectedCallback(): void {
    connection.addEventListener('change', this.onChange);
    this.render();
  }

  disconnectedCallback(): void {
    connection.removeEventListener('change', this.onChange);
    clearTimeout(this.timer);
  }

  private render(): void {
    const state = connection.state;
    if (this.getAttribute('mode') === 'banner') return this.renderBanner(state);
    this.dataset.state = state;
    this.hidden = state === 'idle';
    replace(this, h('span', { class: 'pill-dot', 'aria-hidden': 'true' }), LABELS[state]);
  }

  private renderBanner(state: ConnectionStore['state']): void {
    clearTimeout(this.timer);
    const down = state === 'reconnecting' || state === 'denied';
    if (!down) {
      this.hidden = true;
      document.body.classList.remove('link-down');
      return;
    }
    this.timer = setTimeout(() => {
      this.hidden = false;
      document.body.classList.add('link-down');
      replace(
        this,
        h(
          'strong',
          null,
          state === 'denied' ? 'The server refused the key. ' : 'Connection to the server lost. ',
        ),
        state === 'denied'
          ? 'Sign out and sign in with a valid key.'
          : 'Reconnecting… What you see may be out of date until it is back.',
      );
    }, BANNER_DELAY_MS);
  }
}

customElements.define('pb-connection', ConnectionStatus);

declare global {
  interface HTMLElementTagNameMap {
    'pb-connection': ConnectionStatus;
  }
}
