// The Redis store's history where only a shared, crash-prone backend can go wrong: instances that
// each see the same site-wide figure, the heartbeat's samples, a killed instance and a Redis restart.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { bucketKey, type Period } from '../../../src/audience/calendar-buckets.js';
import { periodsAt } from '../../../src/calendar.js';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../../src/store/redis/redis-store.js';
import type { HistoryPeak, HistoryPoint, JoinInput, Kind } from '../../../src/store/store.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { adminClient, allKeys, PREFIX, READING, SITE, startCrashingInstance, storeOptions, waitFor } from './harness.js';

const ZONE = 'Asia/Ho_Chi_Minh';
/** 09:41:05 +07:00: a test's few seconds stay inside one local minute. */
const T = Date.UTC(2026, 10, 26, 2, 41, 5);
const PERIODS: readonly Period[] = ['minute', 'hour', 'day', 'month'];
const peak = (online: number, guests: number, members: number, bots: number): HistoryPeak => ({ online, guests, members, bots });
const figures = ({ pageviews, visits, peak: p }: HistoryPoint) => ({ pageviews, visits, peak: p });

describe('redis store history', { timeout: 20_000 }, () => {
  let server: RedisServer;
  let stores: RedisStore[] = [];
  let n = 0;
  const psid = () => `history-page-${++n}`;
  /** Starts at T and runs with real time, so heartbeats and reaps happen; `skip` moves it on. */
  let skip = 0;
  let started = Date.now();
  const clock = () => T + skip + (Date.now() - started);
  const input = (identity: string, kind: Kind = 'guest', at = clock()): JoinInput =>
    ({ site: SITE, psid: psid(), identity, visitor: kind === 'guest' ? identity : `vid-${identity}`, kind, now: at, periods: periodsAt(at, ZONE), ...READING });
  const open = async (options: Partial<RedisStoreOptions> = {}) => {
    const store = await createRedisStore(storeOptions(server, { clock, periodsAt: (_site, at) => periodsAt(at, ZONE), logger: { warn() {} }, ...options }));
    stores.push(store);
    return store;
  };
  const pointsAt = (store: RedisStore, at: number) =>
    Promise.all(PERIODS.map(async (period) => figures((await store.history(SITE, period, [bucketKey(at, ZONE, period)]))[0]!)));
  const start = async (options: { appendonly?: boolean } = {}) => {
    server = await startRedisServer(options);
    skip = 0;
    started = Date.now();
  };

  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    stores = [];
    await server.stop();
  });

  it('refuses bad bucket keys and imports before any Redis call, and a read creates no key', async () => {
    await start();
    const store = await open({ sites: [] });
    await assert.rejects(store.history(SITE, 'minute', ['2026-11-26T09:41']), TypeError);
    await assert.rejects(store.history(SITE, 'hour', ['2026-11-26T09:41+07:00']), TypeError);
    await assert.rejects(store.history(SITE, 'week' as Period, ['2026-W48']), /period/);
    await assert.rejects(store.history('{x}', 'day', ['2026-11-26']), TypeError);
    await assert.rejects(store.importHistory(SITE, 'day', [{ key: '2026-11-26', visits: -1, pageviews: 0 }]), /visits/);
    await assert.rejects(store.importHistory(SITE, 'day', [{ key: '2026-11', visits: 1, pageviews: 1 }]), TypeError);
    const twice = { key: '2026-11-25', visits: 1, pageviews: 2 };
    await assert.rejects(store.importHistory(SITE, 'day', [twice, twice]), /twice/);
    await store.history('unknown-site', 'minute', [bucketKey(T, ZONE, 'minute')]);
    const admin = adminClient(server);
    assert.deepEqual(await allKeys(admin), [], 'nothing written');
    admin.disconnect();
  });

  it('keeps the most of the site-wide figure, not a sum over instances', async () => {
    await start();
    const [a, b] = [await open({ presenceTtlMs: 300 }), await open({ presenceTtlMs: 300 })];
    await a.join(input('visitor-a'));
    await b.join(input('visitor-b'));
    await b.join(input('member-1', 'member'));
    // Both instances' heartbeats sample the same site-wide figures several times.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const want = { pageviews: 3, visits: 3, peak: peak(3, 2, 1, 0) };
    assert.deepEqual(await pointsAt(a, T), [want, want, want, want]);
    assert.deepEqual(await pointsAt(b, T), [want, want, want, want], 'the same from either instance');
  });

  it('records the figures that held into a minute without a change (the heartbeat samples them)', async () => {
    await start();
    const store = await open({ presenceTtlMs: 300 });
    await store.join(input('visitor-a'));
    skip = 5 * 60_000;
    const later = clock();
    await waitFor('a heartbeat in the later minute', async () => (await pointsAt(store, later))[0]!.peak.online === 1);
    assert.deepEqual((await pointsAt(store, later))[0], { pageviews: 0, visits: 0, peak: peak(1, 1, 0, 0) });
    assert.deepEqual((await pointsAt(store, T + 60_000))[0], { pageviews: 0, visits: 0, peak: peak(0, 0, 0, 0) }, 'no sample fell in it');
  });

  it('rolls a minute over into its minute, hour, day and month once, reading alike before and after, and adds a late record on top', async () => {
    await start();
    const [a, b] = [await open({ presenceTtlMs: 300 }), await open({ presenceTtlMs: 300 })];
    await a.join(input('visitor-a'));
    await b.join(input('visitor-b'));
    const admin = adminClient(server);
    const pending = `${PREFIX}:{${SITE}}:online`;
    const minute = bucketKey(T, ZONE, 'minute');
    assert.equal(await admin.hexists(pending, minute), 1, 'pending while its minute runs');
    const before = await pointsAt(a, T);
    const want = { pageviews: 2, visits: 2, peak: peak(2, 2, 0, 0) };
    assert.deepEqual(before, [want, want, want, want]);
    skip = 3 * 60_000; // the heartbeats of both instances now find the minute over
    await waitFor('the minute to be rolled up', async () => (await admin.hexists(pending, minute)) === 0);
    assert.deepEqual(await pointsAt(a, T), before, 'the same once rolled up by either of two instances');
    assert.deepEqual(await pointsAt(b, T), before);
    // A join by a clock still in that minute records after the rollup: it is added on top.
    await a.join(input('visitor-c', 'guest', T + 1_000));
    const late = await pointsAt(b, T);
    assert.deepEqual(late.map((point) => point.pageviews), [3, 3, 3, 3]);
    await waitFor('the late record to be rolled up', async () => (await admin.hexists(pending, minute)) === 0);
    assert.deepEqual(await pointsAt(a, T), late);
    admin.disconnect();
  });

  it('reads totals the same while their minutes are pending and once rolled up, set totals included', async () => {
    await start();
    const store = await open({ presenceTtlMs: 300 });
    await store.join(input('visitor-a'));
    await store.join(input('visitor-b'));
    const admin = adminClient(server);
    const online = `${PREFIX}:{${SITE}}:online`;
    const minute = bucketKey(T, ZONE, 'minute');
    const today = periodsAt(T, ZONE);
    const tomorrow = periodsAt(T + 86_400_000, ZONE);
    const totals = async () => {
      const [now, next] = [await store.read(SITE, today), await store.read(SITE, tomorrow)];
      return { pageviews: now.pageviews, visits: now.visits, yesterday: next.pageviews.yesterday };
    };
    assert.equal(await admin.hexists(`${PREFIX}:{${SITE}}:tot`, 'pageviews'), 0, 'the joins wrote no totals');
    assert.deepEqual(await totals(), {
      pageviews: { total: 2, today: 2, month: 2, yesterday: 0 }, visits: { total: 2, today: 2, month: 2, yesterday: 0 }, yesterday: 2,
    });
    await store.setTotals(SITE, { pageviews: 1_000, visits: 500 });
    const pending = await totals();
    assert.deepEqual(pending, {
      pageviews: { total: 1_000, today: 2, month: 2, yesterday: 0 }, visits: { total: 500, today: 2, month: 2, yesterday: 0 }, yesterday: 2,
    });
    skip = 3 * 60_000;
    await waitFor('the minute to be rolled up', async () => (await admin.hexists(online, minute)) === 0);
    assert.deepEqual(await totals(), pending, 'the same once rolled up');
    assert.ok((await admin.ttl(`${PREFIX}:{${SITE}}:day:${today.day}`)) > 0, 'the day\'s totals expire');
    await store.join(input('visitor-c'));
    assert.equal((await store.read(SITE, periodsAt(clock(), ZONE))).pageviews.total, 1_001);
    admin.disconnect();
  });

  it('rolls minutes pending from version 5 into history without adding them to the totals again', async () => {
    await start();
    const admin = adminClient(server);
    const legacy = `${PREFIX}:{${SITE}}:hpend`;
    const minute = bucketKey(T, ZONE, 'minute');
    // Version 5's joins counted these 5 pageviews and 3 visits in the totals already.
    await admin.hset(`${PREFIX}:{${SITE}}:tot`, { pageviews: 5, visits: 3 });
    await admin.hset(legacy, minute, `5 3 2 2 0 0 ${T} ${T}`);
    const store = await open({ presenceTtlMs: 300 });
    await store.join(input('visitor-a'));
    const want = { pageviews: 6, visits: 4, peak: peak(2, 2, 0, 0) };
    assert.deepEqual(await pointsAt(store, T), [want, want, want, want], 'both pending entries read');
    const counts = async () => {
      const read = await store.read(SITE, periodsAt(T, ZONE));
      return { pageviews: read.pageviews, visits: read.visits };
    };
    const before = await counts();
    assert.deepEqual(before, { pageviews: { total: 6, today: 1, month: 1, yesterday: 0 }, visits: { total: 4, today: 1, month: 1, yesterday: 0 } });
    skip = 3 * 60_000;
    await waitFor('both minutes to be rolled up', async () => (await admin.exists(legacy)) === 0 && (await admin.hexists(`${PREFIX}:{${SITE}}:online`, minute)) === 0);
    assert.deepEqual(await pointsAt(store, T), [want, want, want, want], 'the same once rolled up');
    assert.deepEqual(await counts(), before, 'the old minute added nothing to the totals');
    admin.disconnect();
  });

  it('keeps a minute\'s and a day\'s figures when an instance is killed -9 in the middle of it', async () => {
    await start();
    const presenceTtlMs = 300;
    const survivor = await open({ presenceTtlMs });
    await survivor.join(input('visitor-a'));
    const { child } = await startCrashingInstance(server, presenceTtlMs, [input('visitor-b'), input('visitor-c'), input('crawler', 'bot')], clock() - Date.now());
    child.kill('SIGKILL');
    await once(child, 'exit');
    await waitFor('the killed instance to be reaped', async () => (await survivor.read(SITE, periodsAt(clock(), ZONE))).online.guest === 1);
    await survivor.join(input('visitor-d'));
    const want = { pageviews: 4, visits: 4, peak: peak(3, 3, 0, 1) };
    assert.deepEqual(await pointsAt(survivor, T), [want, want, want, want], 'pageviews exact, the peak as it was before the crash');
    assert.equal(bucketKey(clock(), ZONE, 'minute'), bucketKey(T, ZONE, 'minute'), 'all in one minute');
  });

  it('keeps a minute\'s and a day\'s figures across a Redis restart in the middle of it (appendonly)', async () => {
    await start({ appendonly: true });
    const store = await open({ presenceTtlMs: 300 });
    const first = input('visitor-a');
    await store.join(first);
    await store.join(input('visitor-b'));
    await store.leave(SITE, first.psid, clock());
    await server.restart();
    // A join during the restart waits for Redis and counts once it is back.
    await store.join(input('visitor-c'));
    await new Promise((resolve) => setTimeout(resolve, 400)); // heartbeats after the restart
    const want = { pageviews: 3, visits: 3, peak: peak(2, 2, 0, 0) };
    assert.deepEqual(await pointsAt(store, T), [want, want, want, want]);
    assert.equal(bucketKey(clock(), ZONE, 'minute'), bucketKey(T, ZONE, 'minute'), 'all in one minute');
  });
});
