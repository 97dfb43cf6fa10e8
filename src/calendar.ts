// Calendar periods in a site's own time zone: "today" for a site in Hanoi starts at 00:00 ICT, not UTC.
import type { Periods } from './store/store.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Days begin on a whole minute in every time zone, so one answer per zone and minute serves every page
 * session that starts in it (and they share one object instead of holding one each). */
const lastByZone = new Map<string, { minute: number; periods: Periods }>();

export function periodsAt(now: number, timeZone: string): Periods {
  const minute = Math.floor(now / 60_000);
  const last = lastByZone.get(timeZone);
  if (last?.minute === minute) return last.periods;
  const parts = formatter(timeZone).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  const month = `${part('year')}-${part('month')}`;
  const periods = Object.freeze({ day: `${month}-${part('day')}`, month });
  lastByZone.set(timeZone, { minute, periods });
  return periods;
}
