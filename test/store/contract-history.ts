// The store contract's history: pageviews, visits and most online per minute, hour, day and month in the
// site's time zone (keys from src/calendar.ts periodsAt), yesterday's totals, imports and restarts. Every
// store runs these. What only one store can promise (the embedded store's exact fill of a minute without
// events, retention by its clock) is in that store's own tests.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { bucketKey, bucketsBetween, type Period } from '../../src/audience/calendar-buckets.js';
import { periodsAt } from '../../src/calendar.js';
import type { HistoryPeak, HistoryPoint, JoinInput, JoinResult, Kind, Store, StoreOptions } from '../../src/store/store.js';
import type { StoreHarness } from './contract.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const WINDOW = 30 * MINUTE;
const READING = { page: { url: 'https://news.example/' }, source: 'direct', engaged: true } as const;
const NOBODY: HistoryPeak = { online: 0, guests: 0, members: 0, bots: 0 };

/** The figures every store gives for a point, without the day and month extras. */
const figures = ({ pageviews, visits, peak }: HistoryPoint) => ({ pageviews, visits, peak });
const peak = (online: number, guests: number, members: number, bots: number): HistoryPeak => ({ online, guests, members, bots });

export function historyContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}: history`, () => {
    let harness: StoreHarness;
    let store: Store;
    let now: number;
    let zone: string;
    const site = 'contract';
    const options = (): StoreOptions => ({ visitWindowMs: WINDOW, clock: () => now, periodsAt: (_site, at) => periodsAt(at, zone) });
    let n = 0;
    const psid = () => `history-session-${++n}`;
    const join = (identity: string, kind: Kind = 'guest', id = psid(), at = now): Promise<JoinResult> =>
      store.join({ site, psid: id, identity, visitor: kind === 'guest' ? identity : `vid-of-${identity}`, kind, now: at, periods: periodsAt(at, zone), ...READING } satisfies JoinInput);
    const leave = (id: string, at = now) => store.leave(site, id, at);
    const key = (at: number, period: Period) => bucketKey(at, zone, period);
    const pointAt = async (at: number, period: Period) => (await store.history(site, period, [key(at, period)]))[0]!;

    beforeEach(async () => {
      zone = 'America/New_York';
      now = Date.UTC(2026, 10, 26, 15, 0, 0);
      harness = await makeHarness();
      store = await harness.open(options());
    });

    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    it('history: counts pageviews and visits per minute, hour, day and month through a local midnight and a DST change', async () => {
      // 23:40 EDT on Oct 31 to 02:20 EST on Nov 1: midnight, then 01:00-02:00 twice (EDT, then EST).
      const start = Date.UTC(2026, 10, 1, 3, 40);
      const end = Date.UTC(2026, 10, 1, 7, 20);
      const expected: Record<Period, Map<string, { pageviews: number; visits: number }>> = { minute: new Map(), hour: new Map(), day: new Map(), month: new Map() };
      let pageviews = 0;
      let visits = 0;
      for (let i = 0, at = start; at < end; i++, at += 7 * MINUTE + 13 * SECOND) {
        now = at;
        const id = psid();
        // Regulars come back within the window (one visit); the others are new visitors.
        const result = await join(i % 3 === 0 ? `new-${i}` : `regular-${i % 2}`, 'guest', id);
        for (const period of ['minute', 'hour', 'day', 'month'] as const) {
          const counted = expected[period].get(key(at, period)) ?? { pageviews: 0, visits: 0 };
          counted.pageviews += Number(result.pageview);
          counted.visits += Number(result.visit);
          expected[period].set(key(at, period), counted);
        }
        pageviews += Number(result.pageview);
        visits += Number(result.visit);
        now = at + 3 * MINUTE;
        await leave(id);
      }
      assert.ok(visits > 10 && visits < pageviews, 'both new visits and pageviews within a visit');
      const hours = [...bucketsBetween(start, end, zone, 'hour')].map((bucket) => bucket.key);
      assert.ok(hours.includes('2026-11-01T01-04:00') && hours.includes('2026-11-01T01-05:00'), 'the repeated hour is two buckets');
      for (const period of ['minute', 'hour', 'day', 'month'] as const) {
        const keys = [...bucketsBetween(start, end, zone, period)].map((bucket) => bucket.key);
        const points = await store.history(site, period, keys);
        assert.equal(points.length, keys.length);
        const got = keys.map((k, i) => [k, points[i]!.pageviews, points[i]!.visits]);
        const want = keys.map((k) => [k, expected[period].get(k)?.pageviews ?? 0, expected[period].get(k)?.visits ?? 0]);
        assert.deepEqual(got, want, period);
        assert.equal(points.reduce((sum, point) => sum + point.pageviews, 0), pageviews, `${period}: every pageview once`);
        assert.equal(points.reduce((sum, point) => sum + point.visits, 0), visits, `${period}: every visit once`);
      }
      assert.deepEqual(
        (await store.history(site, 'day', ['2026-10-31', '2026-11-01'])).map((point) => point.pageviews),
        [expected.day.get('2026-10-31')!.pageviews, expected.day.get('2026-11-01')!.pageviews],
      );
    });

    it('history: keys buckets in a zone 45 minutes off the hour (Asia/Kathmandu)', async () => {
      zone = 'Asia/Kathmandu';
      const before = Date.UTC(2026, 10, 26, 18, 14, 30); // 23:59:30 +05:45
      const after = Date.UTC(2026, 10, 26, 18, 16); // 00:01 on the 27th
      await join('visitor-a', 'guest', psid(), before);
      await join('visitor-b', 'guest', psid(), after);
      now = after + MINUTE;
      assert.equal(key(before, 'minute'), '2026-11-26T23:59+05:45');
      const one = { pageviews: 1, visits: 1 };
      const count = ({ pageviews, visits }: HistoryPoint) => ({ pageviews, visits });
      assert.deepEqual((await store.history(site, 'minute', ['2026-11-26T23:59+05:45', '2026-11-27T00:00+05:45', '2026-11-27T00:01+05:45'])).map(count), [one, { pageviews: 0, visits: 0 }, one]);
      assert.deepEqual((await store.history(site, 'hour', ['2026-11-26T23+05:45', '2026-11-27T00+05:45'])).map(count), [one, one]);
      assert.deepEqual((await store.history(site, 'day', ['2026-11-26', '2026-11-27'])).map(count), [one, one]);
      assert.deepEqual((await store.history(site, 'month', ['2026-11'])).map(count), [{ pageviews: 2, visits: 2 }]);
    });

    it('history: counts nothing for resumes and bots, and a repeated join once', async () => {
      const minute = now;
      const id = psid();
      await join('visitor-a', 'guest', id);
      await join('visitor-a', 'guest', id);
      now += 10 * SECOND;
      await leave(id);
      now = minute + MINUTE;
      assert.deepEqual(await join('visitor-a', 'guest', id), { pageview: false, visit: false }, 'a resume');
      now = minute + 2 * MINUTE;
      await join('crawler-1', 'bot');
      const points = await store.history(site, 'minute', [key(minute, 'minute'), key(minute + MINUTE, 'minute'), key(minute + 2 * MINUTE, 'minute')]);
      assert.deepEqual(points.map(figures), [
        { pageviews: 1, visits: 1, peak: peak(1, 1, 0, 0) },
        { pageviews: 0, visits: 0, peak: peak(1, 1, 0, 0) },
        { pageviews: 0, visits: 0, peak: peak(1, 1, 0, 1) },
      ]);
      assert.deepEqual(figures(await pointAt(minute, 'hour')), { pageviews: 1, visits: 1, peak: peak(1, 1, 0, 1) });
      assert.deepEqual(figures(await pointAt(minute, 'day')), { pageviews: 1, visits: 1, peak: peak(1, 1, 0, 1) });
    });

    it('history: keeps each figure\'s own most at once per bucket, also one reached before a leave inside it', async () => {
      const minute = now;
      const [a, b, m, c] = [psid(), psid(), psid(), psid()];
      await join('visitor-a', 'guest', a, now);
      await join('visitor-b', 'guest', b, now + SECOND);
      const peakAt = now + 2 * SECOND;
      await join('member-1', 'member', m, peakAt);
      await join('crawler-1', 'bot', psid(), now + 3 * SECOND);
      now += 10 * SECOND;
      await leave(a);
      await leave(b);
      now += 10 * SECOND;
      await join('visitor-c', 'guest', c);
      now = minute + MINUTE + 10 * SECOND;
      await leave(c);
      await leave(m);
      const [first, second] = await store.history(site, 'minute', [key(minute, 'minute'), key(minute + MINUTE, 'minute')]);
      assert.deepEqual(first!.peak, peak(3, 2, 1, 1), 'the peak came before two leaves in the same minute');
      assert.deepEqual(second!.peak, peak(2, 1, 1, 1), 'the figures that held until the leaves');
      assert.deepEqual((await pointAt(minute, 'hour')).peak, peak(3, 2, 1, 1));
      const day = await pointAt(minute, 'day');
      assert.deepEqual(day.peak, peak(3, 2, 1, 1));
      assert.equal(day.peakAt, peakAt);
      const month = await pointAt(minute, 'month');
      assert.deepEqual(month.peak, peak(3, 2, 1, 1));
      assert.equal(month.peakAt, peakAt);
    });

    it('history: keeps the online figure that held in the buckets of a join and of a later leave', async () => {
      const minute = now;
      const id = psid();
      await join('visitor-a', 'guest', id);
      now = minute + 2 * MINUTE + 30 * SECOND;
      await leave(id);
      now += MINUTE;
      const [joined, left, after] = await store.history(site, 'minute', [key(minute, 'minute'), key(minute + 2 * MINUTE, 'minute'), key(minute + 3 * MINUTE, 'minute')]);
      assert.deepEqual(figures(joined!), { pageviews: 1, visits: 1, peak: peak(1, 1, 0, 0) });
      assert.deepEqual(figures(left!), { pageviews: 0, visits: 0, peak: peak(1, 1, 0, 0) }, 'online until the leave');
      assert.deepEqual(figures(after!), { pageviews: 0, visits: 0, peak: NOBODY }, 'nobody after it');
    });

    it('history: gives yesterday\'s whole local day in read()', async () => {
      const yesterday = Date.UTC(2026, 10, 26, 4, 30); // 23:30 EST on the 25th
      await join('visitor-a', 'guest', psid(), yesterday);
      await join('visitor-b', 'guest', psid(), yesterday + 10 * MINUTE); // 23:40, still the 25th
      await join('visitor-c', 'guest', psid(), Date.UTC(2026, 10, 26, 5, 10)); // 00:10 on the 26th
      const counts = await store.read(site, periodsAt(now, zone));
      assert.deepEqual(counts.visits, { total: 3, today: 1, month: 3, yesterday: 2 });
      assert.deepEqual(counts.pageviews, { total: 3, today: 1, month: 3, yesterday: 2 });
    });

    it('history: imports day and month counts: sets them, marks them imported, twice the same, totals untouched', async () => {
      await join('visitor-a');
      const today = periodsAt(now, zone).day;
      const days = [
        { key: '2026-11-24', visits: 120, pageviews: 300 },
        { key: today, visits: 7, pageviews: 9 },
      ];
      const months = [{ key: '2026-10', visits: 3_000, pageviews: 8_000 }];
      for (let i = 0; i < 2; i++) {
        await store.importHistory(site, 'day', days);
        await store.importHistory(site, 'month', months);
        const [imported, empty, counted] = await store.history(site, 'day', ['2026-11-24', '2026-11-25', today]);
        assert.deepEqual({ ...figures(imported!), imported: imported!.imported }, { pageviews: 300, visits: 120, peak: NOBODY, imported: true });
        assert.deepEqual(figures(empty!), { pageviews: 0, visits: 0, peak: NOBODY });
        assert.equal(empty!.imported ?? false, false);
        assert.deepEqual({ ...figures(counted!), imported: counted!.imported }, { pageviews: 9, visits: 7, peak: peak(1, 1, 0, 0), imported: true }, 'set, not added; its peak stays');
        const [october, november] = await store.history(site, 'month', ['2026-10', '2026-11']);
        assert.deepEqual({ ...figures(october!), imported: october!.imported }, { pageviews: 8_000, visits: 3_000, peak: NOBODY, imported: true });
        assert.equal(november!.imported ?? false, false);
        assert.equal(november!.pageviews, 1);
        const counts = await store.read(site, periodsAt(now, zone));
        assert.equal(counts.pageviews.total, 1, 'lifetime totals untouched');
        assert.equal(counts.visits.total, 1);
      }
    });

    it('history: gives zeros for buckets nothing happened in', async () => {
      for (const [period, keys] of [
        ['minute', ['2026-11-26T10:00-05:00', '2020-01-01T00:00+00:00']],
        ['hour', ['2026-11-26T10-05:00']],
        ['day', ['2026-11-26', '1999-12-31']],
        ['month', ['2026-11']],
      ] as const) {
        const points = await store.history(site, period, keys);
        assert.deepEqual(points.map(figures), keys.map(() => ({ pageviews: 0, visits: 0, peak: NOBODY })), period);
        if (period === 'day' || period === 'month') for (const point of points) assert.equal(point.peakAt ?? null, null);
      }
      assert.deepEqual(await store.history(site, 'day', []), []);
      assert.deepEqual(await store.history('never-seen', 'day', ['2026-11-26']).then((points) => points.map(figures)), [{ pageviews: 0, visits: 0, peak: NOBODY }]);
    });

    it('history: keeps the series across a close and reopen', async () => {
      const minute = now;
      await join('visitor-a');
      await join('member-1', 'member');
      await store.importHistory(site, 'day', [{ key: '2026-11-20', visits: 4, pageviews: 5 }]);
      now += 10 * SECOND;
      const before = await Promise.all((['minute', 'hour', 'day', 'month'] as const).map((period) => pointAt(minute, period).then(figures)));
      await store.close();
      store = await harness.open(options());
      const after = await Promise.all((['minute', 'hour', 'day', 'month'] as const).map((period) => pointAt(minute, period).then(figures)));
      assert.deepEqual(after, before);
      assert.deepEqual(before[0], { pageviews: 2, visits: 2, peak: peak(2, 1, 1, 0) });
      const [imported] = await store.history(site, 'day', ['2026-11-20']);
      assert.equal(imported!.pageviews, 5);
      assert.equal(imported!.imported, true);
      assert.equal((await pointAt(minute, 'day')).peakAt, minute);
    });
  });
}
