/**
 * A supervisor's controls on one board tile: force a status now (even during a call, past its per-shift limit)
 * and end an agent's shift from any status (e.g. an agent who left), each with an optional reason and asked once
 * more in place before it is done (API: PUT .../status {force, reason}, DELETE .../shift?force=true).
 *
 * The element is created once per tile and only updated afterwards, so a live update of the tile never throws
 * away a half-filled reason or an open confirmation.
 */
import type { Api } from '../api.js';
import { describeError } from '../messages.js';
import type { StatusType, UserState } from '../types.js';
import { h, replace, uid } from './dom.js';

export class SupervisorControls {
  readonly element: HTMLDetailsElement;
  private user: UserState;
  private readonly select = h('select');
  private readonly reason = h('input', { type: 'text', maxlength: '200', autocomplete: 'off' });
  private readonly forceButton = h('button', { type: 'button' }, 'Force status…');
  private readonly endButton = h('button', { type: 'button', class: 'danger' }, 'End shift…');
  private readonly actions = h('div', { class: 'manage-actions' });
  private readonly message = h('p', { class: 'message small', role: 'status' });

  constructor(
    private readonly api: Api,
    user: UserState,
    types: readonly StatusType[],
    private readonly changed: (user: UserState) => void,
  ) {
    this.user = user;
    const selectId = uid('force-status');
    const reasonId = uid('force-reason');
    this.select.id = selectId;
    this.reason.id = reasonId;
    this.forceButton.addEventListener('click', () => this.ask('status'));
    this.endButton.addEventListener('click', () => this.ask('shift'));
    this.element = h(
      'details',
      { class: 'manage' },
      h('summary', null, 'Supervise'),
      h('div', { class: 'field' }, h('label', { for: selectId }, 'Status'), this.select),
      h('div', { class: 'field' }, h('label', { for: reasonId }, 'Reason (optional)'), this.reason),
      this.actions,
      this.message,
    );
    this.showButtons();
    this.update(user, types);
  }

  update(user: UserState, types: readonly StatusType[]): void {
    this.user = user;
    const chosen = this.select.value || user.status.id;
    replace(
      this.select,
      types.map((t) => h('option', { value: t.id, selected: t.id === chosen }, t.name)),
    );
    this.endButton.disabled = user.shift === null;
    this.endButton.title = user.shift === null ? 'No shift is started' : '';
  }

  private showButtons(): void {
    replace(this.actions, this.forceButton, this.endButton);
  }

  /** Asks once more, saying what will happen, before anything is sent. */
  private ask(what: 'status' | 'shift'): void {
    this.message.textContent = '';
    const name = this.select.selectedOptions[0]?.textContent ?? this.select.value;
    const engaged = this.user.activities.length > 0 || Boolean(this.user.wrapUp);
    const question =
      what === 'status'
        ? `Set “${name}” for ${this.user.displayName} now${engaged ? ', during the current work' : ''}?`
        : `End ${this.user.displayName}’s shift now? The status becomes Offline${engaged ? ' while the work goes on' : ''}.`;
    const confirm = h(
      'button',
      { type: 'button', class: 'danger' },
      what === 'status' ? `Force “${name}”` : 'End the shift',
    );
    const cancel = h('button', { type: 'button' }, 'Cancel');
    replace(
      this.actions,
      h('p', { class: 'small' }, question),
      h('span', { class: 'confirm', role: 'group', 'aria-label': question }, confirm, cancel),
    );
    confirm.focus();
    cancel.addEventListener('click', () => {
      this.showButtons();
      (what === 'status' ? this.forceButton : this.endButton).focus();
    });
    confirm.addEventListener('click', () => void this.send(what));
  }

  private async send(what: 'status' | 'shift'): Promise<void> {
    const id = encodeURIComponent(this.user.id);
    const reason = this.reason.value.trim();
    try {
      const result =
        what === 'status'
          ? await this.api.call<{ user: UserState }>('PUT', `/v1/users/${id}/status`, {
              statusId: this.select.value,
              force: true,
              ...(reason ? { reason } : {}),
            })
          : await this.api.call<{ user: UserState }>(
              'DELETE',
              `/v1/users/${id}/shift?force=true${reason ? `&reason=${encodeURIComponent(reason)}` : ''}`,
            );
      this.reason.value = '';
      this.message.classList.remove('error');
      this.message.textContent = what === 'status' ? 'Status set.' : 'Shift ended.';
      this.changed(result.body.user);
    } catch (err) {
      this.message.classList.add('error');
      this.message.textContent = describeError(err, {
        statusName: this.select.selectedOptions[0]?.textContent ?? '',
      });
    }
    this.showButtons();
  }
}
