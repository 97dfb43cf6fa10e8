// The Redis store's history series: which buckets the scripts record into (lua/includes/history.lua),
// and the reads and imports of whole ranges, each one script.
import { DEFAULT_HISTORY_RETENTION, type HistoryPeriod, type HistoryPoint, type HistoryRetention, type ImportedCounts, type Periods } from '../store.js';
import { check } from './join-input.js';
import type { SiteKeys } from './keys.js';
import type { HistoryTarget, Scripts } from './scripts.js';

const DAY_SECONDS = 86_400;
/** Names the hashes of a script that records no history: they are not touched. */
const NO_HISTORY = { minute: '1970-01-01T00:00+00:00', hour: '1970-01-01T00+00:00', day: '1970-01-01', month: '1970-01' };

/** The current buckets of `periods` (none: undefined), with the TTLs a new minutes or hours hash gets. */
export function historyTarget(keys: SiteKeys, periods: Periods | undefined, retention: HistoryRetention = DEFAULT_HISTORY_RETENTION): HistoryTarget {
  const p = periods ?? NO_HISTORY;
  const buckets = (['minute', 'hour', 'day', 'month'] as const).map((period) => keys.historyOf(period, p[period]));
  return {
    keys: buckets.map((bucket) => bucket.hash),
    // A minutes hash is made in its hour, an hours hash on its day: each lives its retention (and a day) after.
    args: periods === undefined
      ? ['', '', '', '', 0, 0]
      : [...buckets.map((bucket) => bucket.field), (retention.minuteDays + 1) * DAY_SECONDS, (retention.hourDays + 1) * DAY_SECONDS],
  };
}

const counted = (part: string | undefined) => (part ? Number(part) : 0);

function point(period: HistoryPeriod, value: string | null): HistoryPoint {
  const [pageviews, visits, online, guests, members, bots, at, imported] = (value ?? '').split(' ');
  const figures = {
    pageviews: counted(pageviews),
    visits: counted(visits),
    peak: { online: counted(online), guests: counted(guests), members: counted(members), bots: counted(bots) },
  };
  if (period === 'minute' || period === 'hour') return figures;
  return { ...figures, peakAt: at === undefined || at === '-' ? null : Number(at), imported: imported === '1' };
}

/** One point per bucket key, in order; zeros for buckets never written. */
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
  const values = await scripts.history(hashes);
  // The reply follows the hashes' order; put each value back at its bucket.
  const byPlace = new Map<string, string | null>();
  let i = 0;
  for (const [hash, fields] of hashes) for (const field of fields) byPlace.set(`${hash} ${field}`, values[i++] ?? null);
  return places.map(({ hash, field }) => point(period, byPlace.get(`${hash} ${field}`) ?? null));
}

/** Sets imported days' or months' counts in one script. */
export async function importHistory(scripts: Scripts, keys: SiteKeys, period: 'day' | 'month', rows: readonly ImportedCounts[]): Promise<void> {
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
  if (rows.length > 0) await scripts.importHistory(hashes, args);
}
