// One site's presence and totals in the embedded store: open page sessions, resumable ones, last
// activity, period buckets, peak and daily salts, with the same semantics as the Redis store. The pages
// read now and the day's pages are kept beside them (live-pages.ts, day-pages.ts).
import type { DayPage, HistoryPeriod, HistoryPoint, HistoryRetention, ImportedCounts, JoinResult, Kind, LiveFigures, Periods, StoreCounts } from '../store.js';
import { DayPages, type DayPagesSnapshot } from './day-pages.js';
import { SiteHistory, type BucketKeys, type HistorySnapshot } from './history.js';
import { LivePages, type Reading } from './live-pages.js';

interface Counter {
  visits: number;
  pageviews: number;
}

interface Peak {
  online: number;
  at: number | null;
}

export interface SiteSnapshot {
  totals: Counter;
  days: [string, Counter][];
  months: [string, Counter][];
  peak: Peak;
  /** Open page sessions: [psid, identity tag, page url]. */
  open: [string, string, string?][];
  closed: [string, number][];
  last: [string, number][];
  salts?: [string, Salt][];
  pages?: DayPagesSnapshot;
  history?: HistorySnapshot;
}

/** An engagement report (store.ts EngagementReport) as a record holds it: engaged time goes to the page's `day`. */
export interface Report {
  readonly engaged: boolean;
  readonly engagedMs: number;
  readonly day: string;
}

/** An open page session. */
interface OpenSession {
  readonly tag: string;
  /** The page it reads, for its day's figures; bots have none. */
  readonly url?: string | undefined;
  /** The url it counts under in the live pages (OTHER_PAGE when they were full), while it counts there. */
  readonly live?: string | undefined;
  engaged: boolean;
}

interface Salt {
  value: string;
  at: number;
}

const KEEP_DAYS = 62;
const KEEP_MONTHS = 25;
const SALT_LIFETIME_MS = 48 * 3_600_000;
export const NOTHING: JoinResult = Object.freeze({ pageview: false, visit: false });
const TAG_PREFIX: Record<Kind, string> = { guest: 'g', member: 'm', bot: 'b' };
const KIND_OF_PREFIX: Record<string, Kind> = { g: 'guest', m: 'member', b: 'bot' };

/** Identity tag: one online entry per visitor id, or per member id across devices. */
export const tagOf = (kind: Kind, identity: string) => `${TAG_PREFIX[kind]}:${identity}`;
export const kindOf = (tag: string): Kind => KIND_OF_PREFIX[tag[0]!]!;

/** Re-inserting keeps a map ordered by time, so pruning stops at the first live entry. */
function touch<K>(map: Map<K, number>, key: K, at: number): void {
  map.delete(key);
  map.set(key, at);
}

function dropOlder<K>(map: Map<K, number>, cutoff: number): void {
  for (const [key, at] of map) {
    if (at >= cutoff) break;
    map.delete(key);
  }
}

/** Period keys (YYYY-MM-DD, YYYY-MM) sort as time, so the smallest key is the oldest bucket. */
function bump(buckets: Map<string, Counter>, key: string, keep: number, visit: boolean): void {
  let counter = buckets.get(key);
  if (counter === undefined) {
    counter = { visits: 0, pageviews: 0 };
    buckets.set(key, counter);
    if (buckets.size > keep) buckets.delete([...buckets.keys()].reduce((a, b) => (b < a ? b : a)));
  }
  counter.pageviews++;
  if (visit) counter.visits++;
}

export class SiteState {
  readonly open = new Map<string, OpenSession>();
  /** Open page sessions per identity tag; only tags with at least one. */
  private readonly tags = new Map<string, number>();
  /** Open member page sessions: psid -> the visitor id the page sent. */
  private readonly memberVisitors = new Map<string, string>();
  /** Open member page sessions per visitor id: that visitor's guest page sessions count only as the member. */
  private readonly membersOf = new Map<string, number>();
  private readonly online = { guest: 0, member: 0, bot: 0 };
  /** Closed page sessions that may resume: psid -> leave time, oldest first. */
  readonly closed = new Map<string, number>();
  /** Last activity per identity tag, oldest first. */
  readonly last = new Map<string, number>();
  private totals: Counter = { visits: 0, pageviews: 0 };
  readonly days = new Map<string, Counter>();
  readonly months = new Map<string, Counter>();
  private peak: Peak = { online: 0, at: null };
  /** Cookieless mode's daily salts by day, deleted 48 hours after they were made. */
  private readonly salts = new Map<string, Salt>();
  private readonly live: LivePages;
  private pages = new DayPages();
  private history: SiteHistory;

  constructor(
    private readonly windowMs: number,
    maxLivePages: number,
    retention: HistoryRetention,
  ) {
    this.live = new LivePages(maxLivePages);
    this.history = new SiteHistory(retention);
  }

