// The Redis store: the shared contract plus what only a shared, crash-prone backend needs.
// Every test runs its own throwaway redis-server.
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
import { storeContract } from '../contract.js';
import { adminClient, READING, allKeys, DAY, PREFIX, SITE, startCrashingInstance, storeOptions, transportFor, waitFor, WINDOW } from './harness.js';

storeContract('redis', async () => {
  const server = await startRedisServer(PERSISTENT);
  return {
    open: (options) => createRedisStore(storeOptions(server, { ...options, sites: ['contract'] })),
    cleanup: () => server.stop(),
  };
});

describe('redis store', { timeout: 20_000 }, () => {
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

  it('counts one visitor with tabs on two instances once', async () => {
    const [a, b] = [await open(), await open()];
    const [onA, onB] = [psid(), psid()];
    assert.deepEqual(await a.join(input('visitor-a', onA)), { pageview: true, visit: true });
    assert.deepEqual(await b.join(input('visitor-a', onB)), { pageview: true, visit: false });
    let counts = await b.read(SITE, DAY);
    assert.equal(counts.online.guest, 1);
    assert.equal(counts.pageviews.total, 2);
    assert.equal(counts.visits.total, 1);
    await a.leave(SITE, onA, Date.now());
    assert.equal((await b.read(SITE, DAY)).online.guest, 1, 'still online in the other tab');
    await b.leave(SITE, onB, Date.now());
    counts = await a.read(SITE, DAY);
    assert.deepEqual(counts.online, { guest: 0, member: 0, bot: 0 });
  });

  it('reaps the sessions of a crashed instance after the presence TTL', async () => {
    const presenceTtlMs = 300;
    const survivor = await open({ presenceTtlMs });
    const [first, second] = [input('visitor-a'), input('visitor-b')];
    const { child } = await startCrashingInstance(server, presenceTtlMs, [first, second]);
    assert.equal((await survivor.read(SITE, DAY)).online.guest, 2);

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await once(child, 'exit');
    await waitFor('the crashed instance to be reaped', async () => (await survivor.read(SITE, DAY)).online.guest === 0);
    assert.ok(Date.now() - killedAt >= presenceTtlMs / 3, 'not reaped before its presence could expire');

    const counts = await survivor.read(SITE, DAY);
    assert.deepEqual(counts.pageviews, { total: 2, today: 2, month: 2, yesterday: 0 });
    assert.deepEqual(counts.visits, { total: 2, today: 2, month: 2, yesterday: 0 });
    assert.deepEqual(await survivor.join({ ...first, now: Date.now() }), { pageview: false, visit: false }, 'the page session resumes');
    assert.equal((await survivor.read(SITE, DAY)).online.guest, 1);
    assert.deepEqual(await allKeys(admin).then((keys) => keys.filter((key) => key.includes(':sess:'))), [`hc:{news}:sess:${survivor.instanceId}`]);
  });

  it('counts a join re-sent with the same arguments once', async () => {
    const scripts = new Scripts(admin);
    const call = {
      keys: new Keys(PREFIX).site(SITE), replacedChannel: `${PREFIX}:replaced`, site: SITE, instanceId: 'instance-1', psid: psid(),
      tag: 'g:visitor-a', visitor: 'visitor-a', claim: 1, now: Date.now(), presenceTtlMs: 30_000, visitWindowMs: WINDOW, periods: DAY, resume: false,
      history: historyTarget(new Keys(PREFIX).site(SITE), DAY),
    };
    assert.deepEqual(await scripts.join(call), { pageview: true, visit: true, missing: true, elsewhere: false });
    assert.deepEqual(await scripts.join(call), { pageview: false, visit: false, missing: false, elsewhere: false });
    assert.equal(await scripts.leave(call.keys, call.instanceId, call.psid, Date.now(), call.history), true);
    assert.equal(await scripts.leave(call.keys, call.instanceId, call.psid, Date.now(), call.history), false);
    const store = await open();
    const counts = await store.read(SITE, DAY);
    assert.equal(counts.pageviews.total, 1);
    assert.equal(counts.visits.total, 1);
    assert.deepEqual(counts.online, { guest: 0, member: 0, bot: 0 });
  });

  it('counts a join and a leave whose replies were lost once, when ioredis re-sends them', async () => {
    const proxy = await startRedisProxy(server.port);
    try {
      const store = await open({ redis: { kind: 'url', url: proxy.url } });
      const page = input('visitor-a');
      const online = () => admin.hget(`${PREFIX}:{${SITE}}:online`, 'g');

      const joinLost = proxy.loseReplyTo(page.psid);
      const joined = store.join(page);
      await joinLost.sent;
      await waitFor('Redis to run the join', async () => (await online()) === '1');
      joinLost.cut();
      await joined; // answered by the re-sent join, which finds the page session held and counts nothing

      const leaveLost = proxy.loseReplyTo(page.psid);
      const left = store.leave(SITE, page.psid, Date.now());
      await leaveLost.sent;
      await waitFor('Redis to run the leave', async () => (await online()) === '0');
      leaveLost.cut();
      await left;

      const counts = await store.read(SITE, DAY);
      assert.deepEqual(counts.online, { guest: 0, member: 0, bot: 0 });
      assert.equal(counts.pageviews.total, 1);
      assert.equal(counts.visits.total, 1);
    } finally {
      await proxy.close();
    }
  });

  it('drops closed page sessions and idle identities once their visit window ended, in its heartbeat', async () => {
    const store = await open({ presenceTtlMs: 300, visitWindowMs: 500 });
    const page = input('visitor-a');
    await store.join(page);
    await store.leave(SITE, page.psid, Date.now());
    const entries = async () => admin.zcard(`${PREFIX}:{${SITE}}:recent`);
    assert.equal(await entries(), 2);
    assert.deepEqual(await store.join({ ...page, now: Date.now() }), { pageview: false, visit: false }, 'resumes within the window');
    await store.leave(SITE, page.psid, Date.now());
    await waitFor('the heartbeat to drop them', async () => (await entries()) === 0, 2_000);
    assert.deepEqual(await store.join({ ...page, now: Date.now() }), { pageview: true, visit: true }, 'a new pageview and visit after the window');
  });

  it('keeps working after the script cache is flushed (NOSCRIPT)', async () => {
    const store = await open({ presenceTtlMs: 300 }); // heartbeats every 100 ms run the scripts too
    const first = input('visitor-a');
    await store.join(first);
    await admin.script('FLUSH');
    const second = input('visitor-b');
    assert.deepEqual(await store.join(second), { pageview: true, visit: true });
    await store.leave(SITE, first.psid, Date.now());
    assert.deepEqual((await store.read(SITE, DAY)).online, { guest: 1, member: 0, bot: 0 });
    await admin.script('FLUSH');
    await new Promise((resolve) => setTimeout(resolve, 250));
    await admin.script('FLUSH');
    await store.close();
    assert.deepEqual(await admin.hmget(`hc:{${SITE}}:online`, 'g', 'm', 'b'), ['0', null, null], 'close reaped its sessions');
    assert.deepEqual(warnings, []);
  });

  it('keeps totals beyond 2^31 across a restart of an appendonly redis-server', async () => {
    await server.stop();
    server = await startRedisServer({ appendonly: true });
    admin.disconnect();
    admin = adminClient(server);
    const store = await open();
    await store.join(input('visitor-a'));
    await store.setTotals(SITE, { visits: 52_015_394, pageviews: 3_000_000_000 });
    await store.join(input('visitor-b'));
    await server.restart();
    await waitFor('the store to reconnect', () => store.ping().then(() => true, () => false));
    const counts = await store.read(SITE, DAY);
    assert.deepEqual(counts.visits, { total: 52_015_395, today: 2, month: 2, yesterday: 0 });
    assert.deepEqual(counts.pageviews, { total: 3_000_000_001, today: 2, month: 2, yesterday: 0 });
    assert.equal(counts.online.guest, 2);
    assert.deepEqual(await store.join(input('visitor-c')), { pageview: true, visit: true }, 'scripts reload after the restart');
    assert.equal((await store.read(SITE, DAY)).pageviews.total, 3_000_000_002);
  });

  it('reads the peak kept by version 5 while it is the larger', async () => {
    await admin.hset(`hc:{${SITE}}:peak`, { online: 2, at: 1_000 });
    const store = await open();
    await store.join(input('visitor-a'));
    assert.deepEqual((await store.read(SITE, DAY)).peak, { online: 2, at: 1_000 });
    await store.join(input('visitor-b'));
    assert.deepEqual((await store.read(SITE, DAY)).peak, { online: 2, at: 1_000 }, 'a tie keeps the earlier peak');
    const at = Date.now();
    await store.join({ ...input('visitor-c'), now: at });
    assert.deepEqual((await store.read(SITE, DAY)).peak, { online: 3, at });
  });

  it('creates no key for reads or bad input, and tags every key with its site', async () => {
    const store = await open({ sites: [] });
    await store.read('nobody-visited', DAY);
    await store.live('nobody-visited', 10);
    await store.readers('nobody-visited', ['https://news.example/a/1']);
    await store.dayPages('nobody-visited', DAY.day, 10);
    assert.deepEqual(await allKeys(admin), []);
    await assert.rejects(store.read('bad}site', DAY), TypeError);
    await assert.rejects(store.read('', DAY), TypeError);
    await assert.rejects(store.read(SITE, { ...DAY, day: '26/11/2026' }), TypeError);
    await assert.rejects(store.join({ ...input('visitor-a'), site: '{x}' }), TypeError);
    await assert.rejects(store.join({ ...input('visitor-a'), periods: { ...DAY, month: 'x' } }), TypeError);
    await assert.rejects(store.join({ ...input('visitor-a'), psid: '' }), TypeError);
    await assert.rejects(store.setTotals(SITE, { visits: -1 }), TypeError);
    await assert.rejects(store.setTotals(SITE, { pageviews: 1.5 }), TypeError);
    assert.deepEqual(await allKeys(admin), []);

    const first = input('visitor-a');
    await store.join(first);
    await store.join({ ...input('member-1'), kind: 'member' });
    await store.leave(SITE, first.psid, Date.now());
    await store.setTotals(SITE, { visits: 10 });
    const newsKeys = await allKeys(admin);
    assert.ok(newsKeys.length > 0);
    for (const key of newsKeys) assert.match(key, /^hc:\{news\}:/);
    await store.join({ ...input('visitor-a'), site: 'sport' });
    for (const key of await allKeys(admin)) assert.match(key, /^hc:\{(news|sport)\}:(inst|sess:[0-9a-f-]{36}|holder|who|mvis|online|recent|tot|day:2026-11-26|month:2026-11|pages|pmeta|psrc|preaders|live|refs|dpages:2026-11-26|dpinfo:2026-11-26|hmin:2026-11-26T09\+07:00|hhour:2026-11-26|hday:2026|hmonth)$/);
  });

  it('tells other instances about changes, and ignores its own and malformed messages', async () => {
    const [a, b] = [await open(), await open()];
    const seenByA: string[] = [];
    const seenByB: string[] = [];
    a.onChange((site) => seenByA.push(site));
    b.onChange((site) => seenByB.push(site));
    for (const junk of ['null', '7', 'not json', '{"site":5}']) await admin.publish(`${PREFIX}:changes`, junk);
    await a.join(input('visitor-a'));
    await waitFor('the other instance to hear of the change', () => seenByB.includes(SITE), 2_000);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(seenByA, [SITE], 'only its own local notification');
    assert.deepEqual(seenByB, [SITE], 'one coalesced message');
  });

  // What another instance does to this one when this one's heartbeats stop, e.g. during a long pause.
  const reapWhilePaused = (store: RedisStore) => {
    const keys = new Keys(PREFIX).site(SITE);
    return new Scripts(admin).reap(keys, store.instanceId, Date.now(), false, historyTarget(keys, undefined));
  };
  const guestsOnline = async (store: RedisStore) => (await store.read(SITE, DAY)).online.guest;

  it('re-joins its sessions without pageviews when its heartbeat finds it was reaped', async () => {
    const store = await open({ presenceTtlMs: 300 });
    await transportFor(store).join(input('visitor-a'));
    await reapWhilePaused(store);
    assert.equal(await guestsOnline(store), 0);
    await waitFor('the heartbeat to re-join', async () => (await guestsOnline(store)) === 1, 2_000);
    assert.equal((await store.read(SITE, DAY)).pageviews.total, 1);
  });

  it('re-joins its sessions when a join finds it was reaped', async () => {
    const store = await open();
    const transport = transportFor(store);
    await transport.join(input('visitor-a'));
    await reapWhilePaused(store);
    await transport.join(input('visitor-b'));
    await waitFor('the resync', async () => (await guestsOnline(store)) === 2, 2_000);
    assert.equal((await store.read(SITE, DAY)).pageviews.total, 2);
  });

  it('re-joins only the sessions it still holds, as the transport has them now', async () => {
    const store = await open({ presenceTtlMs: 300 });
    const transport = transportFor(store);
    const [reading, left] = [input('visitor-a'), input('visitor-b')];
    await transport.join(reading);
    await transport.join(left);
    await transport.engage(SITE, reading.psid, Date.now(), { engaged: false, engagedMs: 0, periods: DAY });
    await store.leave(SITE, left.psid, Date.now()); // still listed by the transport: the store must not revive it
    await reapWhilePaused(store);
    await waitFor('the heartbeat to re-join', async () => (await guestsOnline(store)) === 1, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 250)); // more heartbeats: nothing more to re-join
    assert.equal(await guestsOnline(store), 1);
    const live = await store.live(SITE, 10);
    assert.deepEqual(live.pages.map(({ readers, engaged }) => ({ readers, engaged })), [{ readers: 1, engaged: 0 }], 'idle, as the transport has it');
    assert.equal((await store.read(SITE, DAY)).pageviews.total, 2);
  });

  it('re-joins nothing without a holder of its sessions (a store used on its own)', async () => {
    const store = await open({ presenceTtlMs: 300 });
    await store.join(input('visitor-a'));
    await reapWhilePaused(store);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await guestsOnline(store), 0);
  });

  it('answers reads and pings while its command connection waits behind a burst of writes', async () => {
    const store = await open();
    await store.join(input('reader'));
    // Stands in for thousands of leaves queued on the command connection: it answers nothing for 3 s,
    // three times the deadline of a read.
    const command = (store as unknown as { client: Redis }).client;
    const blocked = command.blpop(`${PREFIX}:{${SITE}}:blocked`, 3);
    const queued = store.join(input('queued'));
    assert.equal((await store.read(SITE, DAY)).online.guest, 1);
    await store.ping();
    assert.equal((await store.live(SITE, 10)).pages[0]?.readers, 1);
    assert.deepEqual(await store.history(SITE, 'minute', [DAY.minute]).then((points) => points.length), 1);
    await blocked;
    await queued;
    assert.equal((await store.read(SITE, DAY)).online.guest, 2);
  });

  it('rejects creation when Redis is unreachable, and ping fails fast when Redis goes away', async () => {
    const store = await open();
    await store.ping();
    await server.kill();
    await assert.rejects(store.ping());
    await assert.rejects(createRedisStore(storeOptions(server, { logger: { warn() {} } })));
  });

  it('holds joins while Redis is away up to maxPendingJoins, refuses more at once, and fails the held ones on close', async () => {
    const store = await open({ maxPendingJoins: 2 });
    await server.kill();
    // The client sees the closed socket a moment after the process is gone; until then a command is
    // still written to the dead socket. Wait for that, so what follows tests the outage itself.
    for (let tries = 0; await store.ping().then(() => true, (error: Error) => !/unreachable/.test(error.message)); tries++) {
      assert.ok(tries < 100, 'the store noticed that Redis is gone within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const held = [store.join(input('visitor-a')), store.join(input('visitor-b'))];
    const settled = held.map((join) => join.then(() => 'stored', () => 'failed'));
    await assert.rejects(store.join(input('visitor-c')), /2 page sessions are already waiting for Redis/);
    await assert.rejects(store.read(SITE, DAY), /unreachable/, 'reads fail fast');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await Promise.race([Promise.all(settled), new Promise((resolve) => setTimeout(() => resolve('waiting'), 0))]), 'waiting');
    await store.close();
    assert.deepEqual(await Promise.all(settled), ['failed', 'failed']);
  });
});
