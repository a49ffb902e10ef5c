/** Building DOM from data: every string goes in as text (textContent), never as HTML. */

import { VERDICT_COLOURS, VerdictKey } from './format';

export interface IElementOptions {
  className?: string;
  text?: string;
  title?: string;
  data?: Record<string, string>;
  attrs?: Record<string, string>;
}

/** `<tag class=... title=... data-*=...>text children</tag>`. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: IElementOptions = {},
  children: (Node | null | undefined)[] = []
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) {
    node.className = options.className;
  }
  if (options.text !== undefined) {
    node.textContent = options.text;
  }
  if (options.title !== undefined) {
    node.title = options.title;
  }
  for (const [key, value] of Object.entries(options.data ?? {})) {
    node.dataset[key] = value;
  }
  for (const [key, value] of Object.entries(options.attrs ?? {})) {
    node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child) {
      node.appendChild(child);
    }
  }
  return node;
}

/** Mark `node` with a verdict (`data-verdict`) and colour it as that verdict. */
export function paintVerdict(node: HTMLElement, verdict: VerdictKey): void {
  const colours = VERDICT_COLOURS[verdict];
  node.dataset.verdict = verdict;
  node.style.color = colours.color;
  node.style.background = colours.background;
  node.style.borderColor = colours.border;
}
