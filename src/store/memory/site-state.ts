// One site's presence and totals in the embedded store: open page sessions, resumable ones, last
// activity, period buckets, peak and daily salts, with the same semantics as the Redis store.
import type { JoinResult, Kind, Periods, StoreCounts } from '../store.js';

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
  open: [string, string][];
  closed: [string, number][];
  last: [string, number][];
  salts?: [string, Salt][];
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
  /** Open page sessions: psid -> identity tag. */
  readonly open = new Map<string, string>();
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

  constructor(private readonly windowMs: number) {}

  static from(snapshot: SiteSnapshot, windowMs: number): SiteState {
    const site = new SiteState(windowMs);
    site.totals = snapshot.totals;
    site.peak = snapshot.peak;
    for (const [key, counter] of snapshot.days) site.days.set(key, counter);
    for (const [key, counter] of snapshot.months) site.months.set(key, counter);
    for (const [psid, at] of snapshot.closed) site.closed.set(psid, at);
    for (const [tag, at] of snapshot.last) site.last.set(tag, at);
    for (const [day, salt] of snapshot.salts ?? []) site.salts.set(day, salt);
    for (const [psid, tag] of snapshot.open) {
      site.open.set(psid, tag);
      site.addTag(tag, 1);
    }
    return site;
  }

  /** Undefined when the page session is already open here: nothing changes. `visitor`: a member page's visitor id. */
  join(psid: string, tag: string, now: number, periods: Periods, visitor?: string): JoinResult | undefined {
    if (this.open.has(psid)) return undefined;
    const wasOnline = this.tags.has(tag);
    this.open.set(psid, tag);
    this.addTag(tag, 1);
    if (kindOf(tag) === 'bot') return NOTHING;
    if (kindOf(tag) === 'member' && visitor !== undefined) {
      this.memberVisitors.set(psid, visitor);
      this.addMemberVisitor(visitor, 1);
    }
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
    return { pageview: true, visit };
  }

  /** The session's identity tag, or undefined when it is not open here. */
  leave(psid: string, now: number): string | undefined {
    const tag = this.open.get(psid);
    if (tag === undefined) return undefined;
    this.open.delete(psid);
    const remaining = this.addTag(tag, -1);
    if (kindOf(tag) === 'bot') return tag;
    const visitor = this.memberVisitors.get(psid);
    if (visitor !== undefined) {
      this.memberVisitors.delete(psid);
      // The visitor's guest tab may count again: the total can grow on a leave.
      this.addMemberVisitor(visitor, -1);
      this.updatePeak(now);
    }
    touch(this.closed, psid, now);
    if (remaining === 0) touch(this.last, tag, now);
    this.prune(now);
    return tag;
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

  setTotals(visits: number | undefined, pageviews: number | undefined): void {
    this.totals = { visits: visits ?? this.totals.visits, pageviews: pageviews ?? this.totals.pageviews };
  }

  read(periods: Periods): StoreCounts {
    const day = this.days.get(periods.day);
    const month = this.months.get(periods.month);
    return {
      online: { ...this.online },
      visits: { total: this.totals.visits, today: day?.visits ?? 0, month: month?.visits ?? 0 },
      pageviews: { total: this.totals.pageviews, today: day?.pageviews ?? 0, month: month?.pageviews ?? 0 },
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
      open: [...this.open].filter(([, tag]) => kindOf(tag) !== 'bot'),
      closed: [...this.closed],
      last: [...this.last],
      salts: [...this.salts],
    };
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
  }
}
