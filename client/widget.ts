// The footer block: every [data-headcount] element is filled at once with its structure and
// placeholders (no layout shift), then updated in place by live counts.
import type { Counts } from '../src/protocol.js';
import { FIGURES, LABELS, langOf, rowsFor } from './labels.js';

declare const WIDGET_CSS: string;

export type Update = (counts: Counts) => void;

export function mountWidgets(): Update[] {
  const elements = [...document.querySelectorAll<HTMLElement>('[data-headcount]')];
  // Prepended, so the page's own rules win at equal specificity.
  if (elements.length) document.head.prepend(Object.assign(document.createElement('style'), { textContent: WIDGET_CSS }));
  return elements.map((el) => {
    const lang = langOf(el.dataset.lang || document.documentElement.lang);
    const labels = LABELS[lang];
    const rows = rowsFor(el.dataset.show);
    const format = new Intl.NumberFormat(lang).format;
    el.setAttribute('role', 'region');
    el.setAttribute('aria-label', labels[0]!);
    // Not a live region: numbers that change every second would flood a screen reader; they are read on demand.
    el.setAttribute('aria-busy', 'true');
    el.innerHTML = `<b>${labels[0]}</b><p>${labels[1]}</p><dl>${rows.map((i) => `<dt>${labels[i + 2]}</dt><dd>–</dd>`).join('')}</dl>`;
    const cells = el.querySelectorAll('dd');
    return (counts) => {
      el.removeAttribute('aria-busy');
      rows.forEach((i, n) => (cells[n]!.textContent = format(FIGURES[i]!(counts))));
    };
  });
}
