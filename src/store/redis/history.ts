// The Redis store's history series: where the scripts record (lua/includes/history.lua), the rollup
// of pending minutes into their buckets, and the reads and imports of whole ranges, each one script.
import { bucketsOfMinute, PERIODS } from '../../audience/calendar-buckets.js';
import { DEFAULT_HISTORY_RETENTION, type HistoryPeriod, type HistoryPoint, type HistoryRetention, type ImportedCounts, type Periods } from '../store.js';
import { check } from './join-input.js';
import type { SiteKeys } from './keys.js';
import type { HistoryTarget, Scripts } from './scripts.js';

const DAY_SECONDS = 86_400;

/** Where the scripts record history at `periods` (none: undefined, nothing recorded). */
export function historyTarget(keys: SiteKeys, periods: Periods | undefined): HistoryTarget {
  if (periods === undefined) return { args: [''] };
  // A bad bucket key or period is refused before any script runs.
  keys.historyOf('minute', periods.minute);
  keys.month(periods.month);
  return { args: [periods.minute] };
}

/** A bucket's or pending minute's value as parts: counts and figures as numbers, then peak time and imported flag. */
type Parts = [number, number, number, number, number, number, string, string];

function parts(value: string | null | undefined): Parts {
  const b: Parts = [0, 0, 0, 0, 0, 0, '-', '0'];
  (value ?? '').split(' ').filter(Boolean).slice(0, 8).forEach((part, i) => (b[i] = i < 6 ? Number(part) : part));
  return b;
}

/** Adds a pending minute into a bucket as rollup-n.lua does. */
function addPending(b: Parts, p: Parts): void {
  b[0] += p[0];
  b[1] += p[1];
  for (let f = 2; f < 6; f++) {
    if (p[f]! > b[f]!) {
      b[f] = p[f]!;
      if (f === 2) b[6] = p[6];
    }
  }
}

function point(period: HistoryPeriod, [pageviews, visits, online, guests, members, bots, at, imported]: Parts): HistoryPoint {
  const figures = { pageviews, visits, peak: { online, guests, members, bots } };
  if (period === 'minute' || period === 'hour') return figures;
  return { ...figures, peakAt: at === '-' ? null : Number(at), imported: imported === '1' };
}

/** Pending minutes from a flat HGETALL reply, oldest first record first. */
function pendingMinutes(flat: readonly string[]): { minute: string; value: Parts }[] {
  const entries: { minute: string; value: Parts; since: number }[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    entries.push({ minute: flat[i]!, value: parts(flat[i + 1]), since: Number(flat[i + 1]!.split(' ')[7]) });
  }
  return entries.sort((a, b) => a.since - b.since);
}

/** One point per bucket key, in order; zeros for buckets never written; minutes not yet rolled up included. */
export async function readHistory(scripts: Scripts, keys: SiteKeys, period: HistoryPeriod, buckets: readonly string[]): Promise<HistoryPoint[]> {
  check(Array.isArray(buckets), 'keys: expected bucket keys');
  const places = buckets.map((bucket) => keys.historyOf(period, bucket));
  const hashes = new Map<string, string[]>();
  for (const { hash, field } of places) {
    let fields = hashes.get(hash);
    if (fields === undefined) hashes.set(hash, (fields = []));
    fields.push(field);
  }
  if (buckets.length === 0) return [];
  const { values, pending } = await scripts.history(keys, hashes);
  // The reply follows the hashes' order; put each value back at its bucket.
  const byPlace = new Map<string, string | null>();
  let i = 0;
  for (const [hash, fields] of hashes) for (const field of fields) byPlace.set(`${hash} ${field}`, values[i++] ?? null);
  const byBucket = new Map(buckets.map((bucket, j) => [bucket, parts(byPlace.get(`${places[j]!.hash} ${places[j]!.field}`))]));
  for (const { minute, value } of pendingMinutes(pending)) {
    const bucket = byBucket.get(bucketsOfMinute(minute)[period]);
    if (bucket !== undefined) addPending(bucket, value);
  }
  return buckets.map((bucket) => point(period, byBucket.get(bucket)!));
}

/** `hash`'s place in rollup-n.lua's KEYS (after the two pending hashes and tot), added once. */
function hashIndex(hashes: string[], hash: string): number {
  const index = hashes.indexOf(hash);
  return (index < 0 ? hashes.push(hash) - 1 : index) + 4;
}

/** Adds pending minutes into their buckets and totals (lua/rollup-n.lua), in one script; a minute rolled up already is skipped. */
export async function rollUp(scripts: Scripts, keys: SiteKeys, minutes: readonly string[], retention: HistoryRetention = DEFAULT_HISTORY_RETENTION): Promise<void> {
  if (minutes.length === 0) return;
  const hashes: string[] = [];
  const args: (string | number)[] = [];
  for (const minute of minutes) {
    args.push(minute);
    const buckets = bucketsOfMinute(minute);
    for (const period of PERIODS) {
      const { hash, field } = keys.historyOf(period, buckets[period]);
      args.push(hashIndex(hashes, hash), field);
    }
    args.push(hashIndex(hashes, keys.day(buckets.day)), hashIndex(hashes, keys.month(buckets.month)));
  }
  // A minutes hash is made in its hour, an hours hash on its day: each lives its retention (and a day) after.
  await scripts.rollUp(keys, hashes, [(retention.minuteDays + 1) * DAY_SECONDS, (retention.hourDays + 1) * DAY_SECONDS], args);
}

/** Sets imported days' or months' counts in one script. */
export async function importHistory(scripts: Scripts, keys: SiteKeys, period: 'day' | 'month', rows: readonly ImportedCounts[], retention?: HistoryRetention): Promise<void> {
  check(period === 'day' || period === 'month', 'period: expected day or month');
  check(Array.isArray(rows), 'rows: expected imported counts');
  const hashes: string[] = [];
  const args: (string | number)[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const { hash, field } = keys.historyOf(period, row.key);
    check(!seen.has(row.key), `key: ${row.key} imported twice`);
    seen.add(row.key);
    for (const name of ['visits', 'pageviews'] as const) {
      check(Number.isSafeInteger(row[name]) && row[name] >= 0, `${name}: expected a whole number >= 0`);
    }
    let index = hashes.indexOf(hash);
    if (index < 0) index = hashes.push(hash) - 1;
    args.push(index + 1, field, row.visits, row.pageviews);
  }
  if (rows.length === 0) return;
  // An import sets its days and months: what is pending for them goes in first, so it is not added on top later.
  const { pending } = await scripts.history(keys, new Map());
  await rollUp(scripts, keys, pendingMinutes(pending).map(({ minute }) => minute), retention);
  await scripts.importHistory(hashes, args);
}
