// The embedded store (default without REDIS_URL, one instance): every site's presence, totals, pages
// read now and day pages in memory. Each mutation is a record that is journaled and applied once
// durable, so a restart replays the same records through the same code; semantics match the Redis
// store (see store.ts and its contract).
// While DATA_DIR cannot be written the store is degraded: joins refused, reads marked stale, and a
// snapshot retried every second until it succeeds (docs/operations.md).
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_HISTORY_RETENTION,
  DEFAULT_MAX_LIVE_PAGES,
  type DayPage,
  type EngagementReport,
  type HistoryPeriod,
  type HistoryPoint,
  type ImportedCounts,
  type JoinInput,
  type JoinResult,
  type LiveFigures,
  type OpenSessions,
  type Periods,
  type StartingTotals,
  type Store,
  type StoreCounts,
  type StoreLogger,
  type StoreOptions,
} from '../store.js';
import { ChangeListeners } from '../change-listeners.js';
import type { FileOps } from './file-ops.js';
import { keysOf, type BucketKeys } from './history.js';
import { openJournal, type Journal } from './journal.js';
import {
  MemoryState,
  type EngageRecord,
  type EntryCounts,
  type ImportRecord,
  type JoinRecord,
  type LeaveRecord,
  type SaltRecord,
  type StateSnapshot,
  type StoreRecord,
  type TotalsRecord,
} from './memory-state.js';
import { NOTHING, kindOf, tagOf } from './site-state.js';

export type { EntryCounts, StoreRecord };

export interface MemoryStoreOptions extends StoreOptions {
  /** Holds the lock, snapshot and journal; created when missing. */
  readonly dataDir: string;
  readonly logger?: StoreLogger | undefined;
  /** Journal size that triggers a snapshot. */
  readonly journalLimitBytes?: number | undefined;
  /** How often the store checks whether a snapshot is due or a failed disk can be retried (real time). */
  readonly maintenanceIntervalMs?: number | undefined;
  /** Tests swap in failing writes. */
  readonly files?: FileOps | undefined;
}

const DEFAULT_JOURNAL_LIMIT = 8 * 1024 * 1024;
const DEFAULT_MAINTENANCE_INTERVAL_MS = 1_000;
/** Longest time between snapshots by the store's clock, so expired ids leave the disk soon after memory. */
const COMPACT_EVERY_MS = 3_600_000;

function checkTotal(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`${name} must be a whole number >= 0, got ${value}`);
  }
}

function checkReport(report: EngagementReport | undefined): void {
  if (report !== undefined && !(Number.isSafeInteger(report.engagedMs) && report.engagedMs >= 0)) {
    throw new RangeError(`engagedMs must be a whole number >= 0, got ${report.engagedMs}`);
  }
}

/** Fields left out when they hold their usual value, since every pageview writes one. */
function joinRecord(input: JoinInput): JoinRecord {
  const { site, psid, identity, kind, now, periods, page, source, referrerHost } = input;
  return {
    o: 'j',
    s: site,
    p: psid,
    t: tagOf(kind, identity),
    n: now,
    d: periods.day,
    m: periods.month,
    mi: periods.minute,
    hr: periods.hour,
    ...(kind === 'member' ? { v: input.visitor } : {}),
    u: page.url,
    ...(page.title === undefined ? {} : { ti: page.title }),
    ...(page.section === undefined ? {} : { se: page.section }),
    ...(page.author === undefined ? {} : { au: page.author }),
    ...(source === 'direct' ? {} : { c: source }),
    ...(referrerHost === undefined ? {} : { h: referrerHost }),
    ...(input.engaged ? {} : { i: 1 as const }),
  };
}

/** A report's engaged time and the day it goes to, only when there is some. */
const reportFields = (report: EngagementReport | undefined) => (report !== undefined && report.engagedMs > 0 ? { ms: report.engagedMs, d: report.periods.day } : {});

const pendingKey = (site: string, psid: string) => `${site}\n${psid}`;

const HISTORY_PERIODS: readonly string[] = ['minute', 'hour', 'day', 'month'];
const IMPORT_KEY = { day: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, month: /^\d{4}-(0[1-9]|1[0-2])$/ } as const;

function checkImport(period: string, rows: readonly ImportedCounts[]): void {
  if (period !== 'day' && period !== 'month') throw new RangeError(`period must be day or month, got ${period}`);
  for (const row of rows) {
    if (!IMPORT_KEY[period].test(row.key)) throw new RangeError(`not a ${period} key: ${row.key}`);
    checkTotal('visits', row.visits);
    checkTotal('pageviews', row.pageviews);
  }
}

