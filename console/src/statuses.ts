/**
 * Status management (/console/statuses, admin key): the catalog and one form to create or edit a type, with the
 * parameters in the two sections admins know (General, Call handling) plus how the status shows on each phone
 * system. The API is the one validator: the form sends what was typed (`novalidate`) and puts each
 * `VALIDATION_FAILED` issue next to the field its path names.
 */
import { ApiError, type Api } from './api.js';
import { h, replace, statusChip, uid } from './components/dom.js';
import { followLive } from './live.js';
import type { ScreenContext } from './main.js';
import { describeError } from './messages.js';
import { FREEPBX_PRESENCE, type FreepbxPresence, type StatusType } from './types.js';

export function mount(area: HTMLElement, ctx: ScreenContext): void {
  const screen = document.createElement('pb-statuses');
  area.append(screen);
  screen.start(ctx);
}

/** Standard 3CX V20 status profile names, offered as suggestions (any name the PBX knows is accepted). */
const PROFILES_3CX = ['Available', 'Away', 'Out of office', 'Custom 1', 'Custom 2'];

const PRESENCE_LABELS: Record<FreepbxPresence, string> = {
  available: 'Available',
  chat: 'Chat',
  away: 'Away',
  dnd: 'Do not disturb',
  xa: 'Extended away',
  unavailable: 'Unavailable',
  not_set: 'Not set',
  invisible: 'Invisible',
};

type Field = HTMLInputElement | HTMLSelectElement;

/** One form control with its label and its error line, found by the API's issue path. */
interface FieldRow {
  path: string;
  control: Field;
  error: HTMLElement;
  row: HTMLElement;
}

function field(path: string, label: string, control: Field, hint?: string): FieldRow {
  const id = uid('st');
  control.id = id;
  control.name = path;
  const error = h('p', { id: `${id}-error`, class: 'field-error' });
  const hintEl = hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  control.setAttribute('aria-describedby', [hintEl ? `${id}-hint` : '', `${id}-error`].join(' ').trim());
  const isCheck = control instanceof HTMLInputElement && control.type === 'checkbox';
  const labelEl = h('label', { for: id }, label);
  const row = isCheck
    ? h('div', { class: 'field check' }, control, labelEl, hintEl, error)
    : h('div', { class: 'field' }, labelEl, control, hintEl, error);
  return { path, control, error, row };
}

const checkbox = () => h('input', { type: 'checkbox' });
const numberInput = () => h('input', { type: 'number', inputmode: 'numeric', min: '1', step: '1' });

export class StatusesScreen extends HTMLElement {
  private api!: Api;
  private types: StatusType[] = [];
  /** The type being edited, or null for a new one. */
  private editing: StatusType | null = null;
  /** Presence fields follow "Queue login" on a new type until the admin sets them. */
  private presenceTouched = false;
  /** A new type is productive when it takes queue calls (the API's default), until the admin says otherwise. */
  private productiveTouched = false;

  private readonly list = h('tbody');
  private readonly listMessage = h('p', { class: 'message', role: 'status' });
  private readonly formTitle = h('h2', { id: 'status-form-title' });
  private readonly formError = h('div', { class: 'message error', role: 'alert' });
  private readonly formInfo = h('p', { class: 'message info', role: 'status' });
  private readonly saveButton = h('button', { type: 'submit', class: 'primary' }, 'Create');
  private readonly resetButton = h('button', { type: 'button' }, 'New status type');

