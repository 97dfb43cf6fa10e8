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

export function periodsAt(now: number, timeZone: string): Periods {
  const parts = formatter(timeZone).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  const month = `${part('year')}-${part('month')}`;
  return { day: `${month}-${part('day')}`, month };
}
