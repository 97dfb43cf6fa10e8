// A site's past for the dashboard's curve, written into a data directory by the real embedded store before
// the service starts on it. The history import (PUT /api/sites/SITE/history) only sets days' and months'
// visits and pageviews; the curve reads the minutes' peak online (GET .../history?period=minute), which only
// the store's own joins and leaves record, so this opens the store with its clock in the past and has
// readers come and go then, as the service itself would have.
import { periodsAt } from '../../src/calendar.js';
import { parseInstant } from '../../src/history-query.js';
import { openMemoryStore } from '../../src/store/memory/memory-store.js';
import type { Source } from '../../src/store/store.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Readers change every quarter of an hour; a slot's figure holds through it. */
export const SLOT_MINUTES = 15;

/** A news site's day: a few readers at night, a morning peak, a smaller one at lunch and one in the evening. */
export function readersAt(minuteOfDay: number, scale = 1): number {
  const hour = minuteOfDay / 60;
  const bump = (centre: number, width: number) => Math.exp(-(((hour - centre) / width) ** 2));
  return Math.round(scale * (4 + 30 * bump(9.5, 2) + 12 * bump(12.5, 1.2) + 22 * bump(20.5, 1.8)));
}

/**
 * Minute by minute, what the history records for a day seeded by `seedDay`: a slot's figure, and in
 * the minute it changed, the higher of the old and the new one (the store records the old figure before
 * a decrease and the new one after an increase into the current minute).
 */
export function seededMinute(minuteOfDay: number, scale = 1): number {
  const slotStart = minuteOfDay - (minuteOfDay % SLOT_MINUTES);
  const now = readersAt(slotStart, scale);
  if (minuteOfDay !== slotStart || slotStart === 0) return now;
  return Math.max(now, readersAt(slotStart - SLOT_MINUTES, scale));
}

/** Each local hour's peak of a day seeded at this scale: what the dashboard's hour table must show. */
export const seededHourPeaks = (scale = 1): number[] =>
  Array.from({ length: 24 }, (_, hour) => Math.max(...Array.from({ length: 60 }, (_, minute) => seededMinute(hour * 60 + minute, scale))));

const PAGES = [
  { url: 'http://127.0.0.1/thoi-su/bao-so-9', title: 'Bão số 9 đổ bộ: các tỉnh ven biển sẵn sàng ứng phó' },
  { url: 'http://127.0.0.1/kinh-te/ty-gia', title: 'Tỷ giá USD hôm nay giảm nhẹ' },
  { url: 'http://127.0.0.1/the-thao/v-league', title: 'V-League: ngược dòng ở phút bù giờ' },
  { url: 'http://127.0.0.1/giai-tri/lien-hoan-phim', title: 'Liên hoan phim quốc tế khai mạc' },
];
const SOURCES: readonly Source[] = ['search', 'social', 'direct', 'internal'];

export interface SeededDay {
  /** The site's local date, YYYY-MM-DD. */
  day: string;
  /** Readers are a multiple of readersAt: each day of the seed has its own level. */
  scale: number;
  /** Minutes of the day seeded, from midnight (a day still running stops before now). */
  minutes: number;
}

/**
 * Writes these local days of `site` (in `timeZone`) into `dataDir`: from the day's midnight, every
 * SLOT_MINUTES the readers online become readersAt(slot), a third of them replaced by new readers (more
 * pageviews and visits, the same figure online); everyone leaves at the end of the seeded minutes.
 */
export async function seedDays(dataDir: string, site: string, timeZone: string, days: readonly SeededDay[]): Promise<void> {
  let now = 0;
  const store = await openMemoryStore({ dataDir, visitWindowMs: 30 * MINUTE_MS, clock: () => now, periodsAt: (_site, at) => periodsAt(at, timeZone) });
  let next = 0;
  try {
    for (const { day, scale, minutes } of days) {
      const midnight = parseInstant('day', day, timeZone);
      const open: string[] = [];
      const join = async () => {
        const id = `seed-${next++}`;
        const page = PAGES[next % PAGES.length]!;
        await store.join({ site, psid: id, identity: id, visitor: id, kind: 'guest', now, periods: periodsAt(now, timeZone), page, source: SOURCES[next % SOURCES.length]!, engaged: next % 3 !== 0 });
        open.push(id);
      };
      const leave = async () => store.leave(site, open.shift()!, now);
      for (let slot = 0; slot < minutes; slot += SLOT_MINUTES) {
        now = midnight + slot * MINUTE_MS;
        const target = readersAt(slot, scale);
        // Leave first, then join: the figure never goes above the target in between.
        const replaced = Math.floor(Math.min(open.length, target) / 3);
        for (let i = 0; i < replaced; i++) await leave();
        while (open.length > target) await leave();
        while (open.length < target) await join();
      }
      now = midnight + minutes * MINUTE_MS - 1_000;
      while (open.length > 0) await leave();
    }
  } finally {
    await store.close();
  }
}

/** Today, yesterday and the same weekday of last week of a site, local dates. */
export function localDays(now: number, timeZone: string): { today: string; yesterday: string; lastWeek: string } {
  const today = periodsAt(now, timeZone).day;
  const shift = (days: number) => new Date(Date.parse(`${today}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
  return { today, yesterday: shift(-1), lastWeek: shift(-7) };
}