  private readonly f = {
    id: field(
      'id',
      'ID (optional)',
      h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off' }),
      'Derived from the name when empty; cannot change later.',
    ),
    name: field('name', 'Name', h('input', { type: 'text', autocomplete: 'off' })),
    color: field('color', 'Color', h('input', { type: 'color', value: '#3498DB' })),
    keepOnConnectionLoss: field(
      'keepOnConnectionLoss',
      'Do not change status when connection lost',
      checkbox(),
    ),
    canEndShift: field('canEndShift', 'Can end the shift', checkbox()),
    productive: field(
      'productive',
      'Productive',
      checkbox(),
      'Time in it is work; reports count the others as break time.',
    ),
    limitPerShift: field(
      'limitPerShift',
      'Status limit',
      numberInput(),
      'Times per shift; empty for unlimited.',
    ),
    allowedMinutes: field(
      'allowedMinutes',
      'Allowed time (minutes)',
      numberInput(),
      'Overage is tracked after it; empty for unlimited.',
    ),
    ringMyMobile: field('callHandling.ringMyMobile', 'Ring my mobile', checkbox()),
    queueLogin: field('callHandling.queueLogin', 'Queue login', checkbox()),
    externalCalls: field('callHandling.externalCalls', 'Enable external calls', checkbox()),
    dnd: field('pbxPresence.freepbx.dnd', 'Do not disturb (DND)', checkbox()),
    presence: field(
      'pbxPresence.freepbx.presence',
      'Presence state',
      h(
        'select',
        null,
        FREEPBX_PRESENCE.map((p) => h('option', { value: p }, PRESENCE_LABELS[p])),
      ),
    ),
    message: field(
      'pbxPresence.freepbx.message',
      'Presence message',
      h('input', { type: 'text', autocomplete: 'off' }),
      'Optional; shown on phones. No commas.',
    ),
    profile: field(
      'pbxPresence.3cx.profile',
      'Status profile',
      h('input', { type: 'text', list: 'profiles-3cx', autocomplete: 'off' }),
    ),
  };

  start(ctx: ScreenContext): void {
    this.api = ctx.api;
    this.layout();
    this.fill(null);
    followLive(this.api, { reload: () => this.reload(), statusTypesChanged: () => this.reload() });
    void this.reload();
  }

  private get fields(): FieldRow[] {
    return Object.values(this.f);
  }

