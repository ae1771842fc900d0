/**
 * `<pb-login>`: the one-field sign-in. The key is checked with GET /v1/me before it is kept (sessionStorage, this
 * tab only); on success the element fires `signed-in` with `{api, me}`.
 */
import { Api } from '../api.js';
import { describeError } from '../messages.js';
import type { Me } from '../types.js';
import { h } from './dom.js';

export interface SignedIn {
  api: Api;
  me: Me;
}

export class LoginForm extends HTMLElement {
  connectedCallback(): void {
    const input = h('input', {
      id: 'login-key',
      name: 'key',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
      spellcheck: 'false',
      'aria-describedby': 'login-help login-error',
    });
    const error = h('p', { id: 'login-error', class: 'field-error', role: 'alert' });
    const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
    const form = h(
      'form',
      { class: 'card login', novalidate: true },
      h('h1', null, 'Sign in'),
      h(
        'p',
        { id: 'login-help', class: 'muted' },
        'Enter your presence-bridge API key. It stays in this browser tab and is forgotten when the tab closes.',
      ),
      h('label', { for: 'login-key' }, 'API key'),
      input,
      error,
      h('div', { class: 'actions' }, button),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit(input, error, button);
    });
    const message = this.getAttribute('message');
    if (message) error.textContent = message;
    this.replaceChildren(form);
    input.focus();
  }

  private async submit(
    input: HTMLInputElement,
    error: HTMLElement,
    button: HTMLButtonElement,
  ): Promise<void> {
    const key = input.value.trim();
    if (!key) {
      error.textContent = 'Enter a key.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    error.textContent = '';
    try {
      const api = new Api(key);
      const me = await api.me();
      this.dispatchEvent(new CustomEvent<SignedIn>('signed-in', { detail: { api, me } }));
    } catch (err) {
      error.textContent = describeError(err);
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } finally {
      button.disabled = false;
    }
  }
}

customElements.define('pb-login', LoginForm);

declare global {
  interface HTMLElementTagNameMap {
    'pb-login': LoginForm;
  }
}
