// History as CSV, for spreadsheets: the export of GET /api/sites/SITE/history?format=csv, and the import
// (PUT /api/sites/SITE/history, `import-history`) of an old counter's days or months. An import is all or
// nothing: the first bad row is reported with its line and field and nothing is written.
import type { Bucket, Period } from './audience/calendar-buckets.js';
import { localIso } from './audience/calendar-buckets.js';
import { isRealDate } from './history-query.js';
import type { HistoryPoint, ImportedCounts } from './store/store.js';

export class CsvError extends Error {
  constructor(readonly line: number, readonly field: string, message: string) {
    super(`line ${line}: ${field}: ${message}`);
  }
}

export interface ParsedImport {
  readonly period: 'day' | 'month';
  readonly rows: readonly ImportedCounts[];
}

const COUNT = /^\d{1,16}$/;
const KEY = { day: /^(\d{4})-(\d{2})-(\d{2})$/, month: /^(\d{4})-(\d{2})$/ } as const;
const KEY_COLUMN = { date: 'day', month: 'month' } as const;

/**
 * Reads `date,visits,pageviews` (days, YYYY-MM-DD) or `month,visits,pageviews` (months, YYYY-MM), columns in
 * any order, with `today` (the site's local day, YYYY-MM-DD) the last day that may be given.
 */
export function parseImportCsv(text: string, today: string): ParsedImport {
  // Spreadsheets save a byte-order mark and CRLF line ends.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const header = (lines[0] ?? '').split(',').map((name) => name.trim().toLowerCase());
  const keyColumn = header.find((name): name is keyof typeof KEY_COLUMN => name === 'date' || name === 'month');
  if (header.length !== 3 || !keyColumn || !header.includes('visits') || !header.includes('pageviews')) {
    throw new CsvError(1, 'header', `expected "date,visits,pageviews" (days) or "month,visits,pageviews" (months), got ${JSON.stringify(lines[0] ?? '')}`);
  }
  const period = KEY_COLUMN[keyColumn];
  const last = period === 'day' ? today : today.slice(0, 7);
  const at = { key: header.indexOf(keyColumn), visits: header.indexOf('visits'), pageviews: header.indexOf('pageviews') };
  const seen = new Map<string, number>();
  const rows: ImportedCounts[] = [];
  for (let index = 1; index < lines.length; index++) {
    const line = index + 1;
    const cells = lines[index]!.split(',').map((cell) => cell.trim());
    if (cells.length !== 3) throw new CsvError(line, 'row', `expected 3 columns, got ${cells.length}`);
    const key = cells[at.key]!;
    const match = KEY[period].exec(key);
    if (!match || !isRealDate(Number(match[1]), Number(match[2]), period === 'day' ? Number(match[3]) : 1)) {
      throw new CsvError(line, keyColumn, `expected ${period === 'day' ? 'a date YYYY-MM-DD' : 'a month YYYY-MM'} from 1970, got ${JSON.stringify(key)}`);
    }
    if (key > last) throw new CsvError(line, keyColumn, `${key} is in the future (the site's ${period === 'day' ? 'today' : 'month'} is ${last})`);
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new CsvError(line, keyColumn, `${key} already given on line ${earlier}`);
    seen.set(key, line);
    const count = (field: 'visits' | 'pageviews') => {
      const cell = cells[at[field]]!;
      const value = COUNT.test(cell) ? Number(cell) : NaN;
      if (!Number.isSafeInteger(value)) throw new CsvError(line, field, `expected a whole number >= 0, got ${JSON.stringify(cell)}`);
      return value;
    };
    rows.push({ key, visits: count('visits'), pageviews: count('pageviews') });
  }
  if (rows.length === 0) throw new CsvError(2, 'row', 'no rows after the header');
  return { period, rows };
}

const BASE_COLUMNS = ['at', 'pageviews', 'visits', 'peak_online', 'peak_guests', 'peak_members', 'peak_bots'];
const CALENDAR_COLUMNS = ['peak_at', 'imported'];

const hasPeakTime = (period: Period) => period === 'day' || period === 'month';

/** The export: one header row, one row a bucket; a day's or month's peak time is local ISO 8601, empty when nobody was online. */
export function formatHistoryCsv(period: Period, buckets: readonly Bucket[], points: readonly HistoryPoint[], timeZone: string): string {
  const header = hasPeakTime(period) ? [...BASE_COLUMNS, ...CALENDAR_COLUMNS] : BASE_COLUMNS;
  const lines = [header.join(',')];
  buckets.forEach((bucket, i) => {
    const { pageviews, visits, peak, peakAt, imported } = points[i]!;
    const cells: (string | number)[] = [bucket.at, pageviews, visits, peak.online, peak.guests, peak.members, peak.bots];
    if (hasPeakTime(period)) cells.push(peakAt == null ? '' : localIso(peakAt, timeZone), imported === true ? 'true' : 'false');
    lines.push(cells.join(','));
  });
  return `${lines.join('\r\n')}\r\n`;
}
