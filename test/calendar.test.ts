import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { periodsAt } from '../src/calendar.js';

describe('periodsAt', () => {
  it("uses the site's time zone for today and this month", () => {
    const lateUtc = Date.UTC(2026, 10, 30, 17, 30); // 2026-12-01 00:30 in Hanoi (UTC+7)
    assert.deepEqual(periodsAt(lateUtc, 'UTC'), {
      day: '2026-11-30', month: '2026-11', hour: '2026-11-30T17+00:00', minute: '2026-11-30T17:30+00:00', yesterday: '2026-11-29',
    });
    assert.deepEqual(periodsAt(lateUtc, 'Asia/Ho_Chi_Minh'), {
      day: '2026-12-01', month: '2026-12', hour: '2026-12-01T00+07:00', minute: '2026-12-01T00:30+07:00', yesterday: '2026-11-30',
    });
    assert.deepEqual(periodsAt(lateUtc, 'America/New_York'), {
      day: '2026-11-30', month: '2026-11', hour: '2026-11-30T12-05:00', minute: '2026-11-30T12:30-05:00', yesterday: '2026-11-29',
    });
  });

  it('follows daylight saving time', () => {
    // 22:30 UTC is 23:30 the same day before the spring switch (CET) and 00:30 the next day after it (CEST)
    assert.equal(periodsAt(Date.UTC(2026, 2, 29, 22, 30), 'Europe/Berlin').day, '2026-03-30');
    assert.equal(periodsAt(Date.UTC(2026, 2, 28, 22, 30), 'Europe/Berlin').day, '2026-03-28');
  });

  it('gives yesterday across a month and a year boundary', () => {
    assert.equal(periodsAt(Date.UTC(2027, 0, 1, 3), 'UTC').yesterday, '2026-12-31');
    assert.equal(periodsAt(Date.UTC(2028, 2, 1, 3), 'UTC').yesterday, '2028-02-29');
    // 2026-03-01 00:10 in Hanoi is still 28 February in UTC
    assert.equal(periodsAt(Date.UTC(2026, 1, 28, 17, 10), 'Asia/Ho_Chi_Minh').yesterday, '2026-02-28');
  });

  it('keeps the repeated hour apart when clocks go back, and moves on every minute', () => {
    // New York, 2026-11-01: 01:30 EDT (05:30 UTC) and 01:30 EST (06:30 UTC)
    const first = periodsAt(Date.UTC(2026, 10, 1, 5, 30), 'America/New_York');
    const second = periodsAt(Date.UTC(2026, 10, 1, 6, 30), 'America/New_York');
    assert.equal(first.hour, '2026-11-01T01-04:00');
    assert.equal(second.hour, '2026-11-01T01-05:00');
    assert.equal(first.day, second.day);
    const later = periodsAt(Date.UTC(2026, 10, 1, 6, 31), 'America/New_York');
    assert.equal(later.minute, '2026-11-01T01:31-05:00');
    assert.equal(periodsAt(Date.UTC(2026, 10, 1, 6, 31, 59), 'America/New_York'), later);
  });
});
