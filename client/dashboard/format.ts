// Numbers in the viewer's locale, times in the site's time zone, and the site's local calendar.
// Formatters are made once: Intl constructors are costly, and the board formats on every push.

export interface Formats {
  number(value: number): string;
  percent(share: number): string;
  /** HH:MM:SS of an instant, in the site's time zone. */
  time(at: Date | number): string;
  /** HH:MM of a minute of the local day (0-1439), for the chart's axis and the peak. */
  minute(minuteOfDay: number): string;
}

export function makeFormats(locale: string | undefined, timeZone: string): Formats {
  const number = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  // A minute of the day is shown as that wall-clock time: formatted in UTC from midnight UTC, no zone maths.
  const minute = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', hour: '2-digit', minute: '2-digit' });
  return {
    number: (value) => number.format(value),
    percent: (share) => percent.format(share),
    time: (at) => time.format(at),
    minute: (minuteOfDay) => minute.format(minuteOfDay * 60_000),
  };
}

export interface LocalClock {
  /** The site's local date, YYYY-MM-DD. */
  day: string;
  /** Minutes since the site's local midnight, 0-1439. */
  minute: number;
}

const clocks = new Map<string, Intl.DateTimeFormat>();

/** The site's local date and minute of day at an instant. */
export function localClock(now: number, timeZone: string): LocalClock {
  let format = clocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clocks.set(timeZone, format);
  }
  const part: Record<string, string> = {};
  for (const { type, value } of format.formatToParts(now)) part[type] = value;
  return { day: `${part.year}-${part.month}-${part.day}`, minute: (Number(part.hour) % 24) * 60 + Number(part.minute) };
}

/** A YYYY-MM-DD date moved by whole days. */
export function addDays(day: string, days: number): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

/** The minute of the local day of a history point's `at` (local ISO 8601 with its offset: 2026-11-01T09:05:00+07:00); NaN when unreadable. */
export function minuteOfAt(at: string): number {
  const time = /T(\d\d):(\d\d)/.exec(at);
  return time ? Number(time[1]) * 60 + Number(time[2]) : NaN;
}

/** Engaged readers as a share of all readers, 0 when nobody reads. */
export const engagedShare = (engaged: number, total: number): number => (total > 0 ? Math.min(1, engaged / total) : 0);

/** The change from `before` to `now` as a signed share, undefined when there is nothing to compare with. */
export const change = (now: number, before: number): number | undefined => (before > 0 ? (now - before) / before : undefined);
