// The embedded store (default without REDIS_URL, one instance): every site's presence and totals in
// memory. Each mutation is a record that is applied here and then journaled, so a restart replays the
// same records through the same code; semantics match the Redis store (see store.ts and its contract).
import { randomBytes } from 'node:crypto';
import type { JoinInput, JoinResult, Kind, Periods, StartingTotals, Store, StoreCounts, StoreLogger, StoreOptions } from '../store.js';
import { ChangeListeners } from '../change-listeners.js';
import { openJournal, type Journal } from './journal.js';

export interface MemoryStoreOptions extends StoreOptions {
  /** Holds the lock, snapshot and journal; created when missing. */
  readonly dataDir: string;
  readonly logger?: StoreLogger | undefined;
  /** Journal size that triggers a snapshot. */
  readonly journalLimitBytes?: number | undefined;
}

/** Journal records: enough to replay a mutation exactly (time and periods included). */
type JoinRecord = { o: 'j'; s: string; p: string; t: string; n: number; d: string; m: string };
type LeaveRecord = { o: 'l'; s: string; p: string; n: number };
type TotalsRecord = { o: 't'; s: string; v?: number | undefined; pv?: number | undefined };
type SaltRecord = { o: 's'; s: string; d: string; v: string; n: number };
export type StoreRecord = JoinRecord | LeaveRecord | TotalsRecord | SaltRecord;

interface Counter {
  visits: number;
  pageviews: number;
}

interface Peak {
  online: number;
  at: number | null;
}

interface SiteSnapshot {
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

interface StateSnapshot {
  lastAt: number;
  sites: [string, SiteSnapshot][];
}

export interface EntryCounts {
  open: number;
  closed: number;
  last: number;
  days: number;
  months: number;
}

const DEFAULT_JOURNAL_LIMIT = 8 * 1024 * 1024;
const KEEP_DAYS = 62;
const KEEP_MONTHS = 25;
const SALT_LIFETIME_MS = 48 * 3_600_000;
const NOTHING: JoinResult = Object.freeze({ pageview: false, visit: false });
const TAG_PREFIX: Record<Kind, string> = { guest: 'g', member: 'm', bot: 'b' };
const KIND_OF_PREFIX: Record<string, Kind> = { g: 'guest', m: 'member', b: 'bot' };

/** Identity tag: one online entry per visitor id, or per member id across devices. */
const tagOf = (kind: Kind, identity: string) => `${TAG_PREFIX[kind]}:${identity}`;
const kindOf = (tag: string): Kind => KIND_OF_PREFIX[tag[0]!]!;

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

class SiteState {
  /** Open page sessions: psid -> identity tag. */
  readonly open = new Map<string, string>();
  /** Open page sessions per identity tag; only tags with at least one. */
  private readonly tags = new Map<string, number>();
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

  /** Undefined when the page session is already open here: nothing changes. */
  join(psid: string, tag: string, now: number, periods: Periods): JoinResult | undefined {
    if (this.open.has(psid)) return undefined;
    const wasOnline = this.tags.has(tag);
    this.open.set(psid, tag);
    this.addTag(tag, 1);
    if (kindOf(tag) === 'bot') return NOTHING;
    const leftAt = this.closed.get(psid);
    this.closed.delete(psid);
    const lastAt = this.last.get(tag);
    touch(this.last, tag, now);
    const online = this.online.guest + this.online.member;
    if (online > this.peak.online) this.peak = { online, at: now };
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
    touch(this.closed, psid, now);
    if (remaining === 0) touch(this.last, tag, now);
    this.prune(now);
    return tag;
  }

  /** The day's salt, after deleting every salt older than 48 hours. */
  salt(day: string, now: number): string | undefined {
    for (const [key, salt] of this.salts) if (now - salt.at > SALT_LIFETIME_MS) this.salts.delete(key);
    return this.salts.get(day)?.value;
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
    if (count === 0 || (count === 1 && delta === 1)) this.online[kindOf(tag)] += delta;
    return count;
  }

  /** Amortised: each entry is removed once, and the scan stops at the first one inside the window. */
  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    dropOlder(this.closed, cutoff);
    dropOlder(this.last, cutoff);
  }
}

/** Every site's state; a deterministic function of the records applied to it. */
class MemoryState {
  private readonly sites = new Map<string, SiteState>();
  private readonly empty: SiteState;
  /** Time of the latest join or leave: a restart ends the sessions still open at this time. */
  private lastAt = 0;

  constructor(private readonly windowMs: number) {
    this.empty = new SiteState(windowMs);
  }

  join(record: JoinRecord): JoinResult | undefined {
    this.lastAt = Math.max(this.lastAt, record.n);
    return this.site(record.s).join(record.p, record.t, record.n, { day: record.d, month: record.m });
  }

