// What GET /api/sites/SITE/history may ask for: a period and a range [from, to) of instants, turned into
// the buckets whose start lies in the range, bounded per period and within what the store keeps.
import { bucketsBetween, bucketStart, offsetAt, PERIODS, type Bucket, type Period } from './audience/calendar-buckets.js';
import type { HistoryRetention } from './store/store.js';

export class HistoryQueryError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** Most points one request returns: a day of minutes, 400 hours, days or months. */
export const MAX_POINTS: Readonly<Record<Period, number>> = Object.freeze({ minute: 1_440, hour: 400, day: 400, month: 400 });

const DAY_MS = 86_400_000;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;
const DATE = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Whether a calendar date exists (Date.parse would take 2026-02-30 as 2 March), from 1970 on (Date.UTC
 * would read year 50 as 1950). */
export function isRealDate(year: number, month: number, day: number): boolean {
  return year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

/** The first instant of a local day or month: its start bucket around local noon of its first day (every
 * offset is within 14 hours, so that instant lies in the day). */
function localStart(year: number, month: number, day: number, timeZone: string, period: 'day' | 'month'): number {
  const noonAsUtc = Date.UTC(year, month - 1, day, 12);
  return bucketStart(noonAsUtc - offsetAt(noonAsUtc, timeZone), timeZone, period);
}

/**
 * An ISO 8601 instant with its offset ("2026-11-26T09:00+07:00", "2026-11-26T02:00:00Z"), or a bare local
 * date: "2026-11-26" is the start of that day and "2026-11" of that month in the site's time zone.
 */
export function parseInstant(field: string, raw: unknown, timeZone: string): number {
  if (raw === undefined) throw new HistoryQueryError(field, 'missing: give an ISO 8601 time, e.g. 2026-11-26T00:00+07:00, or a date 2026-11-26');
  const text = typeof raw === 'string' ? raw : '';
  const date = DATE.exec(text);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), date[3] === undefined ? 1 : Number(date[3])];
    if (isRealDate(year, month, day)) return localStart(year, month, day, timeZone, date[3] === undefined ? 'month' : 'day');
  }
  const match = INSTANT.exec(text);
  if (match) {
    const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(match[i]));
    const second = Number(match[6] ?? 0);
    const ms = Number((match[7] ?? '').padEnd(3, '0'));
    const offsetMinutes = match[8] === 'Z' ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
    if (isRealDate(year!, month!, day!) && hour! < 24 && minute! < 60 && second < 60 && Number(match[11] ?? 0) < 60 && Math.abs(offsetMinutes) <= 18 * 60) {
      return Date.UTC(year!, month! - 1, day!, hour, minute, second, ms) - offsetMinutes * 60_000;
    }
  }
  throw new HistoryQueryError(field, `expected an ISO 8601 time with its offset (2026-11-26T00:00+07:00) or a date (2026-11-26), got ${JSON.stringify(String(raw))}`);
}

export function parsePeriod(raw: unknown): Period {
  if (typeof raw === 'string' && (PERIODS as readonly string[]).includes(raw)) return raw as Period;
  throw new HistoryQueryError('period', `expected one of ${PERIODS.join(', ')}`);
}

export interface HistoryRange {
  readonly period: Period;
  readonly buckets: readonly Bucket[];
}

/** The buckets a request names, or a HistoryQueryError naming the field at fault. */
export function parseHistoryRange(
  query: { period?: unknown; from?: unknown; to?: unknown },
  timeZone: string,
  now: number,
  retention: HistoryRetention,
): HistoryRange {
  const period = parsePeriod(query.period);
  const from = parseInstant('from', query.from, timeZone);
  const to = parseInstant('to', query.to, timeZone);
  if (from > to) throw new HistoryQueryError('from', 'after to');
  const keptDays = period === 'minute' ? retention.minuteDays : period === 'hour' ? retention.hourDays : undefined;
  if (keptDays !== undefined && from < now - keptDays * DAY_MS) {
    throw new HistoryQueryError('from', `older than the ${keptDays} days ${period === 'minute' ? 'minutes' : 'hours'} are kept`);
  }
  const limit = MAX_POINTS[period];
  const buckets: Bucket[] = [];
  for (const bucket of bucketsBetween(from, to, timeZone, period)) {
    if (bucket.start < from) continue;
    if (buckets.length === limit) throw new HistoryQueryError('to', `range too long: at most ${limit} ${period}s a request`);
    buckets.push(bucket);
  }
  return { period, buckets };
}