  static from(snapshot: SiteSnapshot, windowMs: number, maxLivePages: number, retention: HistoryRetention): SiteState {
    const site = new SiteState(windowMs, maxLivePages, retention);
    if (snapshot.history !== undefined) site.history = SiteHistory.from(snapshot.history, retention);
    site.totals = snapshot.totals;
    site.peak = snapshot.peak;
    for (const [key, counter] of snapshot.days) site.days.set(key, counter);
    for (const [key, counter] of snapshot.months) site.months.set(key, counter);
    for (const [psid, at] of snapshot.closed) site.closed.set(psid, at);
    for (const [tag, at] of snapshot.last) site.last.set(tag, at);
    for (const [day, salt] of snapshot.salts ?? []) site.salts.set(day, salt);
    if (snapshot.pages !== undefined) site.pages = DayPages.from(snapshot.pages);
    // Only the page url: a restore ends these sessions before anyone reads the live pages, but records
    // replayed before that may still report their engaged time.
    for (const [psid, tag, url] of snapshot.open) {
      site.open.set(psid, { tag, url, engaged: false });
      site.addTag(tag, 1);
    }
    return site;
  }

  /** Undefined when the page session is already open here: nothing changes. `reading`: the page it reads
   * (undefined for a join journaled before pages were kept); `visitor`: a member page's visitor id;
   * `keys`: the history buckets of `now`. */
  join(psid: string, tag: string, now: number, periods: Pick<Periods, 'day' | 'month'>, reading: Reading | undefined, visitor: string | undefined, keys: BucketKeys): JoinResult | undefined {
    if (this.open.has(psid)) return undefined;
    this.history.observe(keys, this.online, now);
    const wasOnline = this.tags.has(tag);
    if (kindOf(tag) === 'bot' || reading === undefined) {
      this.open.set(psid, { tag, engaged: false });
    } else {
      const live = this.live.admit(reading.page.url);
      this.open.set(psid, { tag, url: reading.page.url, live, engaged: reading.engaged });
      this.live.join(live, tag, reading);
    }
    this.addTag(tag, 1);
    if (kindOf(tag) === 'member' && visitor !== undefined) {
      this.memberVisitors.set(psid, visitor);
      this.addMemberVisitor(visitor, 1);
    }
    this.history.observe(keys, this.online, now);
    if (kindOf(tag) === 'bot') return NOTHING;
    const leftAt = this.closed.get(psid);
    this.closed.delete(psid);
    const lastAt = this.last.get(tag);
    touch(this.last, tag, now);
    this.updatePeak(now);
    this.prune(now);
    const cutoff = now - this.windowMs;
    if (leftAt !== undefined && leftAt >= cutoff) return NOTHING; // a reconnect of the same page
    const visit = !wasOnline && (lastAt === undefined || lastAt < cutoff);
    this.totals.pageviews++;
    if (visit) this.totals.visits++;
    bump(this.days, periods.day, KEEP_DAYS, visit);
    bump(this.months, periods.month, KEEP_MONTHS, visit);
    this.history.count(keys, visit);
    if (reading !== undefined) this.pages.pageview(periods.day, reading.page);
    return { pageview: true, visit };
  }

  /** The session's identity tag, or undefined when it is not open here. `report`: its last engaged time;
   * `keys`: the history buckets of `now` (those of the latest change when unknown). */
  leave(psid: string, now: number, report?: Report, keys = this.history.lastKeys): string | undefined {
    const session = this.open.get(psid);
    if (session === undefined) return undefined;
    const { tag } = session;
    if (keys !== undefined) this.history.observe(keys, this.online, now);
    this.open.delete(psid);
    const remaining = this.addTag(tag, -1);
    if (kindOf(tag) === 'bot') {
      if (keys !== undefined) this.history.observe(keys, this.online, now);
      return tag;
    }
    if (session.live !== undefined) this.live.leave(session.live, tag, session.engaged);
    if (report !== undefined) this.addEngaged(session, report);
    const visitor = this.memberVisitors.get(psid);
    if (visitor !== undefined) {
      this.memberVisitors.delete(psid);
      // The visitor's guest tab may count again: the total can grow on a leave.
      this.addMemberVisitor(visitor, -1);
      this.updatePeak(now);
    }
    if (keys !== undefined) this.history.observe(keys, this.online, now);
    touch(this.closed, psid, now);
    if (remaining === 0) touch(this.last, tag, now);
    this.prune(now);
    return tag;
  }

  /** Whether anything changed: an unknown or bot session is ignored. */
  engage(psid: string, report: Report): boolean {
    const session = this.open.get(psid);
    if (session === undefined || kindOf(session.tag) === 'bot') return false;
    const changed = session.engaged !== report.engaged;
    if (changed) {
      session.engaged = report.engaged;
      if (session.live !== undefined) this.live.engage(session.live, session.tag, report.engaged);
    }
    return this.addEngaged(session, report) || changed;
  }

  /** Whether an open page session is engaged; undefined when it is not open here. */
  engagedOf(psid: string): boolean | undefined {
    return this.open.get(psid)?.engaged;
  }

