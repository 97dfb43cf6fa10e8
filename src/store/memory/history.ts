// One site's history in the embedded store: pageviews, visits and most online per minute, hour, day and
// month bucket (keys from src/audience/calendar-buckets.ts). Online figures change only at joins and leaves,
// and this store sees every one of them, so a bucket's peak is exact: the figures before and after each
// change are recorded into the buckets of its time, and a bucket without any change gets the figures that
// closed the latest earlier bucket, computed when it is read.
import type { HistoryPeak, HistoryPeriod, HistoryPoint, HistoryRetention, ImportedCounts, Periods } from '../store.js';

/** Online now by kind, as SiteState counts it. */
export interface Figures {
  readonly guest: number;
  readonly member: number;
  readonly bot: number;
}

/** The buckets of one instant; minute and hour are absent in records journaled before history was kept. */
export type BucketKeys = readonly [minute: string | undefined, hour: string | undefined, day: string, month: string];

export const keysOf = (periods: Periods): BucketKeys => [periods.minute, periods.hour, periods.day, periods.month];

/** `c`: the figures [guest, member, bot] after the bucket's last change; absent when only imported. */
interface Entry {
  pv: number;
  v: number;
  o: number;
  g: number;
  m: number;
  b: number;
  /** Days and months: when `o` was reached. */
  at: number | null;
  imp: boolean;
  c: [number, number, number] | undefined;
  /** Minutes and hours: epoch ms the key orders by (its local time at its offset). */
  readonly start: number;
}

/** [key, pageviews, visits, online, guests, members, bots, peakAt, imported (0|1), closing figures]. */
type EntrySnapshot = [string, number, number, number, number, number, number, number | null, 0 | 1, [number, number, number]?];

export interface HistorySnapshot {
  minute: EntrySnapshot[];
  hour: EntrySnapshot[];
  day: EntrySnapshot[];
  month: EntrySnapshot[];
  /** Closing figures of the latest minute and hour dropped by retention, for the buckets after them. */
  base: { minute?: [number, number, number]; hour?: [number, number, number] };
  last?: BucketKeys;
}

const PERIODS = ['minute', 'hour', 'day', 'month'] as const;
const DAY_MS = 86_400_000;
const NOBODY: HistoryPeak = Object.freeze({ online: 0, guests: 0, members: 0, bots: 0 });
const CLOCK_KEY = /^(\d{4})-(\d\d)-(\d\d)T(\d\d)(?::(\d\d))?([+-])(\d\d):(\d\d)$/;

/** Epoch ms a minute or hour key orders by; NaN for a key that is not one. */
export function keyStart(key: string): number {
  const match = CLOCK_KEY.exec(key);
  if (match === null) return NaN;
  const [, year, month, day, hour, minute, sign, offsetHours, offsetMinutes] = match;
  const offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000 * (sign === '-' ? -1 : 1);
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute ?? 0)) - offset;
}

const timed = (period: HistoryPeriod) => period === 'minute' || period === 'hour';
/** What a key orders by: time for minutes and hours, the key itself for days and months. */
const orderOf = (period: HistoryPeriod, key: string): number | string => (timed(period) ? keyStart(key) : key);

function peakOf(figures: readonly [number, number, number] | undefined): HistoryPeak {
  if (figures === undefined) return NOBODY;
  const [guests, members, bots] = figures;
  return { online: guests + members, guests, members, bots };
}

export class SiteHistory {
  private readonly series: Record<HistoryPeriod, Map<string, Entry>> = { minute: new Map(), hour: new Map(), day: new Map(), month: new Map() };
  private base: HistorySnapshot['base'] = {};
  /** The buckets of the latest change: where a leave journaled without its own goes. */
  private last: BucketKeys | undefined;

  constructor(private readonly retention: HistoryRetention) {}

  static from(snapshot: HistorySnapshot, retention: HistoryRetention): SiteHistory {
    const history = new SiteHistory(retention);
    for (const period of PERIODS) {
      for (const [key, pv, v, o, g, m, b, at, imp, c] of snapshot[period]) {
        history.series[period].set(key, { pv, v, o, g, m, b, at, imp: imp === 1, c, start: timed(period) ? keyStart(key) : NaN });
      }
    }
    history.base = snapshot.base;
    history.last = snapshot.last;
    return history;
  }

  get lastKeys(): BucketKeys | undefined {
    return this.last;
  }

  /** Records the figures as they are at `now` (call it before and after every change). */
  observe(keys: BucketKeys, figures: Figures, now: number): void {
    this.last = keys;
    const online = figures.guest + figures.member;
    PERIODS.forEach((period, i) => {
      const key = keys[i];
      if (key === undefined) return;
      const entry = this.entry(period, key);
      if (online > entry.o) {
        entry.o = online;
        if (!timed(period)) entry.at = now;
      }
      entry.g = Math.max(entry.g, figures.guest);
      entry.m = Math.max(entry.m, figures.member);
      entry.b = Math.max(entry.b, figures.bot);
      entry.c = [figures.guest, figures.member, figures.bot];
    });
  }

