// The local date and time of an instant in an IANA time zone, from one cached Intl formatter per zone:
// the base of every calendar rule (days, months, history buckets).
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The locale and options of every zone's formatter (wall-clock-warm-up.ts loads their ICU data early). */
export const WALL_CLOCK_LOCALE = 'en-US';
export const WALL_CLOCK_FORMAT = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
} as const satisfies Intl.DateTimeFormatOptions;

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat(WALL_CLOCK_LOCALE, { timeZone, ...WALL_CLOCK_FORMAT });
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
