import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { periodsAt } from '../src/calendar.js';

describe('periodsAt', () => {
  it("uses the site's time zone for today and this month", () => {
    const lateUtc = Date.UTC(2026, 10, 30, 17, 30); // 2026-12-01 00:30 in Hanoi (UTC+7)
    assert.deepEqual(periodsAt(lateUtc, 'UTC'), { day: '2026-11-30', month: '2026-11' });
    assert.deepEqual(periodsAt(lateUtc, 'Asia/Ho_Chi_Minh'), { day: '2026-12-01', month: '2026-12' });
    assert.deepEqual(periodsAt(lateUtc, 'America/New_York'), { day: '2026-11-30', month: '2026-11' });
  });

  it('follows daylight saving time', () => {
    // 22:30 UTC is 23:30 the same day before the spring switch (CET) and 00:30 the next day after it (CEST)
    assert.equal(periodsAt(Date.UTC(2026, 2, 29, 22, 30), 'Europe/Berlin').day, '2026-03-30');
    assert.equal(periodsAt(Date.UTC(2026, 2, 28, 22, 30), 'Europe/Berlin').day, '2026-03-28');
  });
});
