/**
 * The console shell: one page for every screen. It finds the key (URL fragment, then sessionStorage, else the
 * sign-in form), asks GET /v1/me who that is, draws the header for that role and loads the screen the path names
 * (each screen is its own bundle chunk, so the agent screen does not download the board).
 */
import { Api, ApiError, forgetKey, storeKey, takeKey } from './api.js';
import './components/connection-status.js';
import { h, replace } from './components/dom.js';
import type { SignedIn } from './components/login-form.js';
import './components/login-form.js';
import { describeError } from './messages.js';
import type { Me, Role } from './types.js';

export interface ScreenContext {
  api: Api;
  me: Me;
}

type ScreenName = 'agent' | 'board' | 'report' | 'statuses';

interface Screen {
  title: string;
  roles: readonly Role[];
  load: () => Promise<{ mount(main: HTMLElement, ctx: ScreenContext): void }>;
}

const SCREENS: Record<ScreenName, Screen> = {
  agent: { title: 'My status', roles: ['agent'], load: () => import('./agent.js') },
  board: { title: 'Board', roles: ['admin', 'supervisor'], load: () => import('./board.js') },
  report: { title: 'Report', roles: ['admin', 'supervisor'], load: () => import('./report.js') },
  statuses: { title: 'Status types', roles: ['admin'], load: () => import('./statuses.js') },
};

const HOME: Record<Role, ScreenName | null> = {
  agent: 'agent',
  supervisor: 'board',
  admin: 'board',
  integration: null,
};

const main = document.getElementById('main') as HTMLElement;
const header = document.getElementById('app-header') as HTMLElement;

function screenOfPath(): ScreenName | '' | null {
  const name = location.pathname.replace(/^\/console\/?/, '').replace(/\/$/, '');
  if (name === '') return '';
  return name in SCREENS ? (name as ScreenName) : null;
}

function signIn(message?: string): void {
  forgetKey();
  document.title = 'Sign in · presence-bridge';
  replace(header, h('span', { class: 'brand' }, 'presence-bridge'));
  const form = h('pb-login', message ? { message } : null);
  form.addEventListener('signed-in', (event) => {
    const { api, me } = (event as CustomEvent<SignedIn>).detail;
    storeKey(api.key);
    void show(api, me);
  });
  replace(main, form);
}

function drawHeader(ctx: ScreenContext, current: ScreenName | null): void {
  const links = (Object.keys(SCREENS) as ScreenName[])
    .filter((name) => SCREENS[name].roles.includes(ctx.me.role))
    .map((name) =>
      h(
        'a',
        { href: `/console/${name}`, ...(name === current ? { 'aria-current': 'page' } : {}) },
        SCREENS[name].title,
      ),
    );
  const signOut = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
  signOut.addEventListener('click', () => {
    forgetKey();
    location.assign('/console');
  });
  replace(
    header,
    h('span', { class: 'brand' }, 'presence-bridge'),
    links.length > 0 ? h('nav', { 'aria-label': 'Screens' }, links) : null,
    h('span', { class: 'spacer' }),
    h('pb-connection', { class: 'pill', mode: 'pill', role: 'status', hidden: true }),
    h('span', { class: 'who', title: `key “${ctx.me.name}”` }, `${ctx.me.name} · ${ctx.me.role}`),
    signOut,
  );
}

async function show(api: Api, me: Me): Promise<void> {
  const ctx = { api, me };
  let name = screenOfPath();
  if (name === '') {
    const home = HOME[me.role];
    if (home) {
      history.replaceState(null, '', `/console/${home}`);
      name = home;
    }
  }
  drawHeader(ctx, name || null);
  if (!name) return notice(ctx, 'There is no console screen for this key’s role.');
  const screen = SCREENS[name];
  if (!screen.roles.includes(me.role)) {
    return notice(
      ctx,
      `“${screen.title}” is for ${screen.roles.join(' or ')} keys; you are signed in with ${/^[aeiou]/.test(me.role) ? 'an' : 'a'} ${me.role} key.`,
    );
  }
  document.title = `${screen.title} · presence-bridge`;
  const banner = h('pb-connection', { class: 'banner', mode: 'banner', role: 'alert', hidden: true });
  const area = h('div', { class: 'screen' });
  replace(main, banner, area);
  try {
    (await screen.load()).mount(area, ctx);
  } catch (err) {
    replace(area, h('p', { class: 'error', role: 'alert' }, describeError(err)));
  }
}

function notice(ctx: ScreenContext, text: string): void {
  document.title = 'presence-bridge';
  const home = HOME[ctx.me.role];
  replace(
    main,
    h(
      'div',
      { class: 'card' },
      h('p', null, text),
      home ? h('p', null, h('a', { href: `/console/${home}` }, `Go to ${SCREENS[home].title}`)) : null,
    ),
  );
}

async function boot(): Promise<void> {
  const key = takeKey();
  if (!key) return signIn();
  const api = new Api(key);
  try {
    await show(api, await api.me());
  } catch (err) {
    if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') return signIn(describeError(err));
    // The daemon is away or not ready: keep the key and offer to try again.
    const retry = h('button', { type: 'button', class: 'primary' }, 'Try again');
    retry.addEventListener('click', () => location.reload());
    replace(main, h('div', { class: 'card' }, h('p', { role: 'alert' }, describeError(err)), retry));
  }
}

void boot();
