/**
 * The time-in-status report (/console/report, supervisor or admin key) for one day of the browser's time zone:
 * GET /v1/reports/time-in-status as a chart and a table, and the same window as a CSV download (fetched with the
 * key, since a plain link cannot carry the Authorization header).
 */
import type { Api } from './api.js';
import { h, replace, swatch } from './components/dom.js';
import { formatTotal } from './components/elapsed-time.js';
import './components/time-chart.js';
import type { ScreenContext } from './main.js';
import { describeError } from './messages.js';
import type { StatusType, TimeInStatusReport } from './types.js';

export function mount(area: HTMLElement, ctx: ScreenContext): void {
  const screen = document.createElement('pb-report');
  area.append(screen);
  screen.start(ctx);
}

/** yyyy-mm-dd of a local date. */
export function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local day as a [from, to) window in UTC ISO strings (a DST day is 23 or 25 hours, as it should be). */
export function dayWindow(day: string): { from: string; to: string } {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return { from: new Date(y, m - 1, d).toISOString(), to: new Date(y, m - 1, d + 1).toISOString() };
}

/** Overage is counted to the second: under a minute is still over, not "+0 min". */
const overTime = (seconds: number): string => (seconds < 30 ? '<1 min' : formatTotal(seconds));
const percent = (share: number | null): string => (share === null ? '—' : `${Math.round(share * 100)} %`);

export class ReportScreen extends HTMLElement {
  private api!: Api;
  private report: TimeInStatusReport | null = null;
  private colors = new Map<string, string>();
  /** Status type ids in catalogue order: the table's columns follow it (Offline last), not the report's id order. */
  private order: string[] = [];

  private readonly day = h('input', { id: 'report-day', type: 'date', required: true });
  private readonly showOffline = h('input', { id: 'report-offline', type: 'checkbox' });
  private readonly chart = h('pb-time-chart');
  private readonly table = h('div', { class: 'table-wrap' });
  private readonly status = h('p', { class: 'message', role: 'status' });
  private readonly csvButton = h('button', { type: 'button' }, 'Download CSV');

  start(ctx: ScreenContext): void {
    this.api = ctx.api;
    this.day.value = isoDay(new Date());
    this.day.max = isoDay(new Date());
    const form = h(
      'form',
      { class: 'report-controls', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'report-day' }, 'Day'), this.day),
      h('button', { type: 'submit', class: 'primary' }, 'Show'),
      this.csvButton,
      h(
        'div',
        { class: 'field check' },
        this.showOffline,
        h('label', { for: 'report-offline' }, 'Include Offline in the chart'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.load();
    });
    this.csvButton.addEventListener('click', () => void this.download());
    this.showOffline.addEventListener('change', () => this.draw());
    this.append(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'report-title' },
        h('h1', { id: 'report-title' }, 'Time in status'),
        form,
        this.status,
        this.chart,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'report-table-title' },
        h('h2', { id: 'report-table-title' }, 'Per agent'),
        this.table,
      ),
    );
    void this.load();
  }

  private query(format: 'json' | 'csv'): string | null {
    if (!this.day.value) return null;
    const { from, to } = dayWindow(this.day.value);
    return `/v1/reports/time-in-status?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&format=${format}`;
  }

  private async load(): Promise<void> {
    const url = this.query('json');
    if (!url) {
      this.status.textContent = 'Choose a day.';
      return;
    }
    this.status.textContent = 'Loading…';
    try {
      const [report, types] = await Promise.all([
        this.api.get<TimeInStatusReport>(url),
        this.api.get<StatusType[]>('/v1/status-types'),
      ]);
      this.report = report;
      this.colors = new Map(types.map((t) => [t.id, t.color]));
      this.order = types.map((t) => t.id);
      const n = report.users.length;
      this.status.textContent = `${n} agent${n === 1 ? '' : 's'} · ${new Date(report.from).toLocaleDateString()} · generated ${new Date(report.generatedAt).toLocaleTimeString()}`;
      this.draw();
    } catch (err) {
      this.status.textContent = `The report could not be loaded. ${describeError(err)}`;
    }
  }

  private draw(): void {
    const report = this.report;
    if (!report) return;
    const hidden = new Set(this.showOffline.checked ? [] : ['offline']);
    this.chart.draw(report, { colors: this.colors, hidden });
    this.renderTable(report);
  }

  private renderTable(report: TimeInStatusReport): void {
    const found = new Map<string, string>();
    for (const u of report.users) for (const s of u.statuses) found.set(s.statusId, s.name);
    const rank = (id: string) =>
      id === 'offline' ? Number.MAX_SAFE_INTEGER : this.order.indexOf(id) + 1 || Number.MAX_SAFE_INTEGER - 1;
    const statuses = new Map([...found].sort(([a], [b]) => rank(a) - rank(b)));
    const head = h(
      'tr',
      null,
      h('th', { scope: 'col' }, 'Agent'),
      h('th', { scope: 'col' }, 'Logged in'),
      h('th', { scope: 'col', title: 'answered activity time plus wrap-up' }, 'Handle time'),
      h('th', { scope: 'col', title: 'handle ÷ (handle + available idle time)' }, 'Occupancy'),
      h('th', { scope: 'col', title: 'handle ÷ logged-in time' }, 'Utilization'),
      h('th', { scope: 'col', title: 'time in statuses that are not productive' }, 'Break'),
      h('th', { scope: 'col', title: 'Calls that rang out unanswered while available' }, 'Missed offers'),
      [...statuses].map(([id, name]) =>
        h('th', { scope: 'col' }, swatch(this.colors.get(id) ?? '#7f8c8d'), ` ${name}`),
      ),
    );
    const rows = report.users.map((u) => {
      const by = new Map(u.statuses.map((s) => [s.statusId, s]));
      return h(
        'tr',
        null,
        h('th', { scope: 'row' }, u.displayName),
        h('td', null, formatTotal(u.loggedInSeconds)),
        h('td', null, formatTotal(u.handleSeconds)),
        h('td', null, percent(u.occupancy)),
        h('td', null, percent(u.utilization)),
        h('td', null, formatTotal(u.breakSeconds)),
        h('td', { class: 'missed-offers' }, String(u.missedOffers ?? 0)),
        [...statuses.keys()].map((id) => {
          const s = by.get(id);
          if (!s || s.seconds === 0) return h('td', { class: 'muted' }, '—');
          const over =
            s.overageSeconds > 0
              ? h('span', { class: 'overage small' }, ` (+${overTime(s.overageSeconds)} over)`)
              : null;
          return h(
            'td',
            { title: `${s.entries} time${s.entries === 1 ? '' : 's'}` },
            formatTotal(s.seconds),
            over,
          );
        }),
      );
    });
    replace(
      this.table,
      report.users.length === 0
        ? h('p', { class: 'muted' }, 'No agents in this report.')
        : h('table', { class: 'report' }, h('thead', null, head), h('tbody', null, rows)),
    );
  }

  private async download(): Promise<void> {
    const url = this.query('csv');
    if (!url) return;
    try {
      await this.api.download(url, `time-in-status-${this.day.value}.csv`);
      this.status.textContent = 'CSV downloaded.';
    } catch (err) {
      this.status.textContent = `The CSV could not be downloaded. ${describeError(err)}`;
    }
  }
}

customElements.define('pb-report', ReportScreen);

declare global {
  interface HTMLElementTagNameMap {
    'pb-report': ReportScreen;
  }
}