export class MemoryStore implements Store {
  private readonly listeners: ChangeListeners;
  private closing: Promise<void> | undefined;
  /** Joins and leaves written but not yet applied, per page session: later ones must queue behind them. */
  private readonly inFlight = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private compactedAt: number;
  private compacting = false;

  constructor(
    private readonly state: MemoryState,
    private readonly journal: Journal<StoreRecord>,
    private readonly options: MemoryStoreOptions,
  ) {
    this.listeners = new ChangeListeners(options.logger);
    this.compactedAt = options.clock();
    this.timer = setInterval(() => this.maintain(), options.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  async join(input: JoinInput): Promise<JoinResult> {
    this.checkWritable();
    const { site, psid, kind } = input;
    const record = joinRecord(input);
    // Bots hold no durable state, so they need no write.
    if (kind === 'bot') return this.applyJoin(record);
    const key = pendingKey(site, psid);
    // Open and nothing in flight for it: a repeat that counts nothing. With a leave in flight, the
    // join must queue behind it, or the leave would end the page this join resumes.
    if (this.state.openTag(site, psid) !== undefined && !this.inFlight.has(key)) return NOTHING;
    // Counted only once durable, with the result a replay of the journal computes too.
    return this.journaled(key, this.journal.append(record, () => this.applyJoin(record)));
  }

  async leave(site: string, psid: string, now: number, report?: EngagementReport): Promise<void> {
    this.checkOpen();
    checkReport(report);
    const keys = this.keysAt(site, now, report);
    const record: LeaveRecord = { o: 'l', s: site, p: psid, n: now, ...reportFields(report), ...(keys === undefined ? {} : { k: keys }) };
    const key = pendingKey(site, psid);
    const tag = this.state.openTag(site, psid);
    if (!this.inFlight.has(key)) {
      if (tag === undefined) return;
      if (kindOf(tag) === 'bot') return this.applyLeave(record);
    }
    // A page that left must not stay online: the leave applies even when its write fails (a restart
    // ends every session the journal still has open, so the lost record resurrects nothing).
    await this.journaled(key, this.journal.append(record, () => this.applyLeave(record), true));
  }

  async engage(site: string, psid: string, _now: number, report: EngagementReport): Promise<void> {
    this.checkOpen();
    checkReport(report);
    const record: EngageRecord = { o: 'e', s: site, p: psid, ...(report.engaged ? {} : { i: 1 as const }), ...reportFields(report) };
    const key = pendingKey(site, psid);
    if (!this.inFlight.has(key)) {
      const tag = this.state.openTag(site, psid);
      if (tag === undefined || kindOf(tag) === 'bot') return;
      if (this.state.engagedOf(site, psid) === report.engaged && record.ms === undefined) return;
    }
    // Like a leave, a change applies even when its write fails: memory may be ahead of the disk, never behind.
    await this.journaled(key, this.journal.append(record, () => this.applyEngage(record), true));
  }

  async live(site: string, limit: number): Promise<LiveFigures> {
    return this.state.live(site, limit);
  }

  async readers(site: string, urls: readonly string[]): Promise<number[]> {
    return this.state.readers(site, urls);
  }

  async dayPages(site: string, day: string, limit: number): Promise<DayPage[]> {
    return this.state.dayPages(site, day, limit);
  }

  async read(site: string, periods: Periods): Promise<StoreCounts> {
    const counts = this.state.read(site, periods);
    return this.journal.failure ? { ...counts, stale: true } : counts;
  }

  async history(site: string, period: HistoryPeriod, keys: readonly string[]): Promise<HistoryPoint[]> {
    if (!HISTORY_PERIODS.includes(period)) throw new RangeError(`unknown history period: ${period}`);
    const now = this.options.clock();
    return this.state.history(site, period, keys, now, this.options.periodsAt?.(site, now));
  }

  async importHistory(site: string, period: 'day' | 'month', rows: readonly ImportedCounts[]): Promise<void> {
    checkImport(period, rows);
    this.checkWritable();
    const record: ImportRecord = { o: 'h', s: site, pd: period, r: rows.map((row) => [row.key, row.visits, row.pageviews]) };
    await this.journal.append(record, () => {
      this.state.importHistory(record);
      this.notify(site);
    });
  }

  async setTotals(site: string, totals: StartingTotals): Promise<void> {
    checkTotal('visits', totals.visits);
    checkTotal('pageviews', totals.pageviews);
    this.checkWritable();
    const record: TotalsRecord = { o: 't', s: site, v: totals.visits, pv: totals.pageviews };
    await this.journal.append(record, () => {
      this.state.setTotals(record);
      this.notify(site);
    });
  }

  async dailySalt(site: string, day: string, now: number): Promise<string> {
    this.checkOpen();
    const existing = this.state.salt(site, day, now);
    if (existing !== undefined) return existing;
    this.checkWritable();
    const record: SaltRecord = { o: 's', s: site, d: day, v: randomBytes(24).toString('base64url'), n: now };
    // Two first readers at once both write a salt; the first one applied is every caller's, as on replay.
    return this.journal.append(record, () => {
      this.state.addSalt(record);
      return this.state.salt(site, day, now)!;
    });
  }

  async ping(): Promise<void> {
    this.checkWritable();
  }

  onChange(listener: (site: string) => void): void {
    this.listeners.add(listener);
  }

  /** Never fires: in one process the transport itself closes the older socket of a psid. */
  onReplaced(_listener: (site: string, psid: string) => void): void {}

  /** Ignored: nothing else ends this process's page sessions, so there is nothing to re-join. */
  heldBy(_sessions: OpenSessions): void {}

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Sizes of the per-site maps, to watch that memory stays bounded. */
  entryCounts(): EntryCounts {
    return this.state.entryCounts();
  }

  /** Every site's figures change their `stale` mark when the disk fails or recovers. */
  healthChanged(): void {
    for (const site of this.state.siteIds()) this.notify(site);
  }

  /** The history buckets of a change at `now`: the report's, else from the site's calendar when known. */
  private keysAt(site: string, now: number, report?: EngagementReport): BucketKeys | undefined {
    const periods = report?.periods ?? this.options.periodsAt?.(site, now);
    return periods === undefined ? undefined : keysOf(periods);
  }

  /** Counts the page session's records on their way to disk while `write` is pending. */
  private async journaled<T>(key: string, write: Promise<T>): Promise<T> {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    try {
      return await write;
    } finally {
      const left = this.inFlight.get(key)! - 1;
      if (left === 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    }
  }

  private applyJoin(record: JoinRecord): JoinResult {
    const result = this.state.join(record);
    if (result === undefined) return NOTHING;
    this.notify(record.s);
    return result;
  }

  private applyLeave(record: LeaveRecord): void {
    if (this.state.leave(record) !== undefined) this.notify(record.s);
  }

  private applyEngage(record: EngageRecord): void {
    if (this.state.engage(record)) this.notify(record.s);
  }

  /** A snapshot when one is due (expired salts and ids must leave the disk), or to retry a failed disk. */
  private maintain(): void {
    if (this.closing || this.compacting) return;
    const now = this.options.clock();
    const due = Math.min(this.compactedAt + Math.min(COMPACT_EVERY_MS, this.options.visitWindowMs), this.state.saltExpiry() ?? Infinity);
    if (this.journal.failure === undefined && now < due) return;
    this.compacting = true;
    this.journal.compact().then(
      () => {
        this.compactedAt = now;
        this.compacting = false;
      },
      () => {
        this.compacting = false; // the journal logged the failure and stays stopped until a snapshot succeeds
      },
    );
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    // Not journaled: the final snapshot holds these leaves, and a crash before it ends the sessions on replay.
    const now = this.options.clock();
    this.state.leaveAll(now, (site) => this.keysAt(site, now));
    try {
      await this.journal.close();
    } catch (err) {
      // The journal still holds every acknowledged record, and a restart ends the open sessions.
      this.options.logger?.warn({ dataDir: this.options.dataDir, err }, 'final snapshot failed; the journal will be replayed on start');
    }
  }

  private checkOpen(): void {
    if (this.closing) throw new Error(`the store on ${this.options.dataDir} is closed`);
  }

  /** Joins, totals and new salts are refused at once while the disk fails: they could not be made durable. */
  private checkWritable(): void {
    this.checkOpen();
    const failure = this.journal.failure;
    if (failure) throw failure;
  }

  private notify(site: string): void {
    this.listeners.notify(site);
  }
}

export async function openMemoryStore(options: MemoryStoreOptions): Promise<MemoryStore> {
  const state = new MemoryState(options.visitWindowMs, options.maxLivePages ?? DEFAULT_MAX_LIVE_PAGES, options.historyRetention ?? DEFAULT_HISTORY_RETENTION);
  let store: MemoryStore | undefined;
  const journal = await openJournal<StoreRecord>({
    dataDir: options.dataDir,
    limitBytes: options.journalLimitBytes ?? DEFAULT_JOURNAL_LIMIT,
    logger: options.logger,
    files: options.files,
    restore: (snapshot, records) => state.restore(snapshot as StateSnapshot | undefined, records),
    snapshot: () => state.snapshot(options.clock()),
    onHealth: () => store?.healthChanged(),
  });
  store = new MemoryStore(state, journal, options);
  return store;
}
