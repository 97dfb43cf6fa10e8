// The day's minute series: today's curve and peak, last week's, yesterday summed to the same time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DaySeries, hourPeak, labelStep, MINUTES_A_DAY, type HistoryPoint } from '../../client/dashboard/day-series.js';

const point = (time: string, online: number, visits = 0, pageviews = 0): HistoryPoint => ({ at: `2026-12-01T${time}:00+07:00`, visits, pageviews, peak: { online } });

test("today's points fill their minutes; a push raises the current minute, never lowers it", () => {
  const series = new DaySeries();
  series.setToday([point('00:00', 3), point('09:05', 12)]);
  assert.equal(series.today[0], 3);
  assert.equal(series.today[545], 12);
  assert.equal(series.today[1], null);
  series.observe(545, 7);
  assert.equal(series.today[545], 12);
  series.observe(546, 9);
  assert.equal(series.todayPoints(), 3);
  assert.equal(series.lastMinute(), 546);
  assert.deepEqual(series.peak(), { online: 12, minute: 545 });
});

test('no peak before anyone was online', () => {
  const series = new DaySeries();
  assert.equal(series.peak(), undefined);
  series.setToday([point('00:00', 0)]);
  assert.equal(series.peak(), undefined);
  assert.equal(series.lastMinute(), 0);
});

test('yesterday is summed from its midnight up to the same minute of the day, that minute included', () => {
  const series = new DaySeries();
  assert.equal(series.yesterdayLoaded, false);
  series.setYesterday([point('00:00', 0, 2, 3), point('09:04', 0, 10, 20), point('09:05', 0, 1, 1), point('09:06', 0, 100, 100), point('23:59', 0, 1000, 1000)]);
  assert.equal(series.yesterdayLoaded, true);
  assert.deepEqual(series.yesterdayUntil(545), { visits: 13, pageviews: 24 });
  assert.deepEqual(series.yesterdayUntil(1439), { visits: 1113, pageviews: 1124 });
});

test('a new day clears every series in place: the arrays stay the same objects and sizes', () => {
  const series = new DaySeries();
  const { today, lastWeek, minutes } = series;
  series.setToday([point('10:00', 5)]);
  series.setLastWeek([point('10:00', 4)]);
  series.setYesterday([point('10:00', 0, 1, 1)]);
  series.clear();
  assert.equal(series.today, today);
  assert.equal(series.lastWeek, lastWeek);
  assert.equal(series.minutes, minutes);
  assert.equal(today.length, MINUTES_A_DAY);
  assert.equal(series.todayPoints(), 0);
  assert.equal(lastWeek[600], null);
  assert.equal(series.yesterdayLoaded, false);
  assert.deepEqual(series.yesterdayUntil(1439), { visits: 0, pageviews: 0 });
});

test('points outside the day are ignored', () => {
  const series = new DaySeries();
  series.setToday([{ at: 'garbage', visits: 0, pageviews: 0, peak: { online: 9 } }]);
  assert.equal(series.todayPoints(), 0);
});

test('axis labels: a step of whole hours that fits the room', () => {
  assert.equal(labelStep(24), 60);
  assert.equal(labelStep(12), 120);
  assert.equal(labelStep(5), 360);
  assert.equal(labelStep(0), 720);
});

test("last week's points fill their own series", () => {
  const series = new DaySeries();
  series.setLastWeek([point('12:00', 8)]);
  assert.equal(series.lastWeek[720], 8);
  assert.equal(series.today[720], null);
});

test("last week by hour: each hour's peak over its 60 minutes, the last hour stopping at midnight", () => {
  const series = new DaySeries();
  series.setLastWeek([point('09:00', 12), point('10:00', 3), point('23:00', 5)], 60);
  assert.equal(series.lastWeek[539], null);
  assert.equal(series.lastWeek[540], 12);
  assert.equal(series.lastWeek[599], 12);
  assert.equal(series.lastWeek[600], 3);
  assert.equal(series.lastWeek[1439], 5);
  assert.equal(series.lastWeek.length, MINUTES_A_DAY);
  assert.equal(series.lastWeekPoints(), 180);
});

test("an hour's peak: the most of its minutes, null when none has a value", () => {
  const series = new DaySeries();
  series.setToday([point('09:00', 4), point('09:59', 9), point('10:00', 2)]);
  assert.equal(hourPeak(series.today, 9), 9);
  assert.equal(hourPeak(series.today, 10), 2);
  assert.equal(hourPeak(series.today, 11), null);
  assert.equal(hourPeak(series.today, 23), null);
});
