import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bucketAt,
  bucketKey,
  bucketsBetween,
  bucketsOfMinute,
  bucketStart,
  localIso,
  nextBucketStart,
  offsetAt,
  PERIODS,
  type Period,
} from '../../src/audience/calendar-buckets.js';
import { periodsAt } from '../../src/calendar.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

const labels = (from: number, to: number, zone: string, period: Period) => [...bucketsBetween(from, to, zone, period)].map((b) => b.at);
const localDay = (zone: string, day: string) => {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return bucketAt(Date.UTC(y, m - 1, d, 12), zone, 'day');
};
const hoursOf = (zone: string, day: string) => {
  const { start, end } = localDay(zone, day);
  return [...bucketsBetween(start, end, zone, 'hour')];
};

/** Every bucket is a contiguous run of one key: its first and last minute have the key, its neighbours do not. */
function assertWellFormed(from: number, to: number, zone: string, period: Period) {
  let previousEnd: number | undefined;
  const keys = new Set<string>();
  for (const bucket of bucketsBetween(from, to, zone, period)) {
    const where = `${zone} ${period} ${bucket.at}`;
    if (previousEnd !== undefined) assert.equal(bucket.start, previousEnd, `${where}: gap or overlap`);
    assert.ok(bucket.end > bucket.start, where);
    assert.equal(bucketStart(bucket.start, zone, period), bucket.start, where);
    assert.equal(bucketStart(bucket.end - 1, zone, period), bucket.start, where);
    assert.equal(nextBucketStart(bucket.end - 1, zone, period), bucket.end, where);
    assert.equal(bucketKey(bucket.end - 1, zone, period), bucket.key, where);
    assert.notEqual(bucketKey(bucket.end, zone, period), bucket.key, where);
    assert.notEqual(bucketKey(bucket.start - 1, zone, period), bucket.key, where);
    assert.equal(Date.parse(bucket.at), bucket.start, `${where}: label is the start`);
    assert.ok(!keys.has(bucket.key), `${where}: key ${bucket.key} repeated`);
    keys.add(bucket.key);
    previousEnd = bucket.end;
  }
}

