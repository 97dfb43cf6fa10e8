// Minute, hour, day and month buckets in a site's time zone, for history series. A bucket is a run of local
// time with one key: days and months by local date (a day is 23 or 25 hours across a DST change), minutes and
// hours by local time and UTC offset, so the hour repeated when clocks go back is two buckets, not one bucket
// counted twice, and a 30-minute shift (Lord Howe) makes a half-hour bucket. Offsets change only on whole
// minutes and at most once in any day, as in every zone since 1972.
import { pad, wallClock, type WallClock } from './wall-clock.js';

export const PERIODS = ['minute', 'hour', 'day', 'month'] as const;
export type Period = (typeof PERIODS)[number];

export interface Bucket {
  /** Epoch ms of the bucket's first instant. */
  readonly start: number;
  /** Epoch ms of the next bucket's first instant. */
  readonly end: number;
  /** Store key: "2026-11-01T01:30-04:00" (minute), "2026-11-01T01-04:00" (hour), "2026-11-01", "2026-11". */
  readonly key: string;
  /** Local ISO 8601 time of the start, with its offset: "2026-11-01T01:00:00-05:00". */
  readonly at: string;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

function checked(at: number): number {
  if (!Number.isFinite(at)) throw new RangeError(`not a time: ${at}`);
  return at;
}

/** Local wall time as if it were UTC, to the second. */
const localMs = (clock: WallClock) => Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second);

/** An instant with its local time and offset, from one formatter call. */
interface Local {
  readonly at: number;
  readonly clock: WallClock;
  readonly offset: number;
}

function local(at: number, timeZone: string): Local {
  const clock = wallClock(at, timeZone);
  return { at, clock, offset: localMs(clock) - Math.floor(at / 1000) * 1000 };
}

/** Offset from UTC in ms at an instant (positive east of Greenwich). */
export function offsetAt(at: number, timeZone: string): number {
  return local(checked(at), timeZone).offset;
}

