/**
 * `<pb-time-chart>`: time per status per agent as horizontal stacked bars, in plain SVG (no library). Bars share
 * one scale (the longest agent total), with hour ticks; every segment has a tooltip. The SVG is labelled as an
 * image; the report's table beside it carries the same numbers for screen readers.
 */
import type { TimeInStatusReport } from '../types.js';
import { h, replace, svg, swatch } from './dom.js';
import { formatTotal } from './elapsed-time.js';

export interface ChartOptions {
  /** Status colors by id (from the catalog); a gray is used for types deleted since. */
  colors: ReadonlyMap<string, string>;
  /** Statuses left out of the bars (Offline by default in the report). */
  hidden: ReadonlySet<string>;
}

const WIDTH = 960;
const LABEL_W = 170;
const RIGHT_PAD = 70;
const BAR_H = 22;
const GAP = 12;
const TOP = 8;
const AXIS_H = 26;
const FALLBACK = '#7f8c8d';

/** Hour step for the ticks so that there are at most about eight. */
function tickStep(maxSeconds: number): number {
  const hours = maxSeconds / 3600;
  const steps = [0.25, 0.5, 1, 2, 3, 4, 6, 12, 24];
  return (steps.find((s) => hours / s <= 8) ?? 24) * 3600;
}

/** One format per axis: "0 h, 2 h, 4 h" for whole-hour steps, "0:00, 0:15, 0:30" when a step is shorter. */
function tickLabel(seconds: number, step: number): string {
  const minutes = Math.round(seconds / 60);
  return step % 3600 === 0
    ? `${minutes / 60} h`
    : `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

export class TimeChart extends HTMLElement {
  draw(report: TimeInStatusReport, options: ChartOptions): void {
    const rows = report.users.map((u) => ({
      name: u.displayName,
      segments: u.statuses.filter((s) => s.seconds > 0 && !options.hidden.has(s.statusId)),
    }));
    const totals = rows.map((r) => r.segments.reduce((sum, s) => sum + s.seconds, 0));
    const max = Math.max(0, ...totals);
    if (rows.length === 0 || max === 0) {
      replace(this, h('p', { class: 'muted' }, 'No time recorded for this day.'));
      return;
    }
    const plotW = WIDTH - LABEL_W - RIGHT_PAD;
    const x = (seconds: number) => (seconds / max) * plotW;
    const height = TOP + rows.length * (BAR_H + GAP) + AXIS_H;
    const step = tickStep(max);

    const ticks = [];
    for (let t = 0; t <= max + 1; t += step) {
      const tx = LABEL_W + x(t);
      ticks.push(
        svg('line', { x1: tx, x2: tx, y1: TOP - 4, y2: height - AXIS_H + 2, class: 'grid' }),
        svg('text', { x: tx, y: height - 8, 'text-anchor': 'middle', class: 'tick' }, tickLabel(t, step)),
      );
    }

    const bars = rows.map((row, i) => {
      const y = TOP + i * (BAR_H + GAP);
      let offset = 0;
      const rects = row.segments.map((s) => {
        const rect = svg(
          'rect',
          {
            x: LABEL_W + x(offset),
            y,
            width: Math.max(x(s.seconds), 0.5),
            height: BAR_H,
            fill: options.colors.get(s.statusId) ?? FALLBACK,
            class: 'segment',
          },
          svg('title', null, `${row.name} — ${s.name}: ${formatTotal(s.seconds)}`),
        );
        offset += s.seconds;
        return rect;
      });
      return svg(
        'g',
        { class: 'bar' },
        svg(
          'text',
          {
            x: LABEL_W - 10,
            y: y + BAR_H / 2,
            'text-anchor': 'end',
            'dominant-baseline': 'central',
            class: 'label',
          },
          clip(row.name, 22),
        ),
        rects,
        svg(
          'text',
          { x: LABEL_W + x(offset) + 6, y: y + BAR_H / 2, 'dominant-baseline': 'central', class: 'total' },
          formatTotal(offset),
        ),
      );
    });

    const chart = svg(
      'svg',
      {
        viewBox: `0 0 ${WIDTH} ${height}`,
        role: 'img',
        'aria-label': `Time per status for ${rows.length} agent${rows.length === 1 ? '' : 's'}; the table below has the numbers.`,
        class: 'chart',
        preserveAspectRatio: 'xMinYMin meet',
      },
      ticks,
      bars,
    );
    replace(this, this.legend(report, options), chart);
  }

  private legend(report: TimeInStatusReport, options: ChartOptions): HTMLElement {
    const seen = new Map<string, string>();
    for (const u of report.users)
      for (const s of u.statuses)
        if (s.seconds > 0 && !options.hidden.has(s.statusId)) seen.set(s.statusId, s.name);
    return h(
      'ul',
      { class: 'legend', 'aria-label': 'Legend' },
      [...seen].map(([id, name]) => h('li', null, swatch(options.colors.get(id) ?? FALLBACK), name)),
    );
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

customElements.define('pb-time-chart', TimeChart);

declare global {
  interface HTMLElementTagNameMap {
    'pb-time-chart': TimeChart;
  }
}
