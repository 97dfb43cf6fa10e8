// Every site's state in the embedded store, and the journal records that change it: replaying the
// records through the same code rebuilds the same state.
import type { DayPage, HistoryPeriod, HistoryPoint, HistoryRetention, JoinResult, LiveFigures, Periods, Source, StoreCounts } from '../store.js';
import type { BucketKeys } from './history.js';
import type { Reading } from './live-pages.js';
import { SiteState, type Report, type SiteSnapshot } from './site-state.js';

/** Journal records: enough to replay a mutation exactly (time and periods included). */
/** `v`: a member page's visitor id (a guest's is its identity). The page: `u` url, `ti`/`se`/`au` its title,
 * section and author, `c` its source (absent: direct), `h` the referring host, `i: 1` idle at the start. */
export type JoinRecord = {
  o: 'j';
  s: string;
  p: string;
  t: string;
  n: number;
  d: string;
  m: string;
  /** History minute and hour keys; absent in joins journaled before history was kept. */
  mi?: string;
  hr?: string;
  v?: string;
  /** Absent in joins journaled before pages were kept: they read no page. */
  u?: string;
  ti?: string;
  se?: string;
  au?: string;
  c?: Source;
  h?: string;
  i?: 1;
};
/** `ms`: engaged time reported, added to the page's day `d`; `k`: the history buckets of `n` (absent: those
 * of the site's latest change). */
export type LeaveRecord = { o: 'l'; s: string; p: string; n: number; ms?: number; d?: string; k?: BucketKeys };
/** An engagement change: `i: 1` idle now (absent: engaged), `ms` engaged time added to the page's day `d`. */
export type EngageRecord = { o: 'e'; s: string; p: string; i?: 1; ms?: number; d?: string };
export type TotalsRecord = { o: 't'; s: string; v?: number | undefined; pv?: number | undefined };
export type SaltRecord = { o: 's'; s: string; d: string; v: string; n: number };
/** Imported counts: `pd` day or month, `r` rows [key, visits, pageviews]. */
export type ImportRecord = { o: 'h'; s: string; pd: 'day' | 'month'; r: [string, number, number][] };
export type StoreRecord = JoinRecord | LeaveRecord | EngageRecord | TotalsRecord | SaltRecord | ImportRecord;

function readingOf(record: JoinRecord): Reading | undefined {
  if (record.u === undefined) return undefined;
  const page = { url: record.u, title: record.ti, section: record.se, author: record.au };
  return { page, source: record.c ?? 'direct', referrerHost: record.h, engaged: record.i !== 1 };
}

/** The report a leave or engage record carries (a leave's `engaged` is never read). */
function reportOf(record: LeaveRecord | EngageRecord): Report {
  return { engaged: record.o === 'e' && record.i !== 1, engagedMs: record.ms ?? 0, day: record.d ?? '' };
}

export interface StateSnapshot {
  lastAt: number;
  sites: [string, SiteSnapshot][];
}

export interface EntryCounts {
  open: number;
  closed: number;
  last: number;
  days: number;
  months: number;
  minutes: number;
  hours: number;
  livePages: number;
  referrers: number;
  dayPages: number;
}

