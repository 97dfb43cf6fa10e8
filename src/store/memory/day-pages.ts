// One site's most-read pages per day in the embedded store: pageviews and engaged time per page url,
// kept DAY_PAGES_KEEP_DAYS days and trimmed to the top DAY_PAGES_MAX pages of each day.
import { OTHER_PAGE } from '../../audience/page-url.js';
import { DAY_PAGES_KEEP_DAYS, DAY_PAGES_MAX, type DayPage, type PageRef } from '../store.js';

interface DayEntry {
  pageviews: number;
  engagedMs: number;
  title?: string | undefined;
  section?: string | undefined;
}

/** A day's pages as the snapshot holds them: [url, pageviews, engagedMs, title, section], null when unknown. */
type EntryTuple = [string, number, number, string | null, string | null];
export type DayPagesSnapshot = [string, EntryTuple[]][];

/** A day may outgrow the max by this much before it is trimmed, so trimming (a sort) stays rare. */
const TRIM_AT = Math.ceil(DAY_PAGES_MAX * 1.1);

function byPageviews([urlA, a]: [string, DayEntry], [urlB, b]: [string, DayEntry]): number {
  return b.pageviews - a.pageviews || b.engagedMs - a.engagedMs || (urlA < urlB ? -1 : urlA > urlB ? 1 : 0);
}

export class DayPages {
  private readonly days = new Map<string, Map<string, DayEntry>>();

  static from(snapshot: DayPagesSnapshot): DayPages {
    const pages = new DayPages();
    for (const [day, entries] of snapshot) {
      const urls = new Map<string, DayEntry>();
      for (const [url, pageviews, engagedMs, title, section] of entries) {
        urls.set(url, { pageviews, engagedMs, ...(title === null ? {} : { title }), ...(section === null ? {} : { section }) });
      }
      pages.days.set(day, urls);
    }
    return pages;
  }

  pageview(day: string, page: PageRef): void {
    const entry = this.entry(day, page.url);
    entry.pageviews++;
    // Fields the latest pageview lacks keep what an earlier one said; OTHER_PAGE has no one name.
    if (page.url !== OTHER_PAGE) {
      if (page.title !== undefined) entry.title = page.title;
      if (page.section !== undefined) entry.section = page.section;
    }
    this.trim(day);
  }

  addEngaged(day: string, url: string, engagedMs: number): void {
    this.entry(day, url).engagedMs += engagedMs;
    this.trim(day);
  }

  list(day: string, limit: number): DayPage[] {
    const urls = this.days.get(day);
    if (urls === undefined) return [];
    return [...urls]
      .sort(byPageviews)
      .slice(0, limit)
      .map(([url, { pageviews, engagedMs, title, section }]) => ({
        url,
        ...(title === undefined ? {} : { title }),
        ...(section === undefined ? {} : { section }),
        pageviews,
        engagedSeconds: Math.floor(engagedMs / 1000),
      }));
  }

  /** Page entries held over every day, to watch that memory stays bounded. */
  size(): number {
    let size = 0;
    for (const urls of this.days.values()) size += urls.size;
    return size;
  }

  snapshot(): DayPagesSnapshot {
    return [...this.days].map(([day, urls]) => [
      day,
      [...urls].map(([url, { pageviews, engagedMs, title, section }]): EntryTuple => [url, pageviews, engagedMs, title ?? null, section ?? null]),
    ]);
  }

  private entry(day: string, url: string): DayEntry {
    let urls = this.days.get(day);
    if (urls === undefined) {
      urls = new Map();
      this.days.set(day, urls);
      // Day keys (YYYY-MM-DD) sort as time, so the smallest is the oldest day.
      if (this.days.size > DAY_PAGES_KEEP_DAYS) this.days.delete([...this.days.keys()].reduce((a, b) => (b < a ? b : a)));
    }
    let entry = urls.get(url);
    if (entry === undefined) {
      entry = { pageviews: 0, engagedMs: 0 };
      urls.set(url, entry);
    }
    return entry;
  }

  /** After the change is counted, so a new page is ranked with its first pageview. */
  private trim(day: string): void {
    const urls = this.days.get(day);
    if (urls !== undefined && urls.size > TRIM_AT) this.days.set(day, new Map([...urls].sort(byPageviews).slice(0, DAY_PAGES_MAX)));
  }
}
