// The Redis store's live pages where only a shared, crash-prone backend can go wrong: a crashed
// instance's readers, a page session moving between instances, replies lost and re-sent, the keys a
// page leaves behind, and what a pageview with its page costs Redis (commands, memory).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { Keys } from '../../../src/store/redis/keys.js';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../../src/store/redis/redis-store.js';
import { historyTarget } from '../../../src/store/redis/history.js';
import { Scripts } from '../../../src/store/redis/scripts.js';
import { DAY_PAGES_KEEP_DAYS, DAY_PAGES_MAX, type JoinInput, type LiveFigures, type Source } from '../../../src/store/store.js';
import { startRedisProxy } from '../../support/redis-proxy.js';
import { PERSISTENT, type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { sources } from '../contract-live.js';
import { adminClient, allKeys, ARTICLE, DAY, PREFIX, SITE, startCrashingInstance, storeOptions, transportFor, waitFor } from './harness.js';

const OTHER_ARTICLE = 'https://news.example/a/2';
const NOBODY: LiveFigures = { engaged: 0, sources: sources(), referrers: [], pages: [] };
/** The keys that exist only while someone reads a page. */
const LIVE_KEY = /:(pages|pmeta|psrc|preaders|who|refs)$/;

interface Reading {
  readonly url?: string;
  readonly source?: Source;
  readonly referrerHost?: string;
  readonly engaged?: boolean;
  readonly title?: string;
}

describe('redis store: live pages', { timeout: 30_000 }, () => {
  let server: RedisServer;
  let admin: Redis;
  let stores: RedisStore[];
  let warnings: string[];
  let n = 0;
  const psid = () => `live-session-${++n}`;
  const input = (identity: string, how: Reading = {}, id = psid()): JoinInput => ({
    site: SITE, psid: id, identity, visitor: identity, kind: 'guest', now: Date.now(), periods: DAY,
    page: { url: how.url ?? ARTICLE, title: how.title }, source: how.source ?? 'direct', referrerHost: how.referrerHost, engaged: how.engaged ?? true,
  });
  const open = async (options: Partial<RedisStoreOptions> = {}) => {
    const store = await createRedisStore(storeOptions(server, { logger: { warn: (_, msg) => warnings.push(msg) }, ...options }));
    stores.push(store);
    return store;
  };
  const liveKeys = async () => (await allKeys(admin)).filter((key) => LIVE_KEY.test(key));
  const reapWhilePaused = (store: RedisStore) => {
    const keys = new Keys(PREFIX).site(SITE);
    return new Scripts(admin).reap(keys, store.instanceId, Date.now(), false, historyTarget(keys, undefined));
  };

  beforeEach(async () => {
    server = await startRedisServer(PERSISTENT);
    admin = adminClient(server);
    stores = [];
    warnings = [];
  });

  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    admin.disconnect();
    await server.stop();
  });

  it('ends the page readers of an instance killed -9 once its presence expires, and leaves no key of theirs', async () => {
    const presenceTtlMs = 300;
    const survivor = await open({ presenceTtlMs });
    await survivor.join(input('visitor-c', { url: OTHER_ARTICLE, source: 'social', referrerHost: 'zalo.me' }));
    const { child } = await startCrashingInstance(server, presenceTtlMs, [
      input('visitor-a', { source: 'search', referrerHost: 'www.google.com' }),
      input('visitor-b', { source: 'social', referrerHost: 'zalo.me', engaged: false }),
      input('visitor-b', { url: OTHER_ARTICLE, engaged: false }),
    ]);
    let live = await survivor.live(SITE, 10);
    assert.deepEqual(live.pages.map(({ url, readers, engaged }) => [url, readers, engaged]), [[ARTICLE, 2, 1], [OTHER_ARTICLE, 2, 1]]);
    assert.deepEqual(live.referrers, [{ host: 'zalo.me', readers: 2 }, { host: 'www.google.com', readers: 1 }]);
    assert.equal(live.engaged, 2);

    child.kill('SIGKILL');
    await once(child, 'exit');
    await waitFor('the crashed instance\'s readers to leave', async () => (await survivor.readers(SITE, [ARTICLE]))[0] === 0, 3_000);
    live = await survivor.live(SITE, 10);
    assert.deepEqual(live, {
      engaged: 1,
      sources: sources({ social: 1 }),
      referrers: [{ host: 'zalo.me', readers: 1 }],
      pages: [{ url: OTHER_ARTICLE, readers: 1, engaged: 1, sources: sources({ social: 1 }) }],
    });
    assert.equal((await admin.hlen(`${PREFIX}:{${SITE}}:preaders`)), 1, 'only the survivor\'s reader is left');
    assert.deepEqual((await survivor.dayPages(SITE, DAY.day, 10)).map(({ url, pageviews }) => [url, pageviews]), [[ARTICLE, 2], [OTHER_ARTICLE, 2]]);
    assert.deepEqual(warnings, []);
  });

  it('keeps readers, engaged, sources and referrers exact when a page session moves to another instance', async () => {
    const [a, b] = [await open(), await open()];
    const page = input('visitor-a', { source: 'search', referrerHost: 'www.google.com' });
    await a.join(page);
    await a.join(input('visitor-b'));
    // The page reconnects to B, idle now; its source is the one its session started with.
    assert.deepEqual(await b.join({ ...page, source: 'direct', referrerHost: undefined, engaged: false }), { pageview: false, visit: false });
    const expected = {
      engaged: 1,
      sources: sources({ search: 1, direct: 1 }),
      referrers: [{ host: 'www.google.com', readers: 1 }],
      pages: [{ url: ARTICLE, readers: 2, engaged: 1, sources: sources({ search: 1, direct: 1 }) }],
    };
    assert.deepEqual(await b.live(SITE, 10), expected);
    await a.leave(SITE, page.psid, Date.now(), { engaged: false, engagedMs: 5_000, periods: DAY }); // its old socket closes late
    assert.deepEqual(await b.live(SITE, 10), expected, 'the old holder ends nothing');
    await b.engage(SITE, page.psid, Date.now(), { engaged: true, engagedMs: 0, periods: DAY });
    assert.equal((await b.live(SITE, 10)).pages[0]?.engaged, 2);
    await a.close(); // ends visitor-b's session, not the page that moved
    assert.deepEqual(await b.live(SITE, 10), {
      engaged: 1,
      sources: sources({ search: 1 }),
      referrers: [{ host: 'www.google.com', readers: 1 }],
      pages: [{ url: ARTICLE, readers: 1, engaged: 1, sources: sources({ search: 1 }) }],
    });

    // Moving again, after an SPA navigation: the reader moves to the new page, keeping its source.
    const c = await open();
    await c.join({ ...page, page: { url: OTHER_ARTICLE } });
    assert.deepEqual((await c.live(SITE, 10)).pages, [{ url: OTHER_ARTICLE, readers: 1, engaged: 1, sources: sources({ search: 1 }) }]);
    await b.leave(SITE, page.psid, Date.now());
    await c.leave(SITE, page.psid, Date.now());
    assert.deepEqual(await c.live(SITE, 10), NOBODY);
    assert.deepEqual(await liveKeys(), []);
    assert.deepEqual((await c.dayPages(SITE, DAY.day, 10)).map(({ url, pageviews }) => [url, pageviews]), [[ARTICLE, 2]], 'moves count no pageview');
  });

  it('counts a page once for a join and a leave whose replies were lost and re-sent', async () => {
    const proxy = await startRedisProxy(server.port);
    try {
      const store = await open({ redis: { kind: 'url', url: proxy.url } });
      const page = input('visitor-a', { source: 'social', referrerHost: 'zalo.me' });
      const preaders = () => admin.hlen(`${PREFIX}:{${SITE}}:preaders`);

      const joinLost = proxy.loseReplyTo(page.psid);
      const joined = store.join(page);
      await joinLost.sent;
      await waitFor('Redis to run the join', async () => (await preaders()) === 1);
      joinLost.cut();
      await joined;
      assert.deepEqual(await store.live(SITE, 10), {
        engaged: 1,
        sources: sources({ social: 1 }),
        referrers: [{ host: 'zalo.me', readers: 1 }],
        pages: [{ url: ARTICLE, readers: 1, engaged: 1, sources: sources({ social: 1 }) }],
      });
      assert.deepEqual(await store.dayPages(SITE, DAY.day, 10), [{ url: ARTICLE, pageviews: 1, engagedSeconds: 0 }]);

      const leaveLost = proxy.loseReplyTo(page.psid);
      const left = store.leave(SITE, page.psid, Date.now(), { engaged: false, engagedMs: 2_500, periods: DAY });
      await leaveLost.sent;
      await waitFor('Redis to run the leave', async () => (await preaders()) === 0);
      leaveLost.cut();
      await left;
      assert.deepEqual(await store.live(SITE, 10), NOBODY);
      assert.deepEqual(await store.dayPages(SITE, DAY.day, 10), [{ url: ARTICLE, pageviews: 1, engagedSeconds: 2 }], 'the engaged time once');
    } finally {
      await proxy.close();
    }
  });

  it('re-joins its readers, counting no day pageview, when it finds it was reaped', async () => {
    const store = await open({ presenceTtlMs: 300 });
    const transport = transportFor(store);
    const page = input('visitor-a', { source: 'search', referrerHost: 'www.google.com', engaged: false });
    await transport.join(page);
    await transport.engage(SITE, page.psid, Date.now(), { engaged: true, engagedMs: 0, periods: DAY });
    await reapWhilePaused(store);
    assert.deepEqual(await store.live(SITE, 10), NOBODY);
    await waitFor('the heartbeat to re-join', async () => (await store.readers(SITE, [ARTICLE]))[0] === 1, 2_000);
    assert.deepEqual((await store.live(SITE, 10)).pages, [{ url: ARTICLE, readers: 1, engaged: 1, sources: sources({ search: 1 }) }], 'as it is now: engaged');
    assert.deepEqual((await store.dayPages(SITE, DAY.day, 10))[0]?.pageviews, 1);
  });

  it('leaves no key of a page once its last reader left, and day pages expire after DAY_PAGES_KEEP_DAYS', async () => {
    const store = await open({ sites: [] });
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const page = input(`visitor-${i % 7}`, { url: `https://news.example/a/${i % 13}`, title: `Title ${i}`, source: i % 2 ? 'search' : 'social', referrerHost: `host-${i % 5}.example` });
      ids.push(page.psid);
      await store.join(page);
      if (i % 3 === 0) await store.engage(SITE, page.psid, Date.now(), { engaged: i % 2 === 0, engagedMs: 1_000, periods: DAY });
    }
    assert.equal((await store.live(SITE, 100)).pages.length, 13);
    for (const id of ids) await store.leave(SITE, id, Date.now(), { engaged: false, engagedMs: 500, periods: DAY });
    assert.deepEqual(await liveKeys(), []);
    assert.deepEqual(await admin.hgetall(`${PREFIX}:{${SITE}}:live`), { engaged: '0', search: '0', social: '0' }, 'site figures back to zero');
    for (const key of [`${PREFIX}:{${SITE}}:dpages:${DAY.day}`, `${PREFIX}:{${SITE}}:dpinfo:${DAY.day}`]) {
      const ttl = await admin.ttl(key);
      assert.ok(ttl > (DAY_PAGES_KEEP_DAYS - 1) * 86_400 && ttl <= DAY_PAGES_KEEP_DAYS * 86_400, `${key} expires in ${DAY_PAGES_KEEP_DAYS} days`);
    }
  });

  it('trims a day to DAY_PAGES_MAX pages once it holds 10% more, keeping the most viewed', async () => {
    const store = await open({ sites: [] });
    const popular = input('visitor-popular', { title: 'Popular' });
    await store.join(popular);
    await store.join(input('visitor-popular-2'));
    const trimAt = Math.ceil(DAY_PAGES_MAX * 1.1);
    const pages = Array.from({ length: trimAt - 1 }, (_, i) => input(`visitor-${i}`, { url: `https://news.example/b/${i}`, title: `Title ${i}` }));
    for (let i = 0; i < pages.length; i += 100) await Promise.all(pages.slice(i, i + 100).map((page) => store.join(page)));
    const dayPages = `${PREFIX}:{${SITE}}:dpages:${DAY.day}`;
    const dayInfo = `${PREFIX}:{${SITE}}:dpinfo:${DAY.day}`;
    assert.equal(await admin.zcard(dayPages), DAY_PAGES_MAX);
    assert.equal(await admin.hlen(dayInfo), DAY_PAGES_MAX + 1, 'the titles of trimmed pages go with them (the "-" field keeps the hash)');
    // Engaged time reported for a trimmed page lists it again, within the same bound.
    for (let i = 0; i < pages.length; i += 100) {
      await Promise.all(pages.slice(i, i + 100).map((page) => store.leave(SITE, page.psid, Date.now(), { engaged: false, engagedMs: 1_000, periods: DAY })));
    }
    assert.ok((await admin.zcard(dayPages)) <= trimAt);
    assert.ok((await admin.hlen(dayInfo)) <= 2 * trimAt);
    assert.deepEqual((await store.dayPages(SITE, DAY.day, 1))[0], { url: ARTICLE, title: 'Popular', pageviews: 2, engagedSeconds: 0 });
  });

  it('refuses a page it cannot key before any Redis call', async () => {
    const store = await open({ sites: [] });
    await assert.rejects(store.join(input('visitor-a', { url: 'https://news.example/a b' })), /page.url/);
    await assert.rejects(store.join({ ...input('visitor-a'), source: 'bogus' as Source }), /source/);
    await assert.rejects(store.join(input('visitor-a', { referrerHost: 'a host' })), /referrerHost/);
    await assert.rejects(store.engage(SITE, 'x', Date.now(), { engaged: true, engagedMs: -1, periods: DAY }), /engagedMs/);
    await assert.rejects(store.engage(SITE, 'x', Date.now(), { engaged: true, engagedMs: 1, periods: { ...DAY, day: 'today' } }), TypeError);
    await assert.rejects(store.live(SITE, 0), /limit/);
    await assert.rejects(store.dayPages(SITE, 'yesterday', 10), TypeError);
    assert.deepEqual(await allKeys(admin), []);
  });

  it('costs a bounded number of Redis commands and bytes per pageview with its page', async (t) => {
    const store = await open({ sites: [], periodsAt: () => DAY }); // its leave records the history too
    const reading = (i: number, id?: string) => input(`visitor-${i}`, { url: `https://news.example/a/${i % 100}`, title: `Title ${i % 100}`, source: 'search', referrerHost: 'www.google.com' }, id);
    for (let i = 0; i < 200; i++) await store.join(reading(i)); // the pages are live, as on a busy site
    await admin.config('RESETSTAT');
    const page = reading(1_000);
    await store.join(page);
    await store.leave(SITE, page.psid, Date.now(), { engaged: false, engagedMs: 1_000, periods: DAY });
    const inScripts = [...(await admin.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)]
      .filter(([, name]) => !/^(evalsha|eval|info|config\|resetstat|publish|client\|.*)$/.test(name!))
      .reduce((sum, [, , calls]) => sum + Number(calls), 0);
    t.diagnostic(`Redis commands for one join + leave of a page reader: ${inScripts}`);
    assert.ok(inScripts <= 49, `${inScripts} commands: join 30 (2 for the history), leave 19 (1) with the page's first engaged time of the day`);

    const used = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    const before = await used();
    const pageviews = 2_000;
    for (let i = 0; i < pageviews; i += 200) await Promise.all(Array.from({ length: 200 }, (_, j) => store.join(reading(10_000 + i + j))));
    const perPageview = (await used() - before) / pageviews;
    t.diagnostic(`Redis memory per open pageview with its page (100 live pages): ${Math.round(perPageview)} bytes`);
    assert.ok(perPageview < 1_200, `${Math.round(perPageview)} bytes per pageview`);
  });
});
