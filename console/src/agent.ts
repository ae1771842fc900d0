/**
 * The agent screen (/console/agent, agent key): my status, what comes next, my shift.
 *
 * Every action is one API call, and the answer's UserState is drawn at once; the event stream then keeps the
 * screen current when something else changes it (the call ends and the upcoming status applies, a supervisor
 * steps in, the connection-loss rule fires). The page sends a heartbeat every 30 s while it is open, which is what
 * tells the daemon the agent's client is connected. So closing the page during a shift has a consequence the agent
 * may not expect: once the heartbeats stop for the daemon's connection timeout (90 s by default), the agent becomes
 * Offline (or Offline becomes upcoming, replacing a status chosen for after the call). The page says so, and asks
 * the browser to confirm closing it while that would happen.
 *
 * Controls are created once and updated in place, so a re-render never steals keyboard focus.
 */
import { ApiError, type Api } from './api.js';
import { countdown, elapsed, formatClock } from './components/elapsed-time.js';
import { h, replace, statusChip, swatch } from './components/dom.js';
import { followLive } from './live.js';
import type { ScreenContext } from './main.js';
import { describeError } from './messages.js';
import type { EventStream } from './sse.js';
import type { ActivityKind, LiveEvent, StatusChangeResult, StatusType, UserState } from './types.js';

export const HEARTBEAT_MS = 30_000;
/** What one press of "Extend" adds to a wrap-up. */
export const EXTEND_SECONDS = 60;

const DOING: Record<ActivityKind, string> = {
  call: 'On a call',
  task: 'Working on a task',
  chat: 'In a chat',
  interaction: 'In an interaction',
};

const WHEN_OVER: Record<ActivityKind, string> = {
  call: 'when your call ends',
  task: 'when your task ends',
  chat: 'when your chat ends',
  interaction: 'when your interaction ends',
};

/** Who changed my status, when it was not me: told in a sentence. */
const CHANGED_BY: Record<string, string> = {
  supervisor: 'by a supervisor',
  'connection-lost': 'because the connection was lost',
  pbx: 'from your phone',
};

export function mount(area: HTMLElement, ctx: ScreenContext): void {
  const screen = document.createElement('pb-agent');
  area.append(screen);
  screen.start(ctx);
}

export class AgentScreen extends HTMLElement {
  private api!: Api;
  private userId = '';
  private user: UserState | null = null;
  private types: StatusType[] = [];
  private stream: EventStream | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  private readonly heading = h('h1', { id: 'my-status-title', class: 'eyebrow' }, 'My status');
  private readonly current = h('div', { class: 'current' });
  /** Announces a new status to screen readers (the status card itself ticks every second, so it is not live). */
  private readonly announce = h('p', { class: 'sr-only', role: 'status' });
  private readonly engagement = h('div', { class: 'engagement' });
  private readonly upcoming = h('div', { class: 'upcoming', hidden: true });
  private readonly select = h('select', { id: 'agent-status', name: 'statusId' });
  private readonly setButton = h('button', { type: 'submit', class: 'primary' }, 'Set status');
  private readonly error = h('p', { class: 'message error', role: 'alert' });
  private readonly info = h('p', { class: 'message info', role: 'status' });
  private readonly shift = h('div', { class: 'shift-line' });
  private readonly startShift = h('button', { type: 'button' }, 'Start shift');
  private readonly endShift = h(
    'button',
    { type: 'button', 'aria-describedby': 'end-shift-reason' },
    'End shift',
  );
  private readonly endReason = h('p', { id: 'end-shift-reason', class: 'reason muted' });
  private readonly wrapUpButton = h('button', { type: 'button' }, 'Finish wrap-up');
  private readonly extendButton = h('button', { type: 'button' }, `Extend ${EXTEND_SECONDS / 60} min`);
  private readonly cancelButton = h('button', { type: 'button' }, 'Cancel');
  private readonly leaveNote = h(
    'p',
    { class: 'muted leave-note', hidden: true },
    'Keep this page open while you work: once it has been closed for the connection timeout (90 s by ' +
      'default), the bridge sets you Offline, also in place of a status picked for after your call.',
  );
  /** Asks the browser to confirm closing the page while that would make the agent Offline. */
  private readonly onBeforeUnload = (event: BeforeUnloadEvent): void => {
    if (!this.closingGoesOffline()) return;
    event.preventDefault();
    event.returnValue = ''; // older browsers show their prompt only with returnValue set
  };

