/**
 * A tiny DOM builder. Text always goes in as text nodes, never as HTML, so names typed by admins or coming from
 * a PBX cannot inject markup. Attributes: `on<event>` functions become listeners, `true` an empty attribute,
 * `false`/null/undefined nothing.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type AttrValue = string | number | boolean | null | undefined | ((event: Event) => void);
export type Attrs = Record<string, AttrValue>;

function apply(el: Element, attrs: Attrs | null | undefined): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
}

function append(el: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child as readonly Child[]);
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A small round swatch in the status color, next to the name (color is never the only cue). */
export function swatch(color: string, extraClass = ''): HTMLSpanElement {
  const dot = h('span', { class: `swatch ${extraClass}`.trim(), 'aria-hidden': 'true' });
  dot.style.setProperty('--status-color', color);
  return dot;
}

export function statusChip(ref: { name: string; color: string }, extraClass = ''): HTMLSpanElement {
  return h(
    'span',
    { class: `chip ${extraClass}`.trim() },
    swatch(ref.color),
    h('span', { class: 'chip-name' }, ref.name),
  );
}

let counter = 0;
/** A document-unique id for label/field pairs. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}
