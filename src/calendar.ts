// Calendar periods in a site's own time zone: "today" for a site in Hanoi starts at 00:00 ICT, not UTC.
import { bucketKey } from './audience/calendar-buckets.js';
import { pad, wallClock } from './audience/wall-clock.js';
import type { Periods } from './store/store.js';

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
