// The minute series of the site's local day that the chart and the "yesterday at this time" figures
// read: arrays of one slot a minute, allocated once and overwritten in place, so a board that runs for
// days keeps the same few arrays (a new day clears them rather than growing them).
import { minuteOfAt } from './format.js';

export const MINUTES_A_DAY = 1440;

/** One point of GET /api/sites/SITE/history?period=minute. */
export interface HistoryPoint {
  at: string;
  pageviews: number;
  visits: number;
  peak: { online: number };
}

export class DaySeries {
  /** Minute of the day: the chart's x values. */
  readonly minutes: number[] = Array.from({ length: MINUTES_A_DAY }, (_, minute) => minute);
  /** Readers online in each minute of today (its peak); null for minutes not reached yet. */
  readonly today: (number | null)[] = new Array<number | null>(MINUTES_A_DAY).fill(null);
  /** The same weekday of last week, minute by minute. */
  readonly lastWeek: (number | null)[] = new Array<number | null>(MINUTES_A_DAY).fill(null);
  private readonly yesterdayVisits = new Float64Array(MINUTES_A_DAY);
  private readonly yesterdayPageviews = new Float64Array(MINUTES_A_DAY);
  yesterdayLoaded = false;

  /** A new local day: every slot back to empty. */
  clear(): void {
    this.today.fill(null);
    this.lastWeek.fill(null);
    this.yesterdayVisits.fill(0);
    this.yesterdayPageviews.fill(0);
    this.yesterdayLoaded = false;
  }

  /** Today's history points; a minute keeps the higher of what it had and what the history says. */
  setToday(points: readonly HistoryPoint[]): void {
    for (const point of points) this.raise(this.today, minuteOfAt(point.at), point.peak.online);
  }

  /** The online figure of a push, counted in the current minute's peak. */
  observe(minute: number, online: number): void {
    this.raise(this.today, minute, online);
  }

  /** Last week's points: minutes, or hours (each hour's peak drawn over its 60 minutes) when its minutes are not kept. */
  setLastWeek(points: readonly HistoryPoint[], minutesEach: 1 | 60 = 1): void {
    for (const point of points) {
      const start = minuteOfAt(point.at);
      for (let minute = start; minute < start + minutesEach; minute++) this.raise(this.lastWeek, minute, point.peak.online);
    }
  }

  setYesterday(points: readonly HistoryPoint[]): void {
    for (const point of points) {
      const minute = minuteOfAt(point.at);
      if (!(minute >= 0 && minute < MINUTES_A_DAY)) continue;
      // A 25-hour day repeats an hour of local times: both count.
      this.yesterdayVisits[minute]! += point.visits;
      this.yesterdayPageviews[minute]! += point.pageviews;
    }
    this.yesterdayLoaded = true;
  }

  /** Yesterday's visits and pageviews from its midnight up to this minute of the day (the minute itself included, as today's counts include it). */
  yesterdayUntil(minute: number): { visits: number; pageviews: number } {
    let visits = 0;
    let pageviews = 0;
    for (let i = 0; i <= minute && i < MINUTES_A_DAY; i++) {
      visits += this.yesterdayVisits[i]!;
      pageviews += this.yesterdayPageviews[i]!;
    }
    return { visits, pageviews };
  }

  /** Today's highest minute and when, undefined before anyone was online. */
  peak(): { online: number; minute: number } | undefined {
    let best: { online: number; minute: number } | undefined;
    for (let minute = 0; minute < MINUTES_A_DAY; minute++) {
      const online = this.today[minute];
      if (online != null && online > 0 && (!best || online > best.online)) best = { online, minute };
    }
    return best;
  }

  /** How many minutes of today have a value. */
  todayPoints(): number {
    return pointsOf(this.today);
  }

  /** How many minutes of last week's day have a value. */
  lastWeekPoints(): number {
    return pointsOf(this.lastWeek);
  }

  /** The last minute of today with a value: where the next history request starts. */
  lastMinute(): number {
    for (let minute = MINUTES_A_DAY - 1; minute >= 0; minute--) if (this.today[minute] != null) return minute;
    return -1;
  }

  private raise(series: (number | null)[], minute: number, value: number): void {
    if (!(minute >= 0 && minute < MINUTES_A_DAY)) return;
    const had = series[minute];
    series[minute] = had == null ? value : Math.max(had, value);
  }
}

function pointsOf(series: readonly (number | null)[]): number {
  let count = 0;
  for (const online of series) if (online != null) count++;
  return count;
}

/** The most online in one local hour (0-23) of a minute series; null when none of its minutes has a value. */
export function hourPeak(series: readonly (number | null)[], hour: number): number | null {
  let best: number | null = null;
  for (let minute = hour * 60; minute < (hour + 1) * 60 && minute < series.length; minute++) {
    const online = series[minute];
    if (online != null && (best === null || online > best)) best = online;
  }
  return best;
}

/** Axis labels: a label every `step` minutes, the step chosen so that about `room` labels fit. */
export function labelStep(room: number): number {
  const steps = [60, 120, 180, 240, 360, 720];
  return steps.find((step) => MINUTES_A_DAY / step <= Math.max(1, room)) ?? 720;
}
