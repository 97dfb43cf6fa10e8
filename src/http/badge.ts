// The footer block as an SVG image, for pages that cannot run scripts (AMP pages, forums, e-mails).
// Labels and figures come from client/labels.ts, so the badge and the widget always agree.
import { FIGURES, LABELS, rowsFor, type Lang } from '../../client/labels.js';
import type { Counts } from '../protocol.js';

export interface BadgeOptions {
  lang: Lang;
  /** Optional rows, as in the widget's data-show: "today,month". */
  show?: string | undefined;
}

const formats = new Map<Lang, Intl.NumberFormat>();

/** Grouped for the language: 52.015.394 in vi, 52,015,394 in en. */
export function formatNumber(value: number, lang: Lang): string {
  let format = formats.get(lang);
  if (!format) formats.set(lang, (format = new Intl.NumberFormat(lang)));
  return format.format(value);
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const WIDTH = 260;
const PAD = 12;
const LINE = 20;
const FONT = "font-family='system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif' font-size='13'";

export function renderBadge(counts: Counts, { lang, show }: BadgeOptions): string {
  const labels = LABELS[lang];
  const rows = rowsFor(show).map((i) => ({ label: labels[i + 2]!, value: formatNumber(FIGURES[i]!(counts), lang), indent: i < 3 }));
  const summary = `${labels[0]}: ${rows.map((row) => `${row.label} ${row.value}`).join(', ')}`;
  const height = PAD * 2 + LINE * (rows.length + 2);
  const baseline = (line: number) => PAD + LINE * line + 14;
  const lines = [
    `<text x='${PAD}' y='${baseline(0)}' font-weight='bold'>${escapeXml(labels[0]!)}</text>`,
    `<text x='${PAD}' y='${baseline(1)}'>${escapeXml(labels[1]!)}</text>`,
    ...rows.map(
      (row, n) =>
        `<text x='${row.indent ? PAD * 2 : PAD}' y='${baseline(n + 2)}'>${escapeXml(row.label)}</text>` +
        `<text x='${WIDTH - PAD}' y='${baseline(n + 2)}' text-anchor='end' font-weight='bold'>${escapeXml(row.value)}</text>`,
    ),
  ];
  return (
    `<svg xmlns='http://www.w3.org/2000/svg' width='${WIDTH}' height='${height}' viewBox='0 0 ${WIDTH} ${height}' role='img' aria-label='${escapeXml(summary)}'>` +
    `<title>${escapeXml(summary)}</title>` +
    `<rect x='0.5' y='0.5' width='${WIDTH - 1}' height='${height - 1}' rx='4' fill='#fff' stroke='#d0d0d0'/>` +
    `<g ${FONT} fill='#222'>${lines.join('')}</g></svg>`
  );
}