/** Every site's state; a deterministic function of the records applied to it. */
export class MemoryState {
  private readonly sites = new Map<string, SiteState>();
  private readonly empty: SiteState;
  /** Time of the latest join or leave: a restart ends the sessions still open at this time. */
  private lastAt = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxLivePages: number,
    private readonly retention: HistoryRetention,
  ) {
    this.empty = new SiteState(windowMs, maxLivePages, retention);
  }

  join(record: JoinRecord): JoinResult | undefined {
    this.lastAt = Math.max(this.lastAt, record.n);
    const keys: BucketKeys = [record.mi, record.hr, record.d, record.m];
    return this.site(record.s).join(record.p, record.t, record.n, { day: record.d, month: record.m }, readingOf(record), record.v, keys);
  }

  leave(record: LeaveRecord): string | undefined {
    const site = this.sites.get(record.s);
    if (site === undefined) return undefined;
    this.lastAt = Math.max(this.lastAt, record.n);
    return site.leave(record.p, record.n, record.ms === undefined ? undefined : reportOf(record), record.k);
  }

  /** Whether anything changed. */
  engage(record: EngageRecord): boolean {
    return this.sites.get(record.s)?.engage(record.p, reportOf(record)) ?? false;
  }

  /** Whether an open page session is engaged; undefined when it is not open here. */
  engagedOf(site: string, psid: string): boolean | undefined {
    return this.sites.get(site)?.engagedOf(psid);
  }

  live(site: string, limit: number): LiveFigures {
    return (this.sites.get(site) ?? this.empty).liveFigures(limit);
  }

  readers(site: string, urls: readonly string[]): number[] {
    return (this.sites.get(site) ?? this.empty).readers(urls);
  }

  dayPages(site: string, day: string, limit: number): DayPage[] {
    return (this.sites.get(site) ?? this.empty).dayPages(day, limit);
  }

  importHistory(record: ImportRecord): void {
    this.site(record.s).importHistory(record.pd, record.r.map(([key, visits, pageviews]) => ({ key, visits, pageviews })));
  }

  history(site: string, period: HistoryPeriod, keys: readonly string[], now: number, current: Periods | undefined): HistoryPoint[] {
    return (this.sites.get(site) ?? this.empty).historyPoints(period, keys, now, current);
  }

  setTotals(record: TotalsRecord): void {
    this.site(record.s).setTotals(record.v, record.pv);
  }

  read(site: string, periods: Periods): StoreCounts {
    return (this.sites.get(site) ?? this.empty).read(periods);
  }

  salt(site: string, day: string, now: number): string | undefined {
    return this.sites.get(site)?.salt(day, now);
  }

  addSalt(record: SaltRecord): boolean {
    return this.site(record.s).addSalt(record.d, { value: record.v, at: record.n });
  }

  /** `keysOf`: a site's history buckets at `now` (those of its latest change when not given). */
  leaveAll(now: number, keysOf?: (site: string) => BucketKeys | undefined): void {
    for (const [id, site] of this.sites) {
      if (site.open.size === 0) continue;
      const keys = keysOf?.(id);
      for (const psid of site.open.keys()) site.leave(psid, now, undefined, keys);
    }
  }

  /** The identity tag of an open page session, or undefined. */
  openTag(site: string, psid: string): string | undefined {
    return this.sites.get(site)?.open.get(psid)?.tag;
  }

  siteIds(): string[] {
    return [...this.sites.keys()];
  }

  /** When the next salt is due to be deleted, if any. */
  saltExpiry(): number | undefined {
    let first: number | undefined;
    for (const site of this.sites.values()) {
      const at = site.saltExpiry();
      if (at !== undefined && (first === undefined || at < first)) first = at;
    }
    return first;
  }

  /** Forgets what has expired by `now` first, so a snapshot never writes it to disk again. */
  snapshot(now: number): StateSnapshot {
    for (const site of this.sites.values()) site.forget(now);
    return { lastAt: this.lastAt, sites: [...this.sites].map(([id, site]) => [id, site.snapshot()]) };
  }

  restore(snapshot: StateSnapshot | undefined, records: StoreRecord[]): void {
    if (snapshot !== undefined) {
      this.lastAt = snapshot.lastAt;
      for (const [id, site] of snapshot.sites) this.sites.set(id, SiteState.from(site, this.windowMs, this.maxLivePages, this.retention));
    }
    for (const record of records) {
      if (record.o === 'j') this.join(record);
      else if (record.o === 'l') this.leave(record);
      else if (record.o === 'e') this.engage(record);
      else if (record.o === 's') this.addSalt(record);
      else if (record.o === 'h') this.importHistory(record);
      else this.setTotals(record);
    }
    // Open sessions died with the previous process: end them (and their page readership) so their pages can resume.
    this.leaveAll(this.lastAt);
  }

  entryCounts(): EntryCounts {
    const counts: EntryCounts = { open: 0, closed: 0, last: 0, days: 0, months: 0, minutes: 0, hours: 0, livePages: 0, referrers: 0, dayPages: 0 };
    for (const site of this.sites.values()) {
      counts.open += site.open.size;
      counts.closed += site.closed.size;
      counts.last += site.last.size;
      counts.days += site.days.size;
      counts.months += site.months.size;
      const history = site.historySizes();
      counts.minutes += history.minutes;
      counts.hours += history.hours;
      const pages = site.pageSizes();
      counts.livePages += pages.livePages;
      counts.referrers += pages.referrers;
      counts.dayPages += pages.dayPages;
    }
    return counts;
  }

  private site(id: string): SiteState {
    let site = this.sites.get(id);
    if (site === undefined) {
      site = new SiteState(this.windowMs, this.maxLivePages, this.retention);
      this.sites.set(id, site);
    }
    return site;
  }
}