function offsetText(offset: number): string {
  const minutes = Math.round(Math.abs(offset) / MINUTE);
  return `${offset < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

const dateText = (clock: WallClock) => `${pad(clock.year, 4)}-${pad(clock.month)}-${pad(clock.day)}`;

function isoOf({ clock, offset }: Local): string {
  return `${dateText(clock)}T${pad(clock.hour)}:${pad(clock.minute)}:${pad(clock.second)}${offsetText(offset)}`;
}

function keyOf({ clock, offset }: Local, period: Period): string {
  switch (period) {
    case 'minute':
      return `${dateText(clock)}T${pad(clock.hour)}:${pad(clock.minute)}${offsetText(offset)}`;
    case 'hour':
      return `${dateText(clock)}T${pad(clock.hour)}${offsetText(offset)}`;
    case 'day':
      return dateText(clock);
    case 'month':
      return `${pad(clock.year, 4)}-${pad(clock.month)}`;
  }
}

/**
 * The buckets of every period that a minute's key falls in: each is a prefix of the minute key, and the
 * hour keeps the minute's offset (so the repeated hour of a DST end stays two hours), as keyOf writes them.
 */
export function bucketsOfMinute(minute: string): Record<Period, string> {
  return { minute, hour: minute.slice(0, 13) + minute.slice(16), day: minute.slice(0, 10), month: minute.slice(0, 7) };
}

/** Local ISO 8601 time with offset, to the second: "2026-03-08T03:00:00-04:00". */
export function localIso(at: number, timeZone: string): string {
  return isoOf(local(checked(at), timeZone));
}

export function bucketKey(at: number, timeZone: string, period: Period): string {
  return keyOf(local(checked(at), timeZone), period);
}

/** The first whole minute in (lo, hi] whose offset differs from lo's, when exactly one change lies between. */
function transitionIn(lo: number, hi: number, timeZone: string): number {
  const before = local(lo, timeZone).offset;
  let low = Math.floor(lo / MINUTE);
  let high = Math.ceil(hi / MINUTE);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (local(mid * MINUTE, timeZone).offset === before) low = mid;
    else high = mid;
  }
  return high * MINUTE;
}

/** The first instant whose local time is at or after the local wall time `wall` (ms as if UTC): the wall time
 * itself, its earlier occurrence when clocks go back, or the change itself when clocks skip over it.
 * `guess` is an offset likely in force then (the one a bucket started with). */
function firstAtOrAfterWall(wall: number, guess: number, timeZone: string): number {
  // An offset that holds at wall - guess is the answer unless the offset changed twice within the bucket.
  if (local(wall - guess, timeZone).offset === guess) return wall - guess;
  const before = local(wall - DAY, timeZone).offset;
  const after = local(wall + DAY, timeZone).offset;
  const candidates = [wall - before, wall - after].filter((t) => local(t, timeZone).offset === wall - t);
  if (candidates.length > 0) return Math.min(...candidates);
  return transitionIn(Math.min(wall - before, wall - after), Math.max(wall - before, wall - after), timeZone);
}

/** Epoch ms of the first instant of the bucket that holds `at`. */
export function bucketStart(at: number, timeZone: string, period: Period): number {
  const minute = Math.floor(checked(at) / MINUTE) * MINUTE;
  if (period === 'minute') return minute;
  const { clock, offset } = local(minute, timeZone);
  if (period === 'hour') {
    const candidate = Math.floor((minute + offset) / HOUR) * HOUR - offset;
    // A different offset at the local hour's start means the offset changed within the hour: the bucket starts there.
    return local(candidate, timeZone).offset === offset ? candidate : transitionIn(candidate, minute, timeZone);
  }
  return firstAtOrAfterWall(Date.UTC(clock.year, clock.month - 1, period === 'day' ? clock.day : 1), offset, timeZone);
}

/** The start of the bucket after the one that starts at `start`. */
function followingStart(start: Local, timeZone: string, period: Period): number {
  const { at, clock, offset } = start;
  let next: number;
  if (period === 'minute') {
    next = at + MINUTE;
  } else if (period === 'hour') {
    const candidate = Math.floor((at + offset) / HOUR) * HOUR + HOUR - offset;
    next = local(candidate, timeZone).offset === offset ? candidate : transitionIn(at, candidate, timeZone);
  } else {
    const wall = period === 'day' ? Date.UTC(clock.year, clock.month - 1, clock.day + 1) : Date.UTC(clock.year, clock.month, 1);
    next = firstAtOrAfterWall(wall, offset, timeZone);
  }
  // Cannot happen with real zone data; a guarantee that iterating always moves on.
  return Math.max(next, at + MINUTE);
}

/** Epoch ms of the first instant of the bucket after the one that holds `at`. */
export function nextBucketStart(at: number, timeZone: string, period: Period): number {
  return followingStart(local(bucketStart(at, timeZone, period), timeZone), timeZone, period);
}

function bucketFrom(start: Local, timeZone: string, period: Period): Bucket {
  return { start: start.at, end: followingStart(start, timeZone, period), key: keyOf(start, period), at: isoOf(start) };
}

export function bucketAt(at: number, timeZone: string, period: Period): Bucket {
  return bucketFrom(local(bucketStart(at, timeZone, period), timeZone), timeZone, period);
}

/** Every bucket that overlaps [from, to), in order, so a range can be filled with explicit zeros. Lazy: a caller
 * bounds the range (or stops early). */
export function* bucketsBetween(from: number, to: number, timeZone: string, period: Period): Generator<Bucket> {
  if (checked(from) >= checked(to)) return;
  let start = local(bucketStart(from, timeZone, period), timeZone);
  while (start.at < to) {
    const bucket = bucketFrom(start, timeZone, period);
    yield bucket;
    start = local(bucket.end, timeZone);
  }
}