  private layout(): void {
    const f = this.f;
    const form = h(
      'form',
      { class: 'card status-form', novalidate: true, 'aria-labelledby': 'status-form-title' },
      this.formTitle,
      h(
        'fieldset',
        null,
        h('legend', null, 'General'),
        [
          f.name,
          f.id,
          f.color,
          f.keepOnConnectionLoss,
          f.canEndShift,
          f.productive,
          f.limitPerShift,
          f.allowedMinutes,
        ].map((x) => x.row),
      ),
      h(
        'fieldset',
        null,
        h('legend', null, 'Call handling'),
        [f.ringMyMobile, f.queueLogin, f.externalCalls].map((x) => x.row),
      ),
      h(
        'fieldset',
        null,
        h('legend', null, 'Presence on the phone systems'),
        h('p', { class: 'hint' }, 'How this status shows on each platform.'),
        h('h3', null, 'FreePBX / Asterisk'),
        [f.dnd, f.presence, f.message].map((x) => x.row),
        h('h3', null, '3CX'),
        f.profile.row,
        h(
          'datalist',
          { id: 'profiles-3cx' },
          PROFILES_3CX.map((p) => h('option', { value: p })),
        ),
      ),
      this.formError,
      this.formInfo,
      h('div', { class: 'actions' }, this.saveButton, this.resetButton),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    this.resetButton.addEventListener('click', () => {
      this.fill(null);
      this.f.name.control.focus();
    });
    f.queueLogin.control.addEventListener('change', () => this.followQueueLogin());
    f.productive.control.addEventListener('change', () => (this.productiveTouched = true));
    for (const x of [f.dnd, f.presence, f.message, f.profile])
      x.control.addEventListener('input', () => (this.presenceTouched = true));

    const table = h(
      'table',
      { class: 'types' },
      h('caption', { class: 'sr-only' }, 'Status types'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Status', 'Limits', 'Rules', 'Calls', 'Phones', 'Actions'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      this.list,
    );
    this.append(
      h(
        'div',
        { class: 'split' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'types-title' },
          h('h1', { id: 'types-title' }, 'Status types'),
          this.listMessage,
          h('div', { class: 'table-wrap' }, table),
        ),
        form,
      ),
    );
  }

  /** Never rejects: a failure is shown, and the next event or reconnect tries again. */
  private async reload(): Promise<void> {
    try {
      this.types = await this.api.get<StatusType[]>('/v1/status-types');
      this.renderList();
    } catch (err) {
      this.listMessage.textContent = `The status types could not be loaded. ${describeError(err)}`;
    }
  }

  private renderList(): void {
    replace(
      this.list,
      this.types.map((t) => this.row(t)),
    );
  }

  private row(t: StatusType): HTMLTableRowElement {
    const edit = h('button', { type: 'button', 'aria-label': `Edit ${t.name}` }, 'Edit');
    edit.addEventListener('click', () => {
      this.fill(t);
      this.f.name.control.focus();
    });
    const fp = t.pbxPresence.freepbx;
    const lines = (items: Array<string | false>) => {
      const shown = items.filter((i): i is string => Boolean(i));
      return shown.length > 0 ? shown.map((i) => h('span', { class: 'line' }, i)) : '—';
    };
    const actions = h('td', { class: 'row-actions' }, edit);
    if (!t.builtIn) actions.append(this.deleteButton(t, actions));
    return h(
      'tr',
      { 'data-type': t.id },
      h(
        'th',
        { scope: 'row' },
        statusChip(t),
        h('span', { class: 'type-id muted small' }, t.id, t.builtIn ? ' · built-in' : ''),
      ),
      h(
        'td',
        { class: 'small' },
        lines([
          t.limitPerShift !== null && `${t.limitPerShift}× per shift`,
          t.allowedMinutes !== null && `${t.allowedMinutes} min allowed`,
        ]),
      ),
      h(
        'td',
        { class: 'small' },
        lines([
          t.canEndShift && 'Can end shift',
          t.keepOnConnectionLoss && 'Kept on connection loss',
          !t.productive && 'Break time',
        ]),
      ),
      h(
        'td',
        { class: 'small' },
        lines([
          t.callHandling.queueLogin && 'Queue login',
          t.callHandling.ringMyMobile && 'Ring mobile',
          t.callHandling.externalCalls && 'External calls',
        ]),
      ),
      h(
        'td',
        { class: 'small phones' },
        lines([
          `FreePBX: ${PRESENCE_LABELS[fp.presence] ?? fp.presence}${fp.dnd ? ', DND' : ''}`,
          `3CX: ${t.pbxPresence['3cx'].profile}`,
        ]),
      ),
      actions,
    );
  }

  /** Delete asks once more in place (no modal dialog), and explains a refusal. */
  private deleteButton(t: StatusType, cell: HTMLElement): HTMLButtonElement {
    const button = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete ${t.name}` },
      'Delete',
    );
    button.addEventListener('click', () => {
      const confirm = h('button', { type: 'button', class: 'danger' }, `Delete “${t.name}”`);
      const keep = h('button', { type: 'button' }, 'Keep');
      const question = h(
        'span',
        { class: 'confirm', role: 'group', 'aria-label': `Delete ${t.name}?` },
        confirm,
        keep,
      );
      button.replaceWith(question);
      confirm.focus();
      keep.addEventListener('click', () => {
        question.replaceWith(button);
        button.focus();
      });
      confirm.addEventListener('click', () => void this.deleteType(t, cell));
    });
    return button;
  }

  private async deleteType(t: StatusType, cell: HTMLElement): Promise<void> {
    this.listMessage.textContent = '';
    this.listMessage.classList.remove('error');
    try {
      await this.api.call('DELETE', `/v1/status-types/${encodeURIComponent(t.id)}`);
      this.listMessage.textContent = `Deleted “${t.name}”.`;
      if (this.editing?.id === t.id) this.fill(null);
      await this.reload();
    } catch (err) {
      this.listMessage.textContent = deleteRefusal(t, err);
      this.listMessage.classList.add('error');
      await this.reload();
      cell.querySelector('button')?.focus();
    }
  }

  /** Puts a type (or the defaults of a new one) into the form. */
  private fill(t: StatusType | null): void {
    this.editing = t;
    this.presenceTouched = t !== null;
    this.productiveTouched = t !== null;
    this.clearErrors();
    this.formInfo.textContent = '';
    const f = this.f;
    this.formTitle.textContent = t ? `Edit “${t.name}”` : 'New status type';
    this.saveButton.textContent = t ? 'Save changes' : 'Create';
    this.resetButton.hidden = t === null;
    this.resetButton.textContent = 'Cancel';
    f.id.row.hidden = t !== null;
    setValue(f.id.control, '');
    setValue(f.name.control, t?.name ?? '');
    setValue(f.color.control, t?.color.toLowerCase() ?? '#3498db');
    setChecked(f.keepOnConnectionLoss.control, t?.keepOnConnectionLoss ?? false);
    setChecked(f.canEndShift.control, t?.canEndShift ?? false);
    setChecked(f.productive.control, t?.productive ?? false);
    setValue(f.limitPerShift.control, t?.limitPerShift?.toString() ?? '');
    setValue(f.allowedMinutes.control, t?.allowedMinutes?.toString() ?? '');
    setChecked(f.ringMyMobile.control, t?.callHandling.ringMyMobile ?? false);
    setChecked(f.queueLogin.control, t?.callHandling.queueLogin ?? false);
    setChecked(f.externalCalls.control, t?.callHandling.externalCalls ?? false);
    setChecked(f.dnd.control, t?.pbxPresence.freepbx.dnd ?? true);
    setValue(f.presence.control, t?.pbxPresence.freepbx.presence ?? 'away');
    setValue(f.message.control, t?.pbxPresence.freepbx.message ?? '');
    setValue(f.profile.control, t?.pbxPresence['3cx'].profile ?? 'Away');
  }

  /** The API's defaults for a new type: queue login means available, otherwise away with DND. */
  private followQueueLogin(): void {
    const queues = (this.f.queueLogin.control as HTMLInputElement).checked;
    if (!this.productiveTouched) setChecked(this.f.productive.control, queues);
    if (this.presenceTouched) return;
    setChecked(this.f.dnd.control, !queues);
    setValue(this.f.presence.control, queues ? 'available' : 'away');
    setValue(this.f.profile.control, queues ? 'Available' : 'Away');
  }

  private clearErrors(): void {
    for (const x of this.fields) {
      x.error.textContent = '';
      x.control.removeAttribute('aria-invalid');
    }
    replace(this.formError);
    this.formError.hidden = true;
  }

  /** The body from the form; numbers the browser could not read are reported before sending. */
  private body(): { body: Record<string, unknown>; local: Array<{ path: string; message: string }> } {
    const f = this.f;
    const local: Array<{ path: string; message: string }> = [];
    const count = (x: FieldRow): number | null => {
      const input = x.control as HTMLInputElement;
      if (input.validity.badInput) local.push({ path: x.path, message: 'must be a whole number' });
      return input.value.trim() === '' ? null : Number(input.value);
    };
    const checked = (x: FieldRow) => (x.control as HTMLInputElement).checked;
    const message = f.message.control.value;
    const body: Record<string, unknown> = {
      name: f.name.control.value,
      color: f.color.control.value.toUpperCase(),
      keepOnConnectionLoss: checked(f.keepOnConnectionLoss),
      canEndShift: checked(f.canEndShift),
      productive: checked(f.productive),
      limitPerShift: count(f.limitPerShift),
      allowedMinutes: count(f.allowedMinutes),
      callHandling: {
        ringMyMobile: checked(f.ringMyMobile),
        queueLogin: checked(f.queueLogin),
        externalCalls: checked(f.externalCalls),
      },
    };
    if (this.presenceTouched) {
      body.pbxPresence = {
        freepbx: {
          dnd: checked(f.dnd),
          presence: f.presence.control.value,
          ...(message !== '' || this.editing?.pbxPresence.freepbx.message ? { message } : {}),
        },
        '3cx': { profile: f.profile.control.value },
      };
    }
    const id = f.id.control.value.trim();
    if (!this.editing && id) body.id = id;
    return { body, local };
  }

  private async save(): Promise<void> {
    this.clearErrors();
    this.formInfo.textContent = '';
    const { body, local } = this.body();
    if (local.length > 0) return this.showIssues(local);
    const editing = this.editing;
    this.saveButton.disabled = true;
    try {
      const { body: saved } = editing
        ? await this.api.call<StatusType>('PATCH', `/v1/status-types/${encodeURIComponent(editing.id)}`, body)
        : await this.api.call<StatusType>('POST', '/v1/status-types', body);
      await this.reload();
      this.fill(editing ? (this.types.find((t) => t.id === saved.id) ?? null) : null);
      const warnings = saved.warnings?.length ? ` Note: ${saved.warnings.join('; ')}.` : '';
      this.formInfo.textContent = `${editing ? 'Saved' : 'Created'} “${saved.name}”.${warnings}`;
    } catch (err) {
      this.showError(err);
    } finally {
      this.saveButton.disabled = false;
    }
  }

  private showError(err: unknown): void {
    if (err instanceof ApiError && err.code === 'VALIDATION_FAILED' && err.issues.length > 0)
      return this.showIssues(err.issues);
    if (err instanceof ApiError && err.code === 'NAME_TAKEN')
      return this.showIssues([{ path: 'name', message: 'another status type already has this name' }]);
    this.formError.hidden = false;
    replace(this.formError, describeError(err));
  }

  /** Each issue next to its field (the longest field path it starts with); the rest above the buttons. */
  private showIssues(issues: Array<{ path: string; message: string }>): void {
    const unplaced: string[] = [];
    let first: Field | undefined;
    for (const issue of issues) {
      const target = this.fields
        .filter((x) => issue.path === x.path || issue.path.startsWith(`${x.path}.`))
        .sort((a, b) => b.path.length - a.path.length)[0];
      if (!target || target.row.hidden) {
        unplaced.push(`${issue.path}: ${issue.message}`);
        continue;
      }
      target.error.textContent = target.error.textContent
        ? `${target.error.textContent}; ${issue.message}`
        : issue.message;
      target.control.setAttribute('aria-invalid', 'true');
      first ??= target.control;
    }
    this.formError.hidden = false;
    replace(
      this.formError,
      h(
        'p',
        null,
        issues.length === 1
          ? 'Please correct the field marked below.'
          : `Please correct the ${issues.length} problems marked below.`,
      ),
      unplaced.length > 0
        ? h(
            'ul',
            null,
            unplaced.map((u) => h('li', null, u)),
          )
        : null,
    );
    first?.focus();
  }
}

function deleteRefusal(t: StatusType, err: unknown): string {
  if (err instanceof ApiError && err.code === 'STATUS_TYPE_IN_USE' && Array.isArray(err.details.fields)) {
    return `“${t.name}” cannot be deleted: the daemon’s configuration names it (${err.details.fields.join(', ')}). Change the configuration first.`;
  }
  if (err instanceof ApiError && err.code === 'STATUS_TYPE_IN_USE') {
    const users = typeof err.details.users === 'number' ? err.details.users : null;
    const [who, has] =
      users === 1
        ? ['1 agent is', 'has']
        : [users === null ? 'Some agents are' : `${users} agents are`, 'have'];
    return `“${t.name}” cannot be deleted: ${who} in this status or ${has} it as their upcoming status. Move them to another status first, then delete it.`;
  }
  if (err instanceof ApiError && err.code === 'BUILT_IN')
    return `“${t.name}” is built in and cannot be deleted.`;
  return `“${t.name}” was not deleted. ${describeError(err)}`;
}

function setValue(control: Field, value: string): void {
  control.value = value;
}

function setChecked(control: Field, checked: boolean): void {
  (control as HTMLInputElement).checked = checked;
}

customElements.define('pb-statuses', StatusesScreen);

declare global {
  interface HTMLElementTagNameMap {
    'pb-statuses': StatusesScreen;
  }
}
