/**
 * The supervisor board (/console/board, supervisor or admin key): every agent as a tile, counts per status on
 * top (which are also the status filter), search by name, a "needs attention" filter (overage, connection
 * lost, PBX sync failed) and a "PBX not in sync" one (a change still on its way to the PBX, or failed). Kept live
 * by the event stream (live.ts): each event refreshes the one tile it is about; after a drop the stream resumes
 * from its last id, or the board reloads when it cannot.
 *
 * The API has no event for a PBX sync that completes, so while tiles show a pending sync the board reads
 * `GET /v1/users?syncState=pending` every few seconds and refreshes the tiles that are no longer in it.
 * Each tile also carries the supervisor's controls (force a status, end the shift), each confirmed once more.
 */
import type { Api } from './api.js';
import { h, replace, statusChip, swatch } from './components/dom.js';
import { SupervisorControls } from './components/supervisor-controls.js';
import { countdown, elapsed, formatClock } from './components/elapsed-time.js';
import { followLive } from './live.js';
import type { ScreenContext } from './main.js';
import { describeError } from './messages.js';
import type { ActivityKind, StatusType, UserPage, UserState } from './types.js';

export function mount(area: HTMLElement, ctx: ScreenContext): void {
  const screen = document.createElement('pb-board');
  area.append(screen);
  screen.start(ctx);
}

const PENDING_POLL_MS = 5_000;

const ACTIVITY: Record<ActivityKind, string> = {
  call: 'On a call',
  task: 'On a task',
  chat: 'In a chat',
  interaction: 'In an interaction',
};

const SYNC_LABEL = { 'in-sync': 'in sync', pending: 'sync pending', failed: 'sync failed' } as const;

type Filter = { kind: 'all' } | { kind: 'status'; id: string } | { kind: 'attention' } | { kind: 'sync' };

interface Entry {
  user: UserState;
  tile: HTMLElement;
  /** The part of the tile redrawn on every change; the controls beside it stay. */
  body: HTMLElement;
  controls: SupervisorControls;
}

/** Overage, lost connection and failed PBX sync are what a supervisor must notice. */
export function needsAttention(user: UserState): boolean {
  return user.overage !== null || user.connection.state === 'lost' || user.pbx?.sync.state === 'failed';
}

/** The PBX does not (yet) have what the user's state asks for. */
export function notInSync(user: UserState): boolean {
  return user.pbx !== null && user.pbx.sync.state !== 'in-sync';
}

export class BoardScreen extends HTMLElement {
  private api!: Api;
  private readonly entries = new Map<string, Entry>();
  private types: StatusType[] = [];
  private filter: Filter = { kind: 'all' };
  private query = '';
  private poll: ReturnType<typeof setInterval> | undefined;

  private readonly counts = h('div', { class: 'counts', role: 'group', 'aria-label': 'Filter by status' });
  private readonly search = h('input', { id: 'board-search', type: 'search', autocomplete: 'off' });
  private readonly grid = h('div', { class: 'tiles', role: 'list', 'aria-label': 'Agents' });
  private readonly summary = h('p', { class: 'muted', role: 'status' });
  private readonly error = h('p', { class: 'message error', role: 'alert' });

  start(ctx: ScreenContext): void {
    this.api = ctx.api;
    this.search.addEventListener('input', () => {
      this.query = this.search.value.trim().toLowerCase();
      this.applyFilter();
    });
    this.append(
      h(
        'div',
        { class: 'board-head' },
        h('h1', null, 'Board'),
        h('div', { class: 'search' }, h('label', { for: 'board-search' }, 'Search by name'), this.search),
      ),
      this.counts,
      this.summary,
      this.error,
      this.grid,
    );
    followLive(this.api, {
      reload: () => this.reload(),
      refreshUser: (id) => this.refreshUser(id),
      statusTypesChanged: () => this.loadTypes(),
    });
    void this.reload();
    this.poll = setInterval(() => void this.pollPending().catch(() => undefined), PENDING_POLL_MS);
  }

  disconnectedCallback(): void {
    clearInterval(this.poll);
  }

  private async loadTypes(): Promise<void> {
    this.types = await this.api.get<StatusType[]>('/v1/status-types');
    for (const { user, controls } of this.entries.values()) controls.update(user, this.types);
    this.renderCounts();
  }

