// One holder per page session across instances, and presence kept in Redis's clock: a page that moves
// to another instance is never ended by the old one, the old one hears of the move, and instances
// whose clocks disagree neither reap each other nor keep a dead one's pages online.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { Keys } from '../../../src/store/redis/keys.js';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../../src/store/redis/redis-store.js';
import { historyTarget } from '../../../src/store/redis/history.js';
import { Scripts } from '../../../src/store/redis/scripts.js';
import type { JoinInput } from '../../../src/store/store.js';
import { startRedisProxy } from '../../support/redis-proxy.js';
import { PERSISTENT, type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { adminClient, READING, DAY, PREFIX, SITE, startCrashingInstance, storeOptions, transportFor, waitFor, WINDOW } from './harness.js';

const MINUTE = 60_000;

describe('redis store: one holder per page session', { timeout: 20_000 }, () => {
  let server: RedisServer;
  let admin: Redis;
  let stores: RedisStore[];
  let warnings: string[];
  let n = 0;
  const psid = () => `page-session-${++n}`;
  const input = (identity: string, id = psid(), now = Date.now()): JoinInput =>
    ({ site: SITE, psid: id, identity, visitor: identity, kind: 'guest', now, periods: DAY, ...READING });
  const open = async (options: Partial<RedisStoreOptions> = {}) => {
    const store = await createRedisStore(storeOptions(server, { logger: { warn: (_, msg) => warnings.push(msg) }, ...options }));
    stores.push(store);
    return store;
  };
  const replacedOn = (store: RedisStore) => {
    const heard: string[] = [];
    store.onReplaced((site, id) => heard.push(`${site}/${id}`));
    return heard;
  };
  const counts = () => stores.at(-1)!.read(SITE, DAY); // the last store opened stays open in each test
  const reap = (instanceId: string, ifExpired: boolean) => {
    const keys = new Keys(PREFIX).site(SITE);
    return new Scripts(admin).reap(keys, instanceId, Date.now(), ifExpired, historyTarget(keys, undefined));
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

  it('moves a page to the instance it reconnects to; the old one is told, and its end or reap counts nothing', async () => {
    const [a, b, c] = [await open(), await open(), await open()];
    const heardByA = replacedOn(a);
    const heardByB = replacedOn(b);
    const start = Date.now();
    const page = input('visitor-a', psid(), start);
    assert.deepEqual(await a.join(page), { pageview: true, visit: true });
    assert.deepEqual(await b.join({ ...page, now: start + 1_000 }), { pageview: false, visit: false }, 'a move, not a pageview');
    await waitFor('A to hear that B holds the page now', () => heardByA.length === 1);
    assert.deepEqual(heardByA, [`${SITE}/${page.psid}`]);

    // A ends (its SIGTERM cut-off, or a reap after a crash): the page B holds stays open.
    await a.close();
    assert.deepEqual((await counts()).online, { guest: 1, member: 0, bot: 0 });
    // After the visit window the still-open page reconnects elsewhere: it resumes, uncounted.
    assert.deepEqual(await c.join({ ...page, now: start + WINDOW + MINUTE }), { pageview: false, visit: false });
    await waitFor('B to hear that C holds the page now', () => heardByB.length === 1);
    await b.leave(SITE, page.psid, Date.now()); // B's old socket closes late: nothing to end
    let figures = await counts();
    assert.deepEqual(figures.online, { guest: 1, member: 0, bot: 0 });
    assert.deepEqual(figures.pageviews, { total: 1, today: 1, month: 1, yesterday: 0 });
    assert.equal(figures.visits.total, 1);
    await c.leave(SITE, page.psid, Date.now());
    figures = await counts();
    assert.deepEqual(figures.online, { guest: 0, member: 0, bot: 0 });
    assert.equal(await admin.hlen(`${PREFIX}:{${SITE}}:holder`), 0);
    assert.deepEqual(warnings, []);
  });

  it('a page that bounces back to its first instance is held there again; only the instance it left hears of it', async () => {
    const [a, b] = [await open(), await open()];
    const heardByA = replacedOn(a);
    const heardByB = replacedOn(b);
    const page = input('visitor-a');
    await a.join(page);
    await b.join(page);
    await waitFor('A to hear of the move', () => heardByA.length === 1);
    await a.join(page);
    await waitFor('B to hear of the move back', () => heardByB.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(heardByA.length, 1, 'the move back does not close its new socket');
    await b.leave(SITE, page.psid, Date.now());
    assert.equal((await counts()).online.guest, 1, 'the page A holds stays');
    await a.leave(SITE, page.psid, Date.now());
    assert.deepEqual((await counts()).online, { guest: 0, member: 0, bot: 0 });
    assert.equal((await counts()).pageviews.total, 1);
  });

  it('moves a page once when ioredis re-sends the move after a lost reply: one notice, no count', async () => {
    const proxy = await startRedisProxy(server.port);
    try {
      const a = await open();
      const b = await open({ redis: { kind: 'url', url: proxy.url } });
      const heardByA = replacedOn(a);
      const page = input('visitor-a');
      await a.join(page);
      const lost = proxy.loseReplyTo(page.psid);
      const moved = b.join(page);
      await lost.sent;
      await waitFor('Redis to run the move', async () => (await admin.hget(`${PREFIX}:{${SITE}}:holder`, page.psid))?.startsWith(b.instanceId) === true);
      lost.cut();
      assert.deepEqual(await moved, { pageview: false, visit: false });
      await waitFor('A to hear of the move', () => heardByA.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(heardByA.length, 1, 'the re-sent move tells nobody again');
      const figures = await a.read(SITE, DAY);
      assert.deepEqual(figures.online, { guest: 1, member: 0, bot: 0 });
      assert.equal(figures.pageviews.total, 1);
    } finally {
      await proxy.close();
    }
  });

  it('moves a page whose identity changed (a guest page that reconnects as a member) without a count left behind', async () => {
    const [a, b] = [await open(), await open()];
    const page = input('visitor-a');
    await a.join(page);
    await b.join({ ...page, identity: 'member-1', kind: 'member' });
    assert.deepEqual((await counts()).online, { guest: 0, member: 1, bot: 0 });
    await a.leave(SITE, page.psid, Date.now());
    await b.leave(SITE, page.psid, Date.now());
    assert.deepEqual((await counts()).online, { guest: 0, member: 0, bot: 0 });
    assert.equal(await admin.hlen(`${PREFIX}:{${SITE}}:who`), 0);
  });

  it('a reaped instance that re-joins does not take back a page that moved meanwhile, and lets it go', async () => {
    const a = await open({ presenceTtlMs: 300 });
    const b = await open();
    const heardByA = replacedOn(a);
    const page = input('visitor-a');
    await transportFor(a).join(page);
    await reap(a.instanceId, false); // what another instance does while A is paused
    assert.deepEqual(await b.join(page), { pageview: false, visit: false }, 'resumed within the window');
    await waitFor('A to find that B holds the page', () => heardByA.length === 1, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 250)); // more heartbeats: nothing more to re-join
    const figures = await counts();
    assert.deepEqual(figures.online, { guest: 1, member: 0, bot: 0 });
    assert.equal(figures.pageviews.total, 1);
    assert.deepEqual(await admin.hkeys(`${PREFIX}:{${SITE}}:sess:${a.instanceId}`), []);
  });

  it('does not reap an instance that heartbeated after it was listed as expired', async () => {
    const alive = await open();
    await alive.join(input('visitor-a'));
    assert.equal(await reap(alive.instanceId, true), 0);
    assert.equal((await counts()).online.guest, 1);
    await admin.zadd(`${PREFIX}:{${SITE}}:inst`, 0, alive.instanceId); // now its presence did expire
    assert.equal(await reap(alive.instanceId, true), 1);
    assert.equal((await counts()).online.guest, 0);
  });

  it('keeps presence in Redis time: instances 60 s apart neither reap each other nor keep a dead one online', async () => {
    const presenceTtlMs = 300;
    const behind = await open({ presenceTtlMs, clock: () => Date.now() - MINUTE });
    const ahead = await open({ presenceTtlMs, clock: () => Date.now() + MINUTE });
    await behind.join(input('visitor-a', psid(), Date.now() - MINUTE));
    await ahead.join(input('visitor-b', psid(), Date.now() + MINUTE));
    const until = Date.now() + 4 * presenceTtlMs;
    while (Date.now() < until) {
      assert.equal((await counts()).online.guest, 2, 'neither instance reaped the other');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    const crashed = await startCrashingInstance(server, presenceTtlMs, [input('visitor-c')], MINUTE);
    assert.equal((await counts()).online.guest, 3);
    crashed.child.kill('SIGKILL');
    await once(crashed.child, 'exit');
    await waitFor('the instance whose clock runs ahead to be reaped', async () => (await counts()).online.guest === 2, 4 * presenceTtlMs + 1_000);
    assert.deepEqual(warnings, []);
  });
});
