// Which days' pages may be asked for, in the site's own calendar, and the shared reader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDayPagesReader, keptDays, parseDay } from '../src/day-pages.js';
import { parseSites } from '../src/sites.js';
import type { DayPage, Store } from '../src/store/store.js';

const sites = parseSites({
  sites: [
    { id: 'hanoi', origins: ['https://a.vn'], memberSecret: 's'.repeat(32), timeZone: 'Asia/Ho_Chi_Minh' },
    { id: 'utc', origins: ['https://b.vn'], memberSecret: 's'.repeat(32) },
  ],
});
const hanoi = sites.get('hanoi')!;
const utc = sites.get('utc')!;

describe('day pages', () => {
  it("keeps the site's today and the 34 days before, across months and years", () => {
    // 2026-01-10 20:00 UTC is 2026-01-11 03:00 in Hanoi.
    const at = Date.UTC(2026, 0, 10, 20);
    assert.deepEqual(keptDays(hanoi, at), { first: '2025-12-08', last: '2026-01-11' });
    assert.deepEqual(keptDays(utc, at), { first: '2025-12-07', last: '2026-01-10' });
    assert.deepEqual(keptDays(utc, Date.UTC(2028, 2, 1)), { first: '2028-01-27', last: '2028-03-01' }, 'a leap year has 29 February');
  });

  it('reads a day, defaults to today and names the field when it refuses', () => {
    const at = Date.UTC(2026, 0, 10, 20);
    assert.equal(parseDay(undefined, hanoi, at), '2026-01-11');
    assert.equal(parseDay('2025-12-08', hanoi, at), '2025-12-08');
    assert.throws(() => parseDay('2025-12-07', hanoi, at), /^Error: day: expected a day from 2025-12-08 to 2026-01-11/);
    assert.throws(() => parseDay('2026-01-12', hanoi, at), /day: expected a day from/);
    for (const bad of ['2026-02-29', '2026-1-1', '2026-01-01 ', ['2026-01-01'], 20260101]) {
      assert.throws(() => parseDay(bad, hanoi, at), /^Error: day: expected a date YYYY-MM-DD$/, String(bad));
    }
  });

  it('shares one store read per site, day and limit, leaves out unknown meta, and reads again past its age', async () => {
    const calls: string[] = [];
    let listener: (site: string) => void = () => {};
    const store = {
      dayPages: async (_site: string, day: string, limit: number): Promise<DayPage[]> => {
        calls.push(`${day}/${limit}`);
        return [
          { url: 'https://a.vn/1', title: 'Một', section: 'Thời sự', pageviews: 5, engagedSeconds: 42 },
          { url: 'https://a.vn/2', pageviews: 1, engagedSeconds: 0 },
        ];
      },
      onChange: (l: (site: string) => void) => void (listener = l),
    } as unknown as Store;
    let now = 0;
    const reader = createDayPagesReader(store, () => now, 1_000);
    const [a, b] = await Promise.all([reader.read(hanoi, '2026-01-11', 10), reader.read(hanoi, '2026-01-11', 10)]);
    assert.equal(a, b);
    assert.deepEqual(a, {
      site: 'hanoi',
      day: '2026-01-11',
      pages: [
        { url: 'https://a.vn/1', title: 'Một', section: 'Thời sự', pageviews: 5, engagedSeconds: 42 },
        { url: 'https://a.vn/2', pageviews: 1, engagedSeconds: 0 },
      ],
    });
    await reader.read(hanoi, '2026-01-10', 10);
    assert.equal(calls.length, 2);
    listener('hanoi');
    await reader.read(hanoi, '2026-01-11', 10);
    assert.equal(calls.length, 3);
    for (let limit = 1; limit <= 100; limit++) await reader.read(hanoi, '2026-01-11', limit);
    now += 1_000;
    await reader.read(hanoi, '2026-01-11', 10);
    assert.equal(calls.at(-1), '2026-01-11/10', 'an entry past its age is read again');
  });
});
