// The page's Headcount elements. A footer block ([data-headcount]) is filled at once with its structure
// and placeholders (no layout shift), then updated in place by live counts; a readers span
// ([data-headcount-readers]) shows how many read this page now.
import type { Counts, ReadersMessage, ServerMessage } from '../src/protocol.js';
import { FIGURES, LABELS, langOf, rowsFor } from './labels.js';
import { doc } from './doc.js';

declare const WIDGET_CSS: string;

/** Shows one push: counts for a widget, readers for a span. */
export type View = (message: ServerMessage) => void;

/** Both kinds of element, as the tracker finds them. */
export const SELECTOR = '[data-headcount],[data-headcount-readers]';

/** The default look; one element per page. */
const style = Object.assign(doc.createElement('style'), { textContent: WIDGET_CSS });

/** An element's language: its data-lang, else the page's lang (labels and number grouping). */
const langFor = (el: HTMLElement) => langOf(el.dataset.lang || doc.documentElement.lang);

export function widget(el: HTMLElement): View {
  const lang = langFor(el);
  const labels = LABELS[lang];
  const rows = rowsFor(el.dataset.show);
  // First in <head>, so the page's own rules win at equal specificity (prepending it again keeps it first).
  doc.head.prepend(style);
  el.setAttribute('role', 'region');
  el.setAttribute('aria-label', labels[0]!);
  // Not a live region: numbers that change every second would flood a screen reader; they are read on demand.
  el.setAttribute('aria-busy', 'true');
  // </p>, </dt>, </dd> and </dl> are optional in HTML: the parser closes each where the next begins.
  el.innerHTML = `<b>${labels[0]}</b><p>${labels[1]}<dl>${rows.map((i) => `<dt>${labels[i + 2]}<dd>–`).join('')}`;
  const cells = el.querySelectorAll('dd');
  return (counts) => {
    el.removeAttribute('aria-busy');
    rows.forEach((i, n) => (cells[n]!.textContent = FIGURES[i]!(counts as Counts).toLocaleString(lang)));
  };
}

/** "12 người đang đọc" / "12 reading now"; empty until the first figure arrives. */
export function readersSpan(el: HTMLElement): View {
  const lang = langFor(el);
  return (message) => (el.textContent = `${(message as ReadersMessage).readers.toLocaleString(lang)} ${LABELS[lang][9]}`);
}