  start(ctx: ScreenContext): void {
    this.api = ctx.api;
    this.userId = ctx.me.userId ?? '';
    this.layout();
    this.stream = followLive(this.api, {
      reload: () => this.reload(),
      refreshUser: () => this.refreshUser(),
      statusTypesChanged: () => this.reload(),
      onEvent: (event) => this.explain(event),
    });
    void this.reload();
    this.beat();
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    window.addEventListener('beforeunload', this.onBeforeUnload);
  }

  disconnectedCallback(): void {
    this.stream?.stop();
    clearInterval(this.heartbeat);
    window.removeEventListener('beforeunload', this.onBeforeUnload);
  }

  /** In a shift, in a status that a lost connection replaces: closing the page ends with Offline. */
  private closingGoesOffline(): boolean {
    const user = this.user;
    if (!user?.shift || user.status.id === 'offline') return false;
    return !(this.typeOf(user.status.id)?.keepOnConnectionLoss ?? false);
  }

  private layout(): void {
    const form = h(
      'form',
      { class: 'change needs-user', novalidate: true },
      h('label', { for: 'agent-status' }, 'Change status'),
      h('div', { class: 'row' }, this.select, this.setButton),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.choose(this.select.value);
    });
    this.cancelButton.addEventListener('click', () => void this.cancelUpcoming());
    this.wrapUpButton.addEventListener('click', () => void this.finishWrapUp());
    this.extendButton.addEventListener('click', () => void this.extendWrapUp());
    this.startShift.addEventListener('click', () => void this.shiftCommand('POST'));
    this.endShift.addEventListener('click', () => void this.shiftCommand('DELETE'));
    this.append(
      h(
        'section',
        { class: 'card status-card', 'aria-labelledby': 'my-status-title' },
        this.heading,
        this.current,
        this.upcoming,
        this.engagement,
        this.announce,
      ),
      h('section', { class: 'card' }, form, this.error, this.info),
      h(
        'section',
        { class: 'card needs-user', 'aria-labelledby': 'shift-title' },
        h('h2', { id: 'shift-title', class: 'eyebrow' }, 'Shift'),
        this.shift,
        h('div', { class: 'row' }, this.startShift, this.endShift),
        this.endReason,
        this.leaveNote,
      ),
    );
  }

  /** Never rejects: a failure is shown, and the next event or reconnect tries again. */
  private async reload(): Promise<void> {
    try {
      const [types] = await Promise.all([this.api.get<StatusType[]>('/v1/status-types'), this.refreshUser()]);
      this.types = types;
      this.render();
    } catch (err) {
      this.error.textContent = `Your status could not be loaded. ${describeError(err)}`;
    }
  }

  private async refreshUser(): Promise<void> {
    try {
      this.setUser(await this.api.get<UserState>(`/v1/users/${encodeURIComponent(this.userId)}`));
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'USER_NOT_FOUND')) throw err;
      this.user = null;
      this.render();
    }
  }

  /** Answers can overtake each other: an older version never replaces a newer one. */
  private setUser(user: UserState): void {
    if (this.user && this.user.id === user.id && user.version < this.user.version) return;
    const before = this.user;
    this.user = user;
    if (before && before.status.id !== user.status.id)
      this.announce.textContent = `Status: ${user.status.name}`;
    this.render();
  }

  private beat(): void {
    if (!this.userId) return;
    this.api.call('POST', `/v1/users/${encodeURIComponent(this.userId)}/heartbeat`).catch(() => {
      // the connection banner already tells when the daemon is away
    });
  }

  private typeOf(id: string): StatusType | undefined {
    return this.types.find((t) => t.id === id);
  }

  private render(): void {
    const user = this.user;
    // Without a user there is nothing to change: only the explanation (and any message) shows.
    this.toggleAttribute('data-no-user', !user);
    if (!user) {
      replace(
        this.current,
        h(
          'p',
          null,
          `Your user “${this.userId}” is not in the directory yet. Ask an administrator to add it.`,
        ),
      );
      this.upcoming.hidden = true;
      replace(this.engagement);
      return;
    }
    this.heading.textContent = `My status · ${user.displayName}`;
    this.renderCurrent(user);
    this.renderUpcoming(user);
    this.renderEngagement(user);
    this.renderOptions(user);
    this.renderShift(user);
    this.leaveNote.hidden = !this.closingGoesOffline();
  }

  private renderCurrent(user: UserState): void {
    const { status, overage } = user;
    replace(
      this.current,
      swatch(status.color, 'big'),
      h(
        'div',
        null,
        h('p', { class: 'status-name', 'data-status': status.id }, status.name),
        h('p', { class: 'muted' }, 'for ', elapsed(status.since)),
        overage
          ? h(
              'p',
              { class: 'overage' },
              `Over the allowed ${overage.allowedMinutes} min by `,
              elapsed(overage.since),
            )
          : null,
      ),
    );
  }

  private renderUpcoming(user: UserState): void {
    const next = user.upcoming;
    this.upcoming.hidden = !next;
    if (!next) return replace(this.upcoming);
    const kind = user.activities[0]?.kind;
    const when = kind ? WHEN_OVER[kind] : user.wrapUp ? 'when your wrap-up ends' : 'when you are free';
    replace(
      this.upcoming,
      h('span', { class: 'upcoming-label' }, 'Upcoming'),
      statusChip(next, 'upcoming-chip'),
      h('span', { class: 'muted' }, `starts ${when}`),
      this.cancelButton,
    );
    this.cancelButton.setAttribute('aria-label', `Cancel upcoming ${next.name}`);
  }

  /** A ringing phone is shown, but it is not work: the status menu stays as it is and picks apply at once. */
  private renderEngagement(user: UserState): void {
    const lines: HTMLElement[] = user.activities.map((a) =>
      h('p', null, `${DOING[a.kind]} since ${formatClock(a.since)}, for `, elapsed(a.since)),
    );
    if (user.offer) {
      lines.push(h('p', { class: 'offer' }, 'Your phone is ringing · ', elapsed(user.offer.since)));
    }
    if (user.wrapUp) {
      lines.push(
        h(
          'p',
          { class: 'wrap-up' },
          'Wrap-up: ',
          h('strong', null, countdown(user.wrapUp.until)),
          ` left (until ${formatClock(user.wrapUp.until)}) `,
          h('span', { class: 'row' }, this.extendButton, this.wrapUpButton),
        ),
      );
    }
    replace(this.engagement, lines);
  }

  private renderOptions(user: UserState): void {
    const keep = this.select.value || user.upcoming?.id || user.status.id;
    const usage = user.shift?.usage ?? {};
    const options = this.types.map((t) => {
      // Own keys only: a type with the id "constructor" must not read Object.prototype.constructor.
      const used = (Object.hasOwn(usage, t.id) ? usage[t.id] : undefined) ?? 0;
      const full = t.limitPerShift !== null && used >= t.limitPerShift && t.id !== user.status.id;
      let label = t.name;
      if (t.id === user.status.id) label += ' (current)';
      else if (t.id === user.upcoming?.id) label += ' (upcoming)';
      if (t.limitPerShift !== null) label += ` — ${used} of ${t.limitPerShift} used`;
      return h('option', { value: t.id, disabled: full }, label);
    });
    replace(this.select, options);
    const usable = options.some((o) => o.value === keep && !o.disabled);
    this.select.value = usable ? keep : user.status.id;
  }

  private renderShift(user: UserState): void {
    const { shift } = user;
    this.startShift.hidden = Boolean(shift);
    this.endShift.hidden = !shift;
    if (!shift) {
      replace(this.shift, h('p', null, 'Your shift has not started.'));
      replace(this.endReason);
      return;
    }
    replace(
      this.shift,
      h('p', null, `Started at ${formatClock(shift.startedAt)}, on shift for `, elapsed(shift.startedAt)),
    );
    const reason = this.endShiftBlocker(user);
    this.endShift.disabled = reason !== null;
    replace(this.endReason, reason ?? '');
  }

  /** Why the shift cannot end now, or null. */
  private endShiftBlocker(user: UserState): string | null {
    if (user.activities.length > 0) return 'The shift cannot end during a call or task.';
    if (user.wrapUp) return 'The shift cannot end during wrap-up.';
    if (this.typeOf(user.status.id)?.canEndShift !== false) return null;
    const can = this.types.filter((t) => t.canEndShift).map((t) => t.name);
    const hint = can.length > 0 ? ` Change to ${orList(can)} first.` : '';
    return `“${user.status.name}” cannot end a shift.${hint}`;
  }

  private async act(run: () => Promise<void>, statusName?: string): Promise<void> {
    this.error.textContent = '';
    this.info.textContent = '';
    try {
      await run();
    } catch (err) {
      const currentName = this.user?.status.name;
      this.error.textContent = describeError(err, {
        ...(statusName ? { statusName } : {}),
        ...(currentName ? { currentName } : {}),
      });
      if (
        err instanceof ApiError &&
        (err.code === 'VERSION_CONFLICT' || err.code === 'STATUS_TYPE_NOT_FOUND')
      )
        void this.reload();
    }
  }

  private choose(statusId: string): Promise<void> {
    const type = this.typeOf(statusId);
    return this.act(async () => {
      const { body } = await this.api.call<StatusChangeResult>('PUT', this.userPath('/status'), { statusId });
      this.setUser(body.user);
      if (!body.applied && body.user.upcoming)
        this.info.textContent = `“${body.user.upcoming.name}” is upcoming: it starts as soon as you are free.`;
    }, type?.name);
  }

  private cancelUpcoming(): Promise<void> {
    return this.act(async () => {
      const { body } = await this.api.call<{ user: UserState }>('DELETE', this.userPath('/status/upcoming'));
      this.setUser(body.user);
      this.select.value = body.user.status.id;
      this.info.textContent = 'The upcoming status is cancelled.';
    });
  }

  private finishWrapUp(): Promise<void> {
    return this.act(async () => {
      const { body } = await this.api.call<{ user: UserState }>('DELETE', this.userPath('/wrap-up'));
      this.setUser(body.user);
    });
  }

  private extendWrapUp(): Promise<void> {
    return this.act(async () => {
      const { body } = await this.api.call<{ user: UserState }>('POST', this.userPath('/wrap-up/extend'), {
        seconds: EXTEND_SECONDS,
      });
      this.setUser(body.user);
      this.info.textContent = `Wrap-up extended by ${EXTEND_SECONDS / 60} min.`;
    });
  }

  private shiftCommand(method: 'POST' | 'DELETE'): Promise<void> {
    return this.act(async () => {
      const { body } = await this.api.call<{ user: UserState }>(
        method,
        this.userPath('/shift'),
        method === 'POST' ? {} : undefined,
      );
      this.setUser(body.user);
      this.info.textContent = method === 'POST' ? 'Your shift has started.' : 'Your shift has ended.';
      (method === 'POST' ? this.endShift : this.startShift).focus();
    });
  }

  private userPath(suffix: string): string {
    return `/v1/users/${encodeURIComponent(this.userId)}${suffix}`;
  }

  /** Sentences for changes the agent did not make here (the state itself arrives through refreshUser). */
  private explain(event: LiveEvent): void {
    if (event.type === 'user.upcoming.changed' && event.upcoming === null) {
      const reason = String(event.reason ?? '');
      const name = this.user?.upcoming?.name;
      if (/^[A-Z_]+$/.test(reason) && !['CANCELLED', 'APPLIED', 'SUPERSEDED'].includes(reason)) {
        const why = describeError(new ApiError(409, reason, '', event), name ? { statusName: name } : {});
        this.error.textContent = `Your upcoming status${name ? ` “${name}”` : ''} was not applied. ${why}`;
      }
    }
    if (event.type === 'user.status.changed') {
      const cause = String(event.cause ?? '');
      const by = Object.hasOwn(CHANGED_BY, cause) ? CHANGED_BY[cause] : undefined;
      const to = this.typeOf(String(event.to ?? ''))?.name;
      if (by && to) this.info.textContent = `Your status was changed to “${to}” ${by}.`;
    }
  }
}

function orList(names: string[]): string {
  const quoted = names.map((n) => `“${n}”`);
  return quoted.length < 2 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

customElements.define('pb-agent', AgentScreen);

declare global {
  interface HTMLElementTagNameMap {
    'pb-agent': AgentScreen;
  }
}
