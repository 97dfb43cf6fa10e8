// A site's most-read pages of one day (today by default): which days may be asked for, the JSON
// GET /api/sites/SITE/pages/today answers, and a reader that shares a second's reads like stats.ts.
import { periodsAt } from './calendar.js';
import type { Site } from './sites.js';
import { DAY_PAGES_KEEP_DAYS, type Store } from './store/store.js';

export interface DayPagesView {
  site: string;
  day: string;
  pages: { url: string; title?: string; section?: string; pageviews: number; engagedSeconds: number }[];
}

export class DayError extends Error {}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

const isoDay = (utcMidnight: number) => new Date(utcMidnight).toISOString().slice(0, 10);

/** The days whose pages are kept: the site's today and the DAY_PAGES_KEEP_DAYS - 1 before it. */
export function keptDays(site: Site, now: number): { first: string; last: string } {
  const last = periodsAt(now, site.timeZone).day;
  // Calendar arithmetic on the date alone: UTC has no daylight saving to skip or repeat a day.
  const first = isoDay(Date.parse(`${last}T00:00:00Z`) - (DAY_PAGES_KEEP_DAYS - 1) * DAY_MS);
  return { first, last };
}

/** `day` as asked for (absent: the site's today); a DayError naming the field otherwise. */
export function parseDay(raw: unknown, site: Site, now: number): string {
  const { first, last } = keptDays(site, now);
  if (raw === undefined) return last;
  const match = typeof raw === 'string' ? DAY.exec(raw) : null;
  // Round-tripping through Date refuses days that do not exist, such as 2026-02-30.
  if (!match || isoDay(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) !== raw) {
    throw new DayError('day: expected a date YYYY-MM-DD');
  }
  if (raw < first || raw > last) throw new DayError(`day: expected a day from ${first} to ${last} (the last ${DAY_PAGES_KEEP_DAYS} days of the site's calendar)`);
  return raw;
}

export interface DayPagesReader {
  read(site: Site, day: string, limit: number): Promise<DayPagesView>;
}

/** Entries past their age are swept once a site holds this many (days x limits asked for). */
const SWEEP_AT = 64;

export function createDayPagesReader(store: Store, clock: () => number, maxAgeMs: number): DayPagesReader {
  const cache = new Map<string, Map<string, { at: number; view: Promise<DayPagesView> }>>();
  store.onChange((site) => cache.delete(site));
  return {
    read(site, day, limit) {
      const now = clock();
      const key = `${day} ${limit}`;
      let bySite = cache.get(site.id);
      const hit = bySite?.get(key);
      if (hit && now - hit.at < maxAgeMs) return hit.view;
      if (!bySite) cache.set(site.id, (bySite = new Map()));
      if (bySite.size >= SWEEP_AT) {
        for (const [old, entry] of bySite) if (now - entry.at >= maxAgeMs) bySite.delete(old);
      }
      const view = store.dayPages(site.id, day, limit).then((pages): DayPagesView => ({
        site: site.id,
        day,
        // Unknown meta is left out rather than sent as null.
        pages: pages.map(({ url, title, section, pageviews, engagedSeconds }) => ({
          url,
          ...(title === undefined ? {} : { title }),
          ...(section === undefined ? {} : { section }),
          pageviews,
          engagedSeconds,
        })),
      }));
      bySite.set(key, { at: now, view });
      view.catch(() => {
        const entries = cache.get(site.id);
        if (entries?.get(key)?.view === view) entries.delete(key);
      });
      return view;
    },
  };
}