describe('calendar buckets', () => {
  it('formats keys and local ISO times with the offset', () => {
    const at = Date.UTC(2026, 2, 8, 7, 5, 9, 500); // 14:05:09.5 in Hanoi
    assert.equal(localIso(at, 'Asia/Ho_Chi_Minh'), '2026-03-08T14:05:09+07:00');
    assert.equal(bucketKey(at, 'Asia/Ho_Chi_Minh', 'minute'), '2026-03-08T14:05+07:00');
    assert.equal(bucketKey(at, 'Asia/Ho_Chi_Minh', 'hour'), '2026-03-08T14+07:00');
    assert.equal(bucketKey(at, 'Asia/Ho_Chi_Minh', 'day'), '2026-03-08');
    assert.equal(bucketKey(at, 'Asia/Ho_Chi_Minh', 'month'), '2026-03');
    assert.equal(localIso(at, 'UTC'), '2026-03-08T07:05:09+00:00');
    assert.equal(localIso(at, 'America/New_York'), '2026-03-08T03:05:09-04:00');
    assert.equal(offsetAt(at, 'Asia/Kathmandu'), (5 * 60 + 45) * MINUTE);
    assert.equal(offsetAt(at, 'America/New_York'), -4 * HOUR);
    assert.deepEqual(bucketAt(at, 'Asia/Ho_Chi_Minh', 'hour'), {
      start: Date.UTC(2026, 2, 8, 7),
      end: Date.UTC(2026, 2, 8, 8),
      key: '2026-03-08T14+07:00',
      at: '2026-03-08T14:00:00+07:00',
    });
  });

  it('agrees with periodsAt on day and month keys', () => {
    for (const zone of ['Asia/Ho_Chi_Minh', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC']) {
      for (let at = Date.UTC(2026, 0, 1); at < Date.UTC(2027, 0, 1); at += 7 * HOUR + 13 * MINUTE) {
        const periods = periodsAt(at, zone);
        assert.equal(bucketKey(at, zone, 'day'), periods.day);
        assert.equal(bucketKey(at, zone, 'month'), periods.month);
      }
    }
  });

  it('Asia/Ho_Chi_Minh: 24 hours a day, days start at 17:00 UTC', () => {
    const day = localDay('Asia/Ho_Chi_Minh', '2026-12-01');
    assert.equal(day.start, Date.UTC(2026, 10, 30, 17));
    assert.equal(day.at, '2026-12-01T00:00:00+07:00');
    assert.equal(hoursOf('Asia/Ho_Chi_Minh', '2026-12-01').length, 24);
  });

  it('America/New_York: the spring day has 23 hours, 02:00 never happens', () => {
    const day = localDay('America/New_York', '2026-03-08');
    assert.equal(day.end - day.start, 23 * HOUR);
    const hours = hoursOf('America/New_York', '2026-03-08').map((b) => b.at);
    assert.equal(hours.length, 23);
    assert.deepEqual(hours.slice(0, 3), ['2026-03-08T00:00:00-05:00', '2026-03-08T01:00:00-05:00', '2026-03-08T03:00:00-04:00']);
    assert.equal(localDay('America/New_York', '2026-03-09').at, '2026-03-09T00:00:00-04:00');
  });

  it('America/New_York: the autumn day has 25 hours, 01:00 twice as two buckets', () => {
    const day = localDay('America/New_York', '2026-11-01');
    assert.equal(day.end - day.start, 25 * HOUR);
    const hours = hoursOf('America/New_York', '2026-11-01');
    assert.equal(hours.length, 25);
    assert.deepEqual(hours.slice(1, 4).map((b) => [b.key, b.at]), [
      ['2026-11-01T01-04:00', '2026-11-01T01:00:00-04:00'],
      ['2026-11-01T01-05:00', '2026-11-01T01:00:00-05:00'],
      ['2026-11-01T02-05:00', '2026-11-01T02:00:00-05:00'],
    ]);
    const minutes = [...bucketsBetween(day.start, day.end, 'America/New_York', 'minute')];
    assert.equal(minutes.length, 25 * 60);
    assert.equal(new Set(minutes.map((b) => b.key)).size, 25 * 60, 'the repeated minutes have their own keys');
    assert.equal(bucketKey(Date.UTC(2026, 10, 1, 5, 30), 'America/New_York', 'minute'), '2026-11-01T01:30-04:00');
    assert.equal(bucketKey(Date.UTC(2026, 10, 1, 6, 30), 'America/New_York', 'minute'), '2026-11-01T01:30-05:00');
  });

  it('Europe/London: 23 and 25 hour days, GMT written +00:00', () => {
    assert.equal(localDay('Europe/London', '2026-03-29').end - localDay('Europe/London', '2026-03-29').start, 23 * HOUR);
    assert.equal(localDay('Europe/London', '2026-10-25').end - localDay('Europe/London', '2026-10-25').start, 25 * HOUR);
    assert.deepEqual(hoursOf('Europe/London', '2026-03-29').slice(0, 3).map((b) => b.at), [
      '2026-03-29T00:00:00+00:00',
      '2026-03-29T02:00:00+01:00',
      '2026-03-29T03:00:00+01:00',
    ]);
    assert.deepEqual(hoursOf('Europe/London', '2026-10-25').slice(1, 3).map((b) => b.at), ['2026-10-25T01:00:00+01:00', '2026-10-25T01:00:00+00:00']);
  });

  it('Asia/Kathmandu (+05:45): local hours start at a quarter past in UTC', () => {
    const hours = hoursOf('Asia/Kathmandu', '2026-01-01');
    assert.equal(hours.length, 24);
    assert.equal(hours[0]!.start, Date.UTC(2025, 11, 31, 18, 15));
    assert.equal(hours[0]!.at, '2026-01-01T00:00:00+05:45');
    assert.equal(bucketStart(Date.UTC(2026, 0, 1, 4, 14), 'Asia/Kathmandu', 'hour'), Date.UTC(2026, 0, 1, 3, 15));
    assert.equal(bucketStart(Date.UTC(2026, 0, 1, 4, 15), 'Asia/Kathmandu', 'hour'), Date.UTC(2026, 0, 1, 4, 15));
  });

  it('Australia/Adelaide (+09:30/+10:30): 25 and 23 hour days', () => {
    const april = hoursOf('Australia/Adelaide', '2026-04-05');
    assert.equal(april.length, 25);
    assert.deepEqual(april.slice(2, 4).map((b) => b.at), ['2026-04-05T02:00:00+10:30', '2026-04-05T02:00:00+09:30']);
    const october = hoursOf('Australia/Adelaide', '2026-10-04');
    assert.equal(october.length, 23);
    assert.deepEqual(october.slice(1, 3).map((b) => b.at), ['2026-10-04T01:00:00+09:30', '2026-10-04T03:00:00+10:30']);
    assert.deepEqual(labels(Date.UTC(2026, 2, 15), Date.UTC(2026, 4, 15), 'Australia/Adelaide', 'month'), [
      '2026-03-01T00:00:00+10:30',
      '2026-04-01T00:00:00+10:30',
      '2026-05-01T00:00:00+09:30',
    ]);
    const april2026 = bucketAt(Date.UTC(2026, 3, 10), 'Australia/Adelaide', 'month');
    assert.equal(april2026.end - april2026.start, 30 * 24 * HOUR + HOUR);
  });

  it('Australia/Lord_Howe: a 30-minute DST shift makes half-hour buckets', () => {
    const october = hoursOf('Australia/Lord_Howe', '2026-10-04');
    assert.equal(october.length, 24);
    const short = october[2]!;
    assert.deepEqual([short.key, short.at, short.end - short.start], ['2026-10-04T02+11:00', '2026-10-04T02:30:00+11:00', 30 * MINUTE]);
    assert.equal(localDay('Australia/Lord_Howe', '2026-10-04').end - localDay('Australia/Lord_Howe', '2026-10-04').start, 23.5 * HOUR);
    const april = hoursOf('Australia/Lord_Howe', '2026-04-05');
    assert.equal(april.length, 25);
    assert.deepEqual(april.slice(1, 4).map((b) => [b.at, (b.end - b.start) / MINUTE]), [
      ['2026-04-05T01:00:00+11:00', 60],
      ['2026-04-05T01:30:00+10:30', 30],
      ['2026-04-05T02:00:00+10:30', 60],
    ]);
    assert.equal(localDay('Australia/Lord_Howe', '2026-04-05').end - localDay('Australia/Lord_Howe', '2026-04-05').start, 24.5 * HOUR);
  });

  it('starts a day at the first instant that exists when midnight is skipped (America/Santiago)', () => {
    assert.equal(localDay('America/Santiago', '2026-09-06').at, '2026-09-06T01:00:00-03:00');
  });

  it('iterates the buckets overlapping [from, to)', () => {
    const zone = 'Asia/Ho_Chi_Minh';
    const from = Date.UTC(2026, 0, 1, 0, 30); // 07:30 local
    assert.deepEqual(labels(from, Date.UTC(2026, 0, 1, 2), zone, 'hour'), ['2026-01-01T07:00:00+07:00', '2026-01-01T08:00:00+07:00']);
    assert.deepEqual(labels(from, Date.UTC(2026, 0, 1, 2, 0, 0, 1), zone, 'hour').length, 3);
    assert.deepEqual(labels(from, from, zone, 'hour'), []);
    assert.deepEqual(labels(from + HOUR, from, zone, 'day'), []);
    assert.equal(labels(Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1, 6, 40), zone, 'minute').length, 400);
    assert.equal(labels(Date.UTC(2025, 11, 31, 17), Date.UTC(2026, 11, 31, 17), zone, 'month').length, 12);
    assert.equal(labels(Date.UTC(2025, 11, 31, 17), Date.UTC(2026, 11, 31, 17), zone, 'day').length, 365);
  });

  it('keeps every bucket contiguous with a key of its own through a year of days and around every change', () => {
    const zones = ['America/New_York', 'Europe/London', 'Asia/Kathmandu', 'Australia/Adelaide', 'Asia/Ho_Chi_Minh', 'Australia/Lord_Howe'];
    const year = [Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)] as const;
    for (const zone of zones) {
      assertWellFormed(...year, zone, 'day');
      assertWellFormed(...year, zone, 'month');
      const changes: number[] = [];
      for (let at = year[0]; at < year[1]; at += HOUR) if (offsetAt(at, zone) !== offsetAt(at + HOUR, zone)) changes.push(at);
      for (const change of changes) {
        assertWellFormed(change - 30 * HOUR, change + 30 * HOUR, zone, 'hour');
        assertWellFormed(change - 2 * HOUR, change + 2 * HOUR, zone, 'minute');
      }
      assert.equal(changes.length, ['Asia/Kathmandu', 'Asia/Ho_Chi_Minh'].includes(zone) ? 0 : 2, zone);
    }
  });

  it('refuses a time that is not a number', () => {
    for (const period of PERIODS) {
      assert.throws(() => bucketStart(NaN, 'UTC', period), RangeError);
      assert.throws(() => bucketKey(Infinity, 'UTC', period), RangeError);
      assert.throws(() => [...bucketsBetween(0, NaN, 'UTC', period)], RangeError);
    }
  });
});

describe('bucketsOfMinute', () => {
  it('names the hour, day and month of a minute key as bucketKey does, across a DST end and in a 45-minute zone', () => {
    const cases: [string, number][] = [
      // 01:30 comes twice on 2026-11-01 in New York: once at -04:00, once at -05:00.
      ['America/New_York', Date.UTC(2026, 10, 1, 5, 30)],
      ['America/New_York', Date.UTC(2026, 10, 1, 6, 30)],
      ['Asia/Kathmandu', Date.UTC(2026, 0, 31, 18, 20)],
      ['Asia/Ho_Chi_Minh', Date.UTC(2026, 11, 31, 17, 5)],
    ];
    for (const [zone, at] of cases) {
      const expected = Object.fromEntries(PERIODS.map((period) => [period, bucketKey(at, zone, period)]));
      assert.deepEqual(bucketsOfMinute(bucketKey(at, zone, 'minute')), expected, `${zone} at ${new Date(at).toISOString()}`);
    }
  });
});