  liveFigures(limit: number): LiveFigures {
    return this.live.live(limit);
  }

  readers(urls: readonly string[]): number[] {
    return this.live.readers(urls);
  }

  dayPages(day: string, limit: number): DayPage[] {
    return this.pages.list(day, limit);
  }

  pageSizes(): { livePages: number; referrers: number; dayPages: number } {
    const { pages, referrers } = this.live.sizes();
    return { livePages: pages, referrers, dayPages: this.pages.size() };
  }

  /** The day's salt, after deleting every salt older than 48 hours. */
  salt(day: string, now: number): string | undefined {
    this.dropExpiredSalts(now);
    return this.salts.get(day)?.value;
  }

  /** When the oldest salt turns 48 hours old (and is deleted), if there is one. */
  saltExpiry(): number | undefined {
    let first: number | undefined;
    for (const salt of this.salts.values()) if (first === undefined || salt.at < first) first = salt.at;
    return first === undefined ? undefined : first + SALT_LIFETIME_MS + 1;
  }

  /** Deletes what the privacy promises say is gone by now, also on a site nobody joined lately. */
  forget(now: number): void {
    this.prune(now);
    this.dropExpiredSalts(now);
  }

  /** Keeps the first salt made for a day: returns whether this one was stored. */
  addSalt(day: string, salt: Salt): boolean {
    if (this.salts.has(day)) return false;
    this.salts.set(day, salt);
    return true;
  }

  importHistory(period: 'day' | 'month', rows: readonly ImportedCounts[]): void {
    this.history.import(period, rows);
  }

  historyPoints(period: HistoryPeriod, keys: readonly string[], now: number, current: Periods | undefined): HistoryPoint[] {
    return this.history.points(period, keys, now, current);
  }

  historySizes(): { minutes: number; hours: number } {
    return this.history.sizes();
  }

  setTotals(visits: number | undefined, pageviews: number | undefined): void {
    this.totals = { visits: visits ?? this.totals.visits, pageviews: pageviews ?? this.totals.pageviews };
  }

  read(periods: Periods): StoreCounts {
    const day = this.days.get(periods.day);
    const month = this.months.get(periods.month);
    const yesterday = this.days.get(periods.yesterday);
    return {
      online: { ...this.online },
      visits: { total: this.totals.visits, today: day?.visits ?? 0, month: month?.visits ?? 0, yesterday: yesterday?.visits ?? 0 },
      pageviews: { total: this.totals.pageviews, today: day?.pageviews ?? 0, month: month?.pageviews ?? 0, yesterday: yesterday?.pageviews ?? 0 },
      peak: { ...this.peak },
    };
  }

  snapshot(): SiteSnapshot {
    return {
      totals: this.totals,
      days: [...this.days],
      months: [...this.months],
      peak: this.peak,
      // Bots hold no durable state; a restart ends every session anyway.
      open: [...this.open].flatMap(([psid, { tag, url }]): [string, string, string?][] => (kindOf(tag) === 'bot' ? [] : [url === undefined ? [psid, tag] : [psid, tag, url]])),
      closed: [...this.closed],
      last: [...this.last],
      salts: [...this.salts],
      pages: this.pages.snapshot(),
      history: this.history.snapshot(),
    };
  }

  private addEngaged(session: OpenSession, report: Report): boolean {
    if (session.url === undefined || report.engagedMs === 0) return false;
    this.pages.addEngaged(report.day, session.url, report.engagedMs);
    return true;
  }

  /** Returns the tag's open sessions after the change; online by kind moves when it crosses zero. */
  private addTag(tag: string, delta: 1 | -1): number {
    const count = (this.tags.get(tag) ?? 0) + delta;
    if (count === 0) this.tags.delete(tag);
    else this.tags.set(tag, count);
    const kind = kindOf(tag);
    if ((count === 0 || (count === 1 && delta === 1)) && !(kind === 'guest' && this.membersOf.has(tag.slice(2)))) this.online[kind] += delta;
    return count;
  }

  /** A visitor's guest page sessions stop counting with its first open member page session and count again after its last. */
  private addMemberVisitor(visitor: string, delta: 1 | -1): void {
    const count = (this.membersOf.get(visitor) ?? 0) + delta;
    if (count === 0) this.membersOf.delete(visitor);
    else this.membersOf.set(visitor, count);
    if ((count === 0 || (count === 1 && delta === 1)) && this.tags.has(tagOf('guest', visitor))) this.online.guest -= delta;
  }

  private updatePeak(now: number): void {
    const online = this.online.guest + this.online.member;
    if (online > this.peak.online) this.peak = { online, at: now };
  }

  private dropExpiredSalts(now: number): void {
    for (const [key, salt] of this.salts) if (now - salt.at > SALT_LIFETIME_MS) this.salts.delete(key);
  }

  /** Amortised: each entry is removed once, and the scan stops at the first one inside the window. */
  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    dropOlder(this.closed, cutoff);
    dropOlder(this.last, cutoff);
    this.history.prune(now);
  }
}