  private async reload(): Promise<void> {
    try {
      const [users] = await Promise.all([this.loadAllUsers(), this.loadTypes()]);
      const seen = new Set(users.map((u) => u.id));
      for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.drop(id);
      for (const user of users) this.put(user, true);
      this.error.textContent = '';
      this.afterChange();
    } catch (err) {
      this.error.textContent = `The board could not be loaded. ${describeError(err)}`;
    }
  }

  private async loadAllUsers(filter = ''): Promise<UserState[]> {
    const users: UserState[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: UserPage = await this.api.get<UserPage>(`/v1/users?limit=500${filter}${query}`);
      users.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return users;
  }

  private async refreshUser(id: string): Promise<void> {
    try {
      this.put(await this.api.get<UserState>(`/v1/users/${encodeURIComponent(id)}`));
    } catch (err) {
      if ((err as { code?: string }).code !== 'USER_NOT_FOUND') throw err;
      this.drop(id);
    }
    this.afterChange();
  }

  /** One listing of the pending users instead of one read per pending tile; the rest are refreshed. */
  private async pollPending(): Promise<void> {
    const shown = [...this.entries.values()].filter((e) => e.user.pbx?.sync.state === 'pending');
    if (shown.length === 0) return;
    const pending = await this.loadAllUsers('&syncState=pending');
    for (const user of pending) this.put(user, true);
    const still = new Set(pending.map((u) => u.id));
    for (const { user } of shown)
      if (!still.has(user.id)) void this.refreshUser(user.id).catch(() => undefined);
    this.afterChange();
  }

  /** Adds or updates a tile; an answer older than what is shown is ignored. */
  private put(user: UserState, batch = false): void {
    const entry = this.entries.get(user.id);
    if (entry && user.version < entry.user.version) return;
    const tile = entry?.tile ?? h('article', { class: 'tile', role: 'listitem', 'data-user': user.id });
    const body = entry?.body ?? h('div', { class: 'tile-body' });
    const controls =
      entry?.controls ?? new SupervisorControls(this.api, user, this.types, (u) => this.put(u));
    if (!entry) tile.append(body, controls.element);
    this.entries.set(user.id, { user, tile, body, controls });
    renderTile(tile, body, user);
    controls.update(user, this.types);
    if (!entry) this.insertSorted(tile, user);
    if (!batch) this.afterChange();
  }

  private drop(id: string): void {
    this.entries.get(id)?.tile.remove();
    this.entries.delete(id);
  }

  /** The grid is kept in name order, so the first tile with a later name is where this one goes. */
  private insertSorted(tile: HTMLElement, user: UserState): void {
    const after = [...this.grid.children].find(
      (el) =>
        (this.entries.get((el as HTMLElement).dataset.user ?? '')?.user.displayName ?? '').localeCompare(
          user.displayName,
        ) > 0,
    );
    this.grid.insertBefore(tile, after ?? null);
  }

  private afterChange(): void {
    this.renderCounts();
    this.applyFilter();
  }

  private renderCounts(): void {
    const users = [...this.entries.values()].map((e) => e.user);
    const byStatus = new Map<string, number>();
    for (const u of users) byStatus.set(u.status.id, (byStatus.get(u.status.id) ?? 0) + 1);
    const attention = users.filter(needsAttention).length;
    const outOfStep = users.filter(notInSync).length;
    const buttons = [
      this.filterButton({ kind: 'all' }, h('span', null, 'All'), users.length),
      ...this.types.map((t) =>
        this.filterButton({ kind: 'status', id: t.id }, statusChip(t), byStatus.get(t.id) ?? 0),
      ),
      this.filterButton({ kind: 'attention' }, h('span', null, 'Needs attention'), attention, attention > 0),
      this.filterButton({ kind: 'sync' }, h('span', null, 'PBX not in sync'), outOfStep),
    ];
    const focused = this.counts.contains(document.activeElement) ? document.activeElement?.id : undefined;
    replace(this.counts, buttons);
    if (focused) document.getElementById(focused)?.focus();
  }

  private filterButton(filter: Filter, label: Node, count: number, alert = false): HTMLButtonElement {
    const key = filter.kind === 'status' ? `status-${filter.id}` : filter.kind;
    const pressed = filterKey(this.filter) === key;
    const button = h(
      'button',
      {
        type: 'button',
        id: `filter-${key}`,
        class: `count${alert ? ' alert' : ''}`,
        'aria-pressed': String(pressed),
      },
      label,
      h('span', { class: 'count-n' }, String(count)),
    );
    button.addEventListener('click', () => {
      this.filter = pressed && filter.kind !== 'all' ? { kind: 'all' } : filter;
      this.afterChange();
    });
    return button;
  }

  private applyFilter(): void {
    let shown = 0;
    for (const { user, tile } of this.entries.values()) {
      const visible = this.isShown(user);
      tile.hidden = !visible;
      if (visible) shown += 1;
    }
    const total = this.entries.size;
    this.summary.textContent =
      total === 0
        ? 'No agents yet. Users appear here once they are in the directory.'
        : shown === total
          ? `${total} agent${total === 1 ? '' : 's'}`
          : `${shown} of ${total} agents shown`;
  }

  private isShown(user: UserState): boolean {
    if (
      this.query &&
      !user.displayName.toLowerCase().includes(this.query) &&
      !user.id.toLowerCase().includes(this.query)
    )
      return false;
    if (this.filter.kind === 'status') return user.status.id === this.filter.id;
    if (this.filter.kind === 'attention') return needsAttention(user);
    if (this.filter.kind === 'sync') return notInSync(user);
    return true;
  }
}

function filterKey(filter: Filter): string {
  return filter.kind === 'status' ? `status-${filter.id}` : filter.kind;
}

function renderTile(tile: HTMLElement, body: HTMLElement, user: UserState): void {
  const { status, upcoming, overage, connection, pbx } = user;
  tile.style.setProperty('--status-color', status.color);
  tile.classList.toggle('over', overage !== null);
  tile.classList.toggle('lost', connection.state === 'lost');
  tile.dataset.status = status.id;
  tile.setAttribute('aria-label', `${user.displayName}: ${status.name}`);
  replace(
    body,
    h(
      'div',
      { class: 'tile-head' },
      h('h2', { class: 'tile-name' }, user.displayName),
      connection.state === 'lost' ? h('span', { class: 'badge warn' }, 'Connection lost') : null,
    ),
    h(
      'p',
      { class: 'tile-status' },
      swatch(status.color),
      h('span', { class: 'status-name' }, status.name),
      h('span', { class: 'muted' }, ' · '),
      elapsed(status.since),
    ),
    overage
      ? h('p', { class: 'overage' }, `Over ${overage.allowedMinutes} min by `, elapsed(overage.since))
      : null,
    upcoming
      ? h('p', { class: 'tile-upcoming' }, h('span', { class: 'muted' }, 'Next: '), statusChip(upcoming))
      : null,
    user.activities.map((a) =>
      h(
        'p',
        { class: 'tile-activity' },
        `${ACTIVITY[a.kind]} since ${formatClock(a.since)} · `,
        elapsed(a.since),
      ),
    ),
    user.offer ? h('p', { class: 'tile-offer' }, 'Phone ringing · ', elapsed(user.offer.since)) : null,
    user.wrapUp
      ? h(
          'p',
          { class: 'tile-activity tile-wrap-up' },
          'Wrap-up · ',
          countdown(user.wrapUp.until),
          ` left (until ${formatClock(user.wrapUp.until)})`,
        )
      : null,
    pbx
      ? h(
          'p',
          { class: `tile-pbx sync-${pbx.sync.state}`, title: pbx.sync.lastError?.message ?? '' },
          `PBX ${pbx.connection} · ext. ${pbx.extension} · ${SYNC_LABEL[pbx.sync.state]}`,
          pbx.sync.state === 'failed' && pbx.sync.lastError ? `: ${pbx.sync.lastError.message}` : '',
          pbx.sync.state === 'pending' && pbx.sync.since ? [' · ', elapsed(pbx.sync.since)] : null,
        )
      : null,
    user.shift ? null : h('p', { class: 'muted small' }, 'No shift started'),
  );
}

customElements.define('pb-board', BoardScreen);

declare global {
  interface HTMLElementTagNameMap {
    'pb-board': BoardScreen;
  }
}