  leave(record: LeaveRecord): string | undefined {
    const site = this.sites.get(record.s);
    if (site === undefined) return undefined;
    this.lastAt = Math.max(this.lastAt, record.n);
    return site.leave(record.p, record.n);
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

  leaveAll(now: number): void {
    for (const site of this.sites.values()) for (const psid of site.open.keys()) site.leave(psid, now);
  }

  snapshot(): StateSnapshot {
    return { lastAt: this.lastAt, sites: [...this.sites].map(([id, site]) => [id, site.snapshot()]) };
  }

  restore(snapshot: StateSnapshot | undefined, records: StoreRecord[]): void {
    if (snapshot !== undefined) {
      this.lastAt = snapshot.lastAt;
      for (const [id, site] of snapshot.sites) this.sites.set(id, SiteState.from(site, this.windowMs));
    }
    for (const record of records) {
      if (record.o === 'j') this.join(record);
      else if (record.o === 'l') this.leave(record);
      else if (record.o === 's') this.addSalt(record);
      else this.setTotals(record);
    }
    // Open sessions died with the previous process: end them so their pages can resume.
    this.leaveAll(this.lastAt);
  }

  entryCounts(): EntryCounts {
    const counts: EntryCounts = { open: 0, closed: 0, last: 0, days: 0, months: 0 };
    for (const site of this.sites.values()) {
      counts.open += site.open.size;
      counts.closed += site.closed.size;
      counts.last += site.last.size;
      counts.days += site.days.size;
      counts.months += site.months.size;
    }
    return counts;
  }

  private site(id: string): SiteState {
    let site = this.sites.get(id);
    if (site === undefined) {
      site = new SiteState(this.windowMs);
      this.sites.set(id, site);
    }
    return site;
  }
}

function checkTotal(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`${name} must be a whole number >= 0, got ${value}`);
  }
}

export class MemoryStore implements Store {
  private readonly listeners: ChangeListeners;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly state: MemoryState,
    private readonly journal: Journal<StoreRecord>,
    private readonly options: MemoryStoreOptions,
  ) {
    this.listeners = new ChangeListeners(options.logger);
  }

  async join(input: JoinInput): Promise<JoinResult> {
    this.checkWritable();
    const { site, psid, identity, kind, now, periods } = input;
    const record: JoinRecord = { o: 'j', s: site, p: psid, t: tagOf(kind, identity), n: now, d: periods.day, m: periods.month };
    const result = this.state.join(record);
    if (result === undefined) return NOTHING;
    this.notify(site);
    if (kind !== 'bot') await this.journal.append(record);
    return result;
  }

  async leave(site: string, psid: string, now: number): Promise<void> {
    this.checkWritable();
    const record: LeaveRecord = { o: 'l', s: site, p: psid, n: now };
    const tag = this.state.leave(record);
    if (tag === undefined) return;
    this.notify(site);
    if (kindOf(tag) !== 'bot') await this.journal.append(record);
  }

  async read(site: string, periods: Periods): Promise<StoreCounts> {
    return this.state.read(site, periods);
  }

  async setTotals(site: string, totals: StartingTotals): Promise<void> {
    checkTotal('visits', totals.visits);
    checkTotal('pageviews', totals.pageviews);
    this.checkWritable();
    const record: TotalsRecord = { o: 't', s: site, v: totals.visits, pv: totals.pageviews };
    this.state.setTotals(record);
    this.notify(site);
    await this.journal.append(record);
  }

  async dailySalt(site: string, day: string, now: number): Promise<string> {
    this.checkWritable();
    const existing = this.state.salt(site, day, now);
    if (existing !== undefined) return existing;
    const record: SaltRecord = { o: 's', s: site, d: day, v: randomBytes(24).toString('base64url'), n: now };
    if (this.state.addSalt(record)) await this.journal.append(record);
    return this.state.salt(site, day, now)!;
  }

  async ping(): Promise<void> {
    this.checkWritable();
  }

  onChange(listener: (site: string) => void): void {
    this.listeners.add(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Sizes of the per-site maps, to watch that memory stays bounded. */
  entryCounts(): EntryCounts {
    return this.state.entryCounts();
  }

  private async shutdown(): Promise<void> {
    // Not journaled: the final snapshot holds these leaves, and a crash before it ends the sessions on replay.
    this.state.leaveAll(this.options.clock());
    await this.journal.close();
  }

  private checkWritable(): void {
    if (this.closing) throw new Error(`the store on ${this.options.dataDir} is closed`);
    this.journal.check();
  }

  private notify(site: string): void {
    this.listeners.notify(site);
  }
}

export async function openMemoryStore(options: MemoryStoreOptions): Promise<MemoryStore> {
  const state = new MemoryState(options.visitWindowMs);
  const journal = await openJournal<StoreRecord>({
    dataDir: options.dataDir,
    limitBytes: options.journalLimitBytes ?? DEFAULT_JOURNAL_LIMIT,
    logger: options.logger,
    restore: (snapshot, records) => state.restore(snapshot as StateSnapshot | undefined, records),
    snapshot: () => state.snapshot(),
  });
  return new MemoryStore(state, journal, options);
}