  /** One pageview (and maybe a visit) begun at the time of these keys. */
  count(keys: BucketKeys, visit: boolean): void {
    PERIODS.forEach((period, i) => {
      const key = keys[i];
      if (key === undefined) return;
      const entry = this.entry(period, key);
      entry.pv++;
      if (visit) entry.v++;
    });
  }

  /** Sets (not adds) counts from an old counter; the peak stays as it was. */
  import(period: 'day' | 'month', rows: readonly ImportedCounts[]): void {
    for (const { key, visits, pageviews } of rows) {
      const entry = this.entry(period, key);
      entry.pv = pageviews;
      entry.v = visits;
      entry.imp = true;
    }
  }

  /** Drops minutes and hours past their retention; each entry once, stopping at the first one kept. */
  prune(now: number): void {
    for (const [period, days] of [['minute', this.retention.minuteDays], ['hour', this.retention.hourDays]] as const) {
      const cutoff = now - days * DAY_MS;
      for (const [key, entry] of this.series[period]) {
        if (entry.start >= cutoff) break;
        if (entry.c !== undefined) this.base[period] = entry.c;
        this.series[period].delete(key);
      }
    }
  }

  /** One point per key. `now` and `current` (this instant's buckets, when known) make later buckets zeros. */
  points(period: HistoryPeriod, keys: readonly string[], now: number, current: Periods | undefined): HistoryPoint[] {
    const series = this.series[period];
    let closings: { order: number | string; c: [number, number, number] }[] | undefined;
    const carried = (order: number | string): [number, number, number] | undefined => {
      // Built once per read: the buckets with changes, in time order, to find the latest before a key.
      closings ??= [...series.entries()]
        .flatMap(([key, entry]) => (entry.c === undefined ? [] : [{ order: orderOf(period, key), c: entry.c }]))
        .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
      let low = 0;
      let high = closings.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (closings[mid]!.order < order) low = mid + 1;
        else high = mid;
      }
      return low > 0 ? closings[low - 1]!.c : timed(period) ? this.base[period as 'minute' | 'hour'] : undefined;
    };
    const cutoff = period === 'minute' ? now - this.retention.minuteDays * DAY_MS : period === 'hour' ? now - this.retention.hourDays * DAY_MS : -Infinity;
    const latest = current === undefined ? (timed(period) ? now : undefined) : orderOf(period, current[period]);
    return keys.map((key) => {
      const order = orderOf(period, key);
      const entry = series.get(key);
      if (Number.isNaN(order) || (typeof order === 'number' && order < cutoff)) return this.point(period, undefined, NOBODY);
      if (entry === undefined && latest !== undefined && order > latest) return this.point(period, undefined, NOBODY);
      const peak = entry?.c !== undefined ? { online: entry.o, guests: entry.g, members: entry.m, bots: entry.b } : peakOf(carried(order));
      return this.point(period, entry, peak);
    });
  }

  sizes(): { minutes: number; hours: number } {
    return { minutes: this.series.minute.size, hours: this.series.hour.size };
  }

  snapshot(): HistorySnapshot {
    const entries = (period: HistoryPeriod) =>
      [...this.series[period]].map(([key, e]): EntrySnapshot => [key, e.pv, e.v, e.o, e.g, e.m, e.b, e.at, e.imp ? 1 : 0, ...(e.c === undefined ? [] : [e.c])] as EntrySnapshot);
    return { minute: entries('minute'), hour: entries('hour'), day: entries('day'), month: entries('month'), base: this.base, ...(this.last === undefined ? {} : { last: this.last }) };
  }

  private point(period: HistoryPeriod, entry: Entry | undefined, peak: HistoryPeak): HistoryPoint {
    const counts = { pageviews: entry?.pv ?? 0, visits: entry?.v ?? 0, peak };
    if (timed(period)) return counts;
    // A carried peak's time is the bucket's start, which the store cannot compute without the zone.
    const peakAt = entry?.c !== undefined && entry.o > 0 ? entry.at : null;
    return { ...counts, peakAt, ...(entry?.imp ? { imported: true } : {}) };
  }

  private entry(period: HistoryPeriod, key: string): Entry {
    let entry = this.series[period].get(key);
    if (entry === undefined) {
      entry = { pv: 0, v: 0, o: 0, g: 0, m: 0, b: 0, at: null, imp: false, c: undefined, start: timed(period) ? keyStart(key) : NaN };
      this.series[period].set(key, entry);
    }
    return entry;
  }
}
