// Labels and figures of the footer block, shared by the widget (bundled into t.js) and the SVG badge.
import type { Counts } from '../src/protocol.js';

export type Lang = 'vi' | 'en';

/** Title, heading of the online rows, one label per figure below, then the readers span's "N … reading now". */
// One string a language, split once: fewer bytes in t.js than an array literal.
export const LABELS: Record<Lang, readonly string[]> = {
  vi: 'Thống kê truy cập|Người trực tuyến|Khách|Thành viên|Tổng|Tổng lượt truy cập|Hôm nay|Hôm qua|Tháng này|người đang đọc'.split('|'),
  en: 'Visitor statistics|Online now|Guests|Members|Total|Total visits|Today|Yesterday|This month|reading now'.split('|'),
};

/** In display order: three online rows (indented under the heading), lifetime visits, then the optional rows. */
export const FIGURES: readonly ((c: Counts) => number)[] = [
  (c) => c.online.guests,
  (c) => c.online.members,
  (c) => c.online.total,
  (c) => c.visits.total,
  (c) => c.visits.today,
  (c) => c.visits.yesterday,
  (c) => c.visits.month,
];

/** Indexes into FIGURES: the four rows always shown plus the ones a "today,yesterday,month"-style list asks for. */
export function rowsFor(show = ''): number[] {
  return [0, 1, 2, 3, 4, 5, 6].filter((i) => i < 4 || show.includes(['today', 'yesterday', 'month'][i - 4]!));
}

/** "vi", "vi-VN" → vi; anything else → en. */
export const langOf = (tag = ''): Lang => (/^vi\b/i.test(tag) ? 'vi' : 'en');
