// The dashboard's pure logic: local calendar of the site, formats in the viewer's locale, shares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDays, change, engagedShare, localClock, makeFormats, minuteOfAt } from '../../client/dashboard/format.js';

test("localClock gives the site's local date and minute of day, whatever the viewer's zone", () => {
  // 2026-12-01T17:30:00Z is 00:30 on 2 December in Hồ Chí Minh City (UTC+7), still 1 December in UTC.
  const at = Date.UTC(2026, 11, 1, 17, 30);
  assert.deepEqual(localClock(at, 'Asia/Ho_Chi_Minh'), { day: '2026-12-02', minute: 30 });
  assert.deepEqual(localClock(at, 'UTC'), { day: '2026-12-01', minute: 17 * 60 + 30 });
  assert.deepEqual(localClock(Date.UTC(2026, 11, 1, 16, 59), 'Asia/Ho_Chi_Minh'), { day: '2026-12-01', minute: 1439 });
});

test('addDays crosses months and years', () => {
  assert.equal(addDays('2026-03-01', -1), '2026-02-28');
  assert.equal(addDays('2027-01-03', -7), '2026-12-27');
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
});

test("minuteOfAt reads the local wall-clock time of a history point's at", () => {
  assert.equal(minuteOfAt('2026-11-01T00:00:00+07:00'), 0);
  assert.equal(minuteOfAt('2026-11-01T09:05:00+07:00'), 545);
  assert.equal(minuteOfAt('2026-11-01T23:59:00-05:00'), 1439);
});

test('engaged share is engaged over total, 0 for nobody, never over 1', () => {
  assert.equal(engagedShare(402, 607), 402 / 607);
  assert.equal(engagedShare(0, 0), 0);
  assert.equal(engagedShare(5, 4), 1);
});

test('change against yesterday is undefined when yesterday had nothing', () => {
  assert.equal(change(150, 100), 0.5);
  assert.equal(change(50, 100), -0.5);
  assert.equal(change(10, 0), undefined);
});

test("numbers follow the viewer's locale, times the site's zone", () => {
  const vi = makeFormats('vi-VN', 'Asia/Ho_Chi_Minh');
  assert.equal(vi.number(52015394), '52.015.394');
  assert.equal(vi.percent(0.66), '66%');
  assert.equal(vi.time(Date.UTC(2026, 10, 26, 9, 0, 5)), '16:00:05');
  assert.equal(vi.minute(545), '09:05');
  const en = makeFormats('en-US', 'Asia/Ho_Chi_Minh');
  assert.equal(en.number(52015394), '52,015,394');
  assert.match(en.time(Date.UTC(2026, 10, 26, 9, 0, 5)), /^04:00:05\sPM$/);
  assert.match(en.minute(0), /^12:00\sAM$/);
});
