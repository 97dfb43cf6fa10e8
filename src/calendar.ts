// Calendar periods in a site's own time zone: "today" for a site in Hanoi starts at 00:00 ICT, not UTC.
import { bucketKey } from './audience/calendar-buckets.js';
import type { Periods } from './store/store.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The local date and time of an instant in a time zone (month 1-12). */
export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

export function wallClock(at: number, timeZone: string): WallClock {
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return { year: fields.year!, month: fields.month!, day: fields.day!, hour: fields.hour!, minute: fields.minute!, second: fields.second! };
}

export const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Offsets change only on whole minutes, so one answer per zone and minute serves every page session that
 * starts in it (and they share one object instead of holding one each); the hour and minute keys carry the
 * offset, so an hour repeated when clocks go back gets its own keys. */
const lastByZone = new Map<string, { minute: number; periods: Periods }>();

export function periodsAt(now: number, timeZone: string): Periods {
  const minute = Math.floor(now / 60_000);
  const last = lastByZone.get(timeZone);
  if (last?.minute === minute) return last.periods;
  const clock = wallClock(now, timeZone);
  const month = `${pad(clock.year, 4)}-${pad(clock.month)}`;
  // Date.UTC carries day 0 back into the previous month (and year): the local calendar day before.
  const before = new Date(Date.UTC(clock.year, clock.month - 1, clock.day - 1));
  const periods: Periods = Object.freeze({
    day: `${month}-${pad(clock.day)}`,
    month,
    hour: bucketKey(now, timeZone, 'hour'),
    minute: bucketKey(now, timeZone, 'minute'),
    yesterday: `${pad(before.getUTCFullYear(), 4)}-${pad(before.getUTCMonth() + 1)}-${pad(before.getUTCDate())}`,
  });
  lastByZone.set(timeZone, { minute, periods });
  return periods;
}
